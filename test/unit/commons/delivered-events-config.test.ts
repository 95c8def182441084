import { describe, expect, it } from 'vitest';
import { parseConfig, workerConfigSpec } from '#commons/config';
import { localConfigFromEnv } from '#local/local-config';
import { WORKER_ENV } from '../../support/worker-env';

describe('PUBLISH_DELIVERED_EVENTS', () => {
  it('given nothing, then no NotificationDelivered events (in AWS and locally)', () => {
    expect(parseConfig(workerConfigSpec, WORKER_ENV).publishDeliveredEvents).toBe(false);
    expect(localConfigFromEnv({}).publishDeliveredEvents).toBe(false);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['false', false],
  ])('given %s, then %s', (value, expected) => {
    expect(
      parseConfig(workerConfigSpec, { ...WORKER_ENV, PUBLISH_DELIVERED_EVENTS: value })
        .publishDeliveredEvents,
    ).toBe(expected);
    expect(localConfigFromEnv({ PUBLISH_DELIVERED_EVENTS: value }).publishDeliveredEvents).toBe(expected);
  });

  it('given anything else, then the start fails naming the variable', () => {
    expect(() => parseConfig(workerConfigSpec, { ...WORKER_ENV, PUBLISH_DELIVERED_EVENTS: 'yes' })).toThrow(
      /PUBLISH_DELIVERED_EVENTS must be true or false/,
    );
    expect(() => localConfigFromEnv({ PUBLISH_DELIVERED_EVENTS: '1' })).toThrow(/PUBLISH_DELIVERED_EVENTS/);
  });
});
