import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api/errors';
import { signIn, type Session } from '../session';

/**
 * Sign in with an admin or viewer key. The key is checked against the API before it is kept
 * (in this tab's sessionStorage only); a wrong key says so next to the field.
 */
export function SignIn(props: {
  basePath: string;
  statusLine: ComponentChildren;
  onSignedIn: (session: Session) => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (): Promise<void> => {
    const presented = key.trim();
    if (presented === '') {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(props.basePath, presented);
      setKey('');
      props.onSignedIn(session);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'This API key was not accepted (401). Check it and try again.'
          : `Could not sign in. ${describeError(failure)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Occasions console</h1>
      {props.statusLine}
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label for="api-key">API key</label>
        {/*
          Masked (type="password": the screen may be shared), but not a password: the key is kept in
          this tab's session only, so password managers are asked not to offer to save it. Chrome
          may still offer (it ignores autocomplete="off" on password fields); the README says to
          answer "Never".
        */}
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          data-1p-ignore
          data-lpignore="true"
          data-form-type="other"
          spellcheck={false}
          value={key}
          aria-invalid={error ? 'true' : 'false'}
          aria-describedby={error ? 'api-key-help api-key-error' : 'api-key-help'}
          onInput={(event) => {
            setKey(event.currentTarget.value);
          }}
        />
        <p id="api-key-help" class="help">
          An admin or viewer key, as sent in <code>x-api-key</code>. It stays in this browser tab only, until
          you sign out or close the tab.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p id="api-key-error" class="field-error" role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}
