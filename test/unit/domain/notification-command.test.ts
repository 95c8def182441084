import { describe, expect, it } from 'vitest';
import { claim, newOccurrence, scheduleRetry, markDelivered, type Occurrence } from '#domain/occurrence';
import { adminCancel, adminReschedule, CANCELLED_BY_ADMIN } from '#domain/notification-command';

const NOW = Date.parse('2027-06-15T09:00:00Z');
const queued = (): Occurrence =>
  newOccurrence(
    {
      occurrenceId: 'occ_1',
      userId: 'u',
      eventKey: 'birthday',
      localDate: '2027-06-15',
      timezone: 'UTC',
      scheduledFor: NOW,
      fingerprint: '1990-06-15|UTC',
    },
    NOW,
    false,
  );

describe('admin commands on one notification', () => {
  it('given a queued notification, when cancelled, then it is cancelled by an admin, unwatched, one version on', () => {
    const result = adminCancel(queued(), NOW + 1);
    expect(result.ok && result.occurrence).toMatchObject({
      status: 'cancelled',
      statusReason: CANCELLED_BY_ADMIN,
      watchAt: undefined,
      version: 2,
    });
  });

  it('given an attempt in flight, then neither command applies; once its lease expired, both do', () => {
    const sending = claim(queued(), 'worker', NOW, 60_000);
    expect(adminCancel(sending, NOW + 1).ok).toBe(false);
    expect(adminReschedule(sending, NOW + 1, NOW + 3_600_000).ok).toBe(false);
    expect(adminCancel(sending, NOW + 61_000).ok).toBe(true);
  });

  it('given a final notification, then it is refused', () => {
    const delivered = markDelivered(claim(queued(), 'w', NOW, 1_000), NOW + 1);
    expect(adminCancel(delivered, NOW + 2)).toEqual({
      ok: false,
      reason: 'the notification is delivered, not pending',
    });
  });

  it('given a retrying notification, when moved, then its next attempt and watch move and it stays retrying', () => {
    const retrying = scheduleRetry(claim(queued(), 'w', NOW, 1_000), NOW + 1, NOW + 5_000, 'HTTP 503');
    const at = NOW + 3 * 3_600_000;
    const result = adminReschedule(retrying, NOW + 2, at);
    expect(result.ok && result.occurrence).toMatchObject({
      status: 'retrying',
      nextAttemptAt: at,
      watchAt: at + 15 * 60_000,
      occurrenceId: 'occ_1',
      localDate: '2027-06-15',
    });
  });

  it('given an instant in the past, when moved, then it is due now', () => {
    const result = adminReschedule(queued(), NOW + 10, NOW - 3_600_000);
    expect(result.ok && result.occurrence.nextAttemptAt).toBe(NOW + 10);
  });
});
