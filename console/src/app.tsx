import { useCallback, useMemo, useState } from 'preact/hooks';
import { basePathOf } from './api/base-path';
import { ApiClient } from './api/client';
import { ApiError, describeError } from './api/errors';
import { StatusLine, type Notice } from './components/status-line';
import { SignIn } from './components/sign-in';
import { ConsoleShell } from './components/console-shell';
import { ConsoleContext, type ConsoleContextValue, type NoticeTone } from './context';
import { forgetSession, loadSession, saveSession, type Session } from './session';

/** Signed out: the sign-in form. Signed in: the console, with the key only in this tab's session. */
export function App() {
  const basePath = useMemo(() => basePathOf(location.pathname), []);
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<Notice | undefined>(undefined);

  const announce = useCallback((text: string, tone: NoticeTone = 'info') => {
    setNotice((previous) => ({ text, tone, seq: (previous?.seq ?? 0) + 1 }));
  }, []);

  const signOut = useCallback(
    (reason?: string) => {
      forgetSession();
      setSession(undefined);
      announce(reason ?? 'Signed out: the key is forgotten.', reason ? 'error' : 'info');
    },
    [announce],
  );

  const context = useMemo<ConsoleContextValue | undefined>(() => {
    if (!session) return undefined;
    return {
      api: new ApiClient(basePath, session.apiKey),
      role: session.role,
      announce,
      fail: (error, what) => {
        if (error instanceof ApiError && error.status === 401) {
          signOut('Signed out: the API no longer accepts this key (401). Sign in with a valid key.');
          return;
        }
        announce(`${what} failed. ${describeError(error)}`, 'error');
      },
    };
  }, [session, basePath, announce, signOut]);

  return (
    <>
      {context && session ? (
        <ConsoleContext.Provider value={context}>
          <ConsoleShell
            session={session}
            onSignOut={() => {
              signOut();
            }}
            statusLine={<StatusLine notice={notice} />}
            onNavigate={() => {
              // A message about the section left behind would mislead in the next one.
              setNotice(undefined);
            }}
          />
        </ConsoleContext.Provider>
      ) : (
        <SignIn
          basePath={basePath}
          statusLine={<StatusLine notice={notice} />}
          onSignedIn={(signedIn) => {
            saveSession(signedIn);
            setSession(signedIn);
            announce(`Signed in with the ${signedIn.label} (${signedIn.role}).`, 'success');
          }}
        />
      )}
    </>
  );
}
