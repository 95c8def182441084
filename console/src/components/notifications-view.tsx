import { useEffect, useRef, useState } from 'preact/hooks';
import { NOTIFICATION_STATUSES, type Notification, type NotificationStatus, type Page } from '../api/types';
import { useConsole } from '../context';
import { formatInstant, instantFromInput } from '../format';
import { NotificationDetailPanel } from './notification-detail';
import { NotificationStatusBadge } from './status-badge';

interface Filters {
  userId: string;
  status: NotificationStatus | '';
  type: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { userId: '', status: '', type: '', from: '', to: '' };

/** GET /v1/notifications's query, as the filters gave it when "Search" was pressed. */
type Query = Readonly<Record<'userId' | 'status' | 'type' | 'from' | 'to', string | undefined>>;

/** What a search found, with the query it was made with: "Load more" asks for the next page of that. */
interface Results {
  query: Query;
  items: Notification[];
  nextCursor: string | null;
}

/**
 * Search the notification log (GET /v1/notifications: user, status, type, due-time window) and
 * open one notification's attempts as a timeline.
 */
export function NotificationsView({ openId }: { openId: string | undefined }) {
  const { api, announce, fail } = useConsole();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [results, setResults] = useState<Results | undefined>();
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<string | undefined>(openId);
  const resultsHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setSelected(openId);
  }, [openId]);

  const queryOf = (form: Filters): Query => ({
    userId: form.userId.trim(),
    status: form.status,
    type: form.type.trim(),
    from: instantFromInput(form.from),
    to: instantFromInput(form.to),
  });

  /**
   * A new search with the form as it is now, or (`more`) the next page of the shown results:
   * a cursor belongs to the query that gave it, so paging reuses that query, not the form
   * (edited since, perhaps); a changed form needs a new "Search".
   */
  const search = async (more?: Results): Promise<void> => {
    const query = more ? more.query : queryOf(filters);
    setBusy(true);
    try {
      const page = await api.get<Page<Notification>>('/v1/notifications', {
        ...query,
        cursor: more?.nextCursor ?? undefined,
      });
      const items = more ? [...more.items, ...page.items] : page.items;
      setResults({ query, items, nextCursor: page.nextCursor });
      announce(
        `${items.length} notification${items.length === 1 ? '' : 's'} found${page.nextCursor ? '; more available' : ''}.`,
      );
      if (!more) resultsHeading.current?.focus();
    } catch (error) {
      fail(error, 'Searching notifications');
    } finally {
      setBusy(false);
    }
  };

  /** Whether the form no longer says what the shown results were searched with. */
  const edited = results !== undefined && !sameQuery(results.query, queryOf(filters));

  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    name,
    value: filters[name],
    onInput: (event: Event) => {
      const target = event.currentTarget as HTMLInputElement | HTMLSelectElement;
      setFilters((previous) => ({ ...previous, [name]: target.value }));
    },
  });

  return (
    <>
      <form
        class="card filters"
        aria-labelledby="search-title"
        onSubmit={(event) => {
          event.preventDefault();
          void search();
        }}
      >
        <h2 id="search-title">Search</h2>
        <div class="fields">
          <div class="field">
            <label for="filter-userId">User id</label>
            <input {...field('userId')} type="text" spellcheck={false} placeholder="UUID" />
          </div>
          <div class="field">
            <label for="filter-status">Status</label>
            <select {...field('status')}>
              <option value="">any</option>
              {NOTIFICATION_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-type">Event type</label>
            <input {...field('type')} type="text" spellcheck={false} placeholder="birthday" />
          </div>
          <div class="field">
            <label for="filter-from">Due from (UTC)</label>
            <input {...field('from')} type="datetime-local" aria-describedby="window-help" />
          </div>
          <div class="field">
            <label for="filter-to">Due before (UTC)</label>
            <input {...field('to')} type="datetime-local" aria-describedby="window-help" />
          </div>
        </div>
        <p id="window-help" class="help">
          Empty: the last 31 days up to a day from now (on the service’s clock); at most 366 days.
        </p>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Searching…' : 'Search'}
          </button>
          <button
            type="button"
            onClick={() => {
              setFilters(NO_FILTERS);
            }}
          >
            Clear filters
          </button>
        </div>
      </form>

      {results ? (
        <section aria-labelledby="results-title">
          <h2 id="results-title" tabIndex={-1} ref={resultsHeading}>
            Results <span class="subtle">({results.items.length}, newest due first)</span>
          </h2>
          {edited ? (
            <p id="results-filters-help" class="help">
              The filters changed after this search: these results, and “Load more”, are for the filters they
              were found with. Press “Search” for the new filters.
            </p>
          ) : null}
          {results.items.length === 0 ? (
            <p>No notification matches.</p>
          ) : (
            <div class="table-scroll">
              <table class="results">
                <thead>
                  <tr>
                    <th scope="col">Due</th>
                    <th scope="col">User</th>
                    <th scope="col">Type</th>
                    <th scope="col">Local date</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {results.items.map((item) => (
                    <tr key={item.id} aria-current={item.id === selected ? 'true' : undefined}>
                      <td>{formatInstant(item.scheduledFor)}</td>
                      <td>
                        <code>{item.userId}</code>
                      </td>
                      <td>{item.type}</td>
                      <td>{item.localDate}</td>
                      <td>
                        <NotificationStatusBadge status={item.status} />
                      </td>
                      <td class="number">{item.attemptCount}</td>
                      <td>
                        <button
                          type="button"
                          aria-label={`Attempts of the ${item.type} notification of ${item.localDate} for user ${item.userId}`}
                          onClick={() => {
                            setSelected(item.id);
                          }}
                        >
                          Attempts
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {results.nextCursor ? (
            <button
              type="button"
              disabled={busy}
              aria-describedby={edited ? 'results-filters-help' : undefined}
              onClick={() => void search(results)}
            >
              Load more
            </button>
          ) : null}
        </section>
      ) : null}

      {selected ? <NotificationDetailPanel id={selected} key={selected} /> : null}
    </>
  );
}

const sameQuery = (a: Query, b: Query): boolean =>
  (Object.keys(a) as (keyof Query)[]).every((name) => (a[name] ?? '') === (b[name] ?? ''));
