import { describe, expect, it } from 'vitest';
import { ConfigError, envWebhookUrlPolicy, parseConfig, workerConfigSpec } from '#commons/config';
import { localConfigFromEnv } from '#local/local-config';
import { WORKER_ENV } from '../../support/worker-env';

describe('WEBHOOK_ALLOWED_HOSTS at start', () => {
  it('given it is absent, when the worker config is parsed, then https is required and nothing private is allowed', () => {
    const { webhookUrlPolicy } = parseConfig(workerConfigSpec, WORKER_ENV);

    expect(webhookUrlPolicy.requireHttps).toBe(true);
    expect(webhookUrlPolicy.allowed.entries).toEqual([]);
  });

  it('given entries, when the worker config is parsed, then they are typed once', () => {
    const { webhookUrlPolicy } = parseConfig(workerConfigSpec, {
      ...WORKER_ENV,
      WEBHOOK_ALLOWED_HOSTS: 'hooks.internal:8443, 10.0.0.0/8',
    });

    expect(webhookUrlPolicy.allowed.entries).toEqual([
      { kind: 'name', host: 'hooks.internal', port: 8443 },
      { kind: 'cidr', network: '10.0.0.0', prefix: 8, family: 'ipv4' },
    ]);
  });

  it('given a malformed entry, when the worker config is parsed, then start fails naming the variable and the entry', () => {
    expect(() =>
      parseConfig(workerConfigSpec, { ...WORKER_ENV, WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/8, 10.0.0.0/40' }),
    ).toThrow(
      'invalid configuration: WEBHOOK_ALLOWED_HOSTS: entry "10.0.0.0/40" is not a host, host:port or CIDR: the prefix length must be 0..32',
    );
  });

  it('given the local runtime, when its environment is read, then http is allowed and the list is parsed', () => {
    const config = localConfigFromEnv({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:9000' });

    expect(config.webhookUrlPolicy.requireHttps).toBe(false);
    expect(config.webhookUrlPolicy.allowed.entries).toEqual([
      { kind: 'address', address: '127.0.0.1', family: 'ipv4', port: 9000 },
    ]);
  });

  it('given the local runtime and a malformed entry, when its environment is read, then it fails at start', () => {
    expect(() => localConfigFromEnv({ WEBHOOK_ALLOWED_HOSTS: 'https://x' })).toThrow(ConfigError);
    expect(() =>
      envWebhookUrlPolicy('WEBHOOK_ALLOWED_HOSTS', { requireHttps: false })({
        WEBHOOK_ALLOWED_HOSTS: 'a:b:c',
      }),
    ).toThrow(/WEBHOOK_ALLOWED_HOSTS: entry "a:b:c"/);
  });
});
