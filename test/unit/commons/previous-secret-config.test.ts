import { describe, expect, it } from 'vitest';
import { parseConfig, workerConfigSpec } from '#commons/config';
import { localConfigFromEnv } from '#local/local-config';
import { WORKER_ENV } from '../../support/worker-env';

const PREVIOUS = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('the global secret being rotated out', () => {
  it('given neither variable, then no rotation is under way', () => {
    expect(parseConfig(workerConfigSpec, WORKER_ENV).webhookPreviousSecret).toBeUndefined();
    expect(localConfigFromEnv({}).webhookPreviousSecret).toBeUndefined();
  });

  it('given both, then the secret (or its ARN) and the end of the overlap', () => {
    const aws = parseConfig(workerConfigSpec, {
      ...WORKER_ENV,
      WEBHOOK_PREVIOUS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:old',
      WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: '2027-06-15T09:00:00Z',
    });
    expect(aws.webhookPreviousSecret).toEqual({
      value: 'arn:aws:secretsmanager:us-east-1:1:secret:old',
      expiresAt: Date.parse('2027-06-15T09:00:00Z'),
    });
    const local = localConfigFromEnv({
      WEBHOOK_PREVIOUS_SECRET: PREVIOUS,
      WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: '2027-06-15T09:00:00Z',
    });
    expect(local.webhookPreviousSecret).toEqual({
      secret: PREVIOUS,
      expiresAt: Date.parse('2027-06-15T09:00:00Z'),
    });
  });

  it.each([
    [
      { WEBHOOK_PREVIOUS_SECRET: PREVIOUS },
      /WEBHOOK_PREVIOUS_SECRET needs WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT/,
    ],
    [{ WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: '2027-06-15T09:00:00Z' }, /set both or neither/],
    [
      { WEBHOOK_PREVIOUS_SECRET: PREVIOUS, WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: 'tomorrow' },
      /WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT must be an ISO-8601 instant/,
    ],
    [
      { WEBHOOK_PREVIOUS_SECRET: 'hunter2', WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT: '2027-06-15T09:00:00Z' },
      /WEBHOOK_PREVIOUS_SECRET must be whsec_/,
    ],
  ])('given %j, then the start fails naming the variable', (env, message) => {
    expect(() => localConfigFromEnv(env)).toThrow(message);
  });
});
