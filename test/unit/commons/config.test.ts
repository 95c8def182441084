import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  apiConfigSpec,
  authorizerConfigSpec,
  schedulerConfigSpec,
  workerConfigSpec,
  parseConfig,
} from '#commons/config';

describe('parseConfig', () => {
  it('given every variable, then a typed config', () => {
    expect(
      parseConfig(apiConfigSpec, { TABLE_NAME: 'occasions', DUE_SHARDS: '8', QUEUE_URL: 'q', DLQ_URL: 'd' }),
    ).toMatchObject({ tableName: 'occasions', dueShards: 8, queueUrl: 'q', deadLetterQueueUrl: 'd' });
  });

  it('given missing variables, then one error naming each of them', () => {
    expect(() => parseConfig(apiConfigSpec, {})).toThrow(ConfigError);
    expect(() => parseConfig(apiConfigSpec, {})).toThrow(/TABLE_NAME is required.*DUE_SHARDS is required/);
  });

  it.each(['0', '-1', '1.5', 'eight', '1001', ''])(
    'given DUE_SHARDS=%j, then an error naming it',
    (value) => {
      expect(() => parseConfig(apiConfigSpec, { TABLE_NAME: 't', DUE_SHARDS: value })).toThrow(/DUE_SHARDS/);
    },
  );

  it('given a blank ADMIN_API_KEY_SECRET_ARN, then it counts as missing', () => {
    expect(() => parseConfig(authorizerConfigSpec, { ADMIN_API_KEY_SECRET_ARN: '  ' })).toThrow(
      /ADMIN_API_KEY_SECRET_ARN is required/,
    );
  });

  it('given the worker without its webhook settings, then every missing variable is named at once', () => {
    expect(() => parseConfig(workerConfigSpec, { TABLE_NAME: 't', DUE_SHARDS: '8', QUEUE_URL: 'q' })).toThrow(
      /DLQ_URL is required.*EVENT_BUS_NAME is required.*WEBHOOK_URL is required.*WEBHOOK_SECRET_ARN is required/,
    );
  });

  it('given the scheduler without MAX_LATENESS_HOURS, then it defaults to 48', () => {
    const config = parseConfig(schedulerConfigSpec, {
      TABLE_NAME: 't',
      DUE_SHARDS: '8',
      QUEUE_URL: 'q',
      EVENT_BUS_NAME: 'b',
    });
    expect(config.maxLatenessHours).toBe(48);
  });
});
