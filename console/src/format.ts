/*
 * Times are shown in UTC, the zone every API answer and every input of the console uses, so what
 * an operator reads here matches logs, the API and the webhook's scheduledFor.
 */

/** `2027-06-15T09:00:00.000Z` → `2027-06-15 09:00:00 UTC`; `—` for none. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Hours and minutes only, for chart axes: `09:05`. */
export function formatClock(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16);
}

/** A datetime-local input's value (`2027-06-15T09:00`), read as UTC, as an ISO instant. */
export function instantFromInput(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An ISO instant as a datetime-local input's value, in UTC. */
export function inputFromInstant(iso: string): string {
  return new Date(iso).toISOString().slice(0, 16);
}

/** Readable numbers: integers as they are, the rest to 3 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en');
  return Number(value.toPrecision(3)).toLocaleString('en');
}
