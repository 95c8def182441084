import { useState } from 'preact/hooks';
import type { Circuit } from '../api/types';
import { canWrite, useConsole } from '../context';
import { formatInstant } from '../format';
import { usePolling } from '../hooks/use-polling';
import { ConfirmDialog } from './confirm-dialog';
import { CircuitStateBadge } from './status-badge';

const POLL_MS = 15_000;

/** Every webhook endpoint's circuit (GET /v1/circuits), and reset (close) one after a confirmation. */
export function CircuitsView() {
  const { api, role, announce, fail } = useConsole();
  const [circuits, setCircuits] = useState<Circuit[] | undefined>(undefined);
  const [pending, setPending] = useState<Circuit | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const writable = canWrite(role);

  const load = async (): Promise<void> => {
    try {
      setCircuits((await api.get<{ items: Circuit[] }>('/v1/circuits')).items);
    } catch (error) {
      fail(error, 'Loading circuits');
    }
  };
  usePolling(load, POLL_MS);

  const reset = async (circuit: Circuit): Promise<void> => {
    setBusy(true);
    try {
      // If-Match: reset the circuit as the operator saw it; a change since then is a 412, not a surprise.
      await api.post(`/v1/circuits/${encodeURIComponent(circuit.endpoint)}/reset`, undefined, {
        ifMatch: `"${circuit.version}"`,
      });
      announce(`The circuit of ${circuit.endpoint} is closed; deliveries resume.`, 'success');
    } catch (error) {
      fail(error, 'Resetting the circuit');
    } finally {
      setBusy(false);
    }
    await load();
  };

  return (
    <>
      <p class="refresh-note">
        Refreshed every {POLL_MS / 1000} s while this tab is visible.{' '}
        <button type="button" onClick={() => void load()}>
          Refresh now
        </button>
      </p>
      {circuits === undefined ? <p>Loading…</p> : null}
      {circuits?.length === 0 ? <p>No endpoint has tripped: every circuit is closed.</p> : null}
      {circuits && circuits.length > 0 ? (
        <div class="table-scroll">
          <table class="results">
            <caption class="visually-hidden">Circuits by endpoint</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">State</th>
                <th scope="col">Failures</th>
                <th scope="col">Open since</th>
                <th scope="col">Held until</th>
                <th scope="col">Notes</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {circuits.map((circuit) => (
                <tr key={circuit.endpoint}>
                  <td>
                    <code>{circuit.endpoint}</code>
                  </td>
                  <td>
                    <CircuitStateBadge state={circuit.state} />
                  </td>
                  <td class="number">{circuit.failures}</td>
                  <td>{formatInstant(circuit.openSince)}</td>
                  <td>{formatInstant(circuit.openUntil)}</td>
                  <td>
                    {[circuit.forced ? 'held open by an admin' : '', circuit.probing ? 'probing' : '']
                      .filter(Boolean)
                      .join(', ') || '—'}
                  </td>
                  <td>
                    <button
                      type="button"
                      disabled={!writable || busy}
                      aria-describedby={writable ? undefined : 'read-only-note'}
                      aria-label={`Reset the circuit of ${circuit.endpoint}…`}
                      onClick={() => {
                        setPending(circuit);
                      }}
                    >
                      Reset…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {pending ? (
        <ConfirmDialog
          title="Reset this circuit?"
          confirmLabel="Reset (close) circuit"
          onCancel={() => {
            setPending(undefined);
          }}
          onConfirm={() => {
            const circuit = pending;
            setPending(undefined);
            void reset(circuit);
          }}
        >
          <p>
            The circuit of <code>{pending.endpoint}</code> closes and forgets its {pending.failures} failure
            {pending.failures === 1 ? '' : 's'}: workers send to it again within 5 s. If the endpoint is still
            down, it trips again.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
