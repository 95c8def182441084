import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { canWrite } from '../context';
import type { Session } from '../session';
import { CircuitsView } from './circuits-view';
import { DlqView } from './dlq-view';
import { LiveView } from './live-view';
import { NotificationsView } from './notifications-view';
import { ReplayView } from './replay-view';

const SECTIONS = [
  { id: 'live', label: 'Live' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'dlq', label: 'Dead letters' },
  { id: 'replays', label: 'Replays' },
  { id: 'circuits', label: 'Circuits' },
] as const;
export type SectionId = (typeof SECTIONS)[number]['id'];

/** The signed-in console: who is signed in, the sections, the status line and one section at a time. */
export function ConsoleShell(props: {
  session: Session;
  onSignOut: () => void;
  statusLine: ComponentChildren;
  /** Another section was chosen. */
  onNavigate: () => void;
}) {
  const [section, setSection] = useState<SectionId>('live');
  /** A notification another section asked to show (a dead letter's "Attempts"). */
  const [openNotification, setOpenNotification] = useState<string | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);

  // A new section is announced by moving focus to its heading (keyboard and screen reader users
  // land on what they asked for); not on the first render, where focus stays where it was.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    heading.current?.focus();
  }, [section, openNotification]);

  const current = SECTIONS.find((candidate) => candidate.id === section) ?? SECTIONS[0];
  const showNotification = (id: string): void => {
    setOpenNotification(id);
    setSection('notifications');
    props.onNavigate();
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <p class="brand">Occasions console</p>
        <p class="who">
          Signed in with the <strong>{props.session.label}</strong>{' '}
          <span class={`role role-${props.session.role}`}>
            {props.session.role === 'admin' ? 'admin' : 'viewer: read-only'}
          </span>
        </p>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console sections" class="sections">
        <ul>
          {SECTIONS.map(({ id, label }) => (
            <li key={id}>
              <button
                type="button"
                aria-current={id === section ? 'page' : undefined}
                onClick={() => {
                  if (id !== 'notifications') setOpenNotification(undefined);
                  setSection(id);
                  props.onNavigate();
                }}
              >
                {label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {props.statusLine}
      <main id="main" aria-labelledby="section-title">
        <h1 id="section-title" tabIndex={-1} ref={heading}>
          {current.label}
        </h1>
        {!canWrite(props.session.role) ? (
          <p class="read-only-note" id="read-only-note">
            Your key has the viewer role: you can see everything, and every button that changes something is
            disabled.
          </p>
        ) : null}
        {section === 'live' ? <LiveView /> : null}
        {section === 'notifications' ? <NotificationsView openId={openNotification} /> : null}
        {section === 'dlq' ? <DlqView onShowNotification={showNotification} /> : null}
        {section === 'replays' ? <ReplayView /> : null}
        {section === 'circuits' ? <CircuitsView /> : null}
      </main>
    </>
  );
}
