import type { Principal } from '#api/router';
import { isAuthorizedApiKey } from '#api/auth';
import type { Clock } from '#commons/clock';
import { parseApiKey, secretMatches, type ApiKey } from '#domain/api-key';
import type { ApiKeyRepository } from '#ports/api-key-repository';

/** The key id of the bootstrap credential (ADMIN_API_KEY locally, a secret in AWS). */
export const BOOTSTRAP_KEY_ID = 'bootstrap';

/**
 * Who a presented `x-api-key` is: the bootstrap admin key, or a stored key that is not revoked.
 * The same code runs in the AWS authorizer and in the local API Gateway stand-in, so roles and
 * revocation behave alike. Stored keys are cached for `cacheMs` per container (a revocation
 * takes at most that long to bite; 0 locally).
 */
export class Authenticate {
  private readonly bootstrapKey: () => Promise<string>;
  private readonly keys: Pick<ApiKeyRepository, 'get'>;
  private readonly clock: Clock;
  private readonly cacheMs: number;
  private readonly cache = new Map<string, { key: ApiKey | undefined; until: number }>();

  constructor(deps: {
    bootstrapKey: () => Promise<string>;
    keys: Pick<ApiKeyRepository, 'get'>;
    clock: Clock;
    cacheMs?: number;
  }) {
    this.bootstrapKey = deps.bootstrapKey;
    this.keys = deps.keys;
    this.clock = deps.clock;
    this.cacheMs = deps.cacheMs ?? 0;
  }

  async principalOf(presented: string | undefined): Promise<Principal | undefined> {
    if (presented === undefined || presented === '') return undefined;
    const parsed = parseApiKey(presented);
    if (parsed === undefined) {
      return isAuthorizedApiKey(presented, await this.bootstrapKey())
        ? { keyId: BOOTSTRAP_KEY_ID, role: 'admin' }
        : undefined;
    }
    const key = await this.storedKey(parsed.keyId);
    if (!key || key.revokedAt !== undefined || !secretMatches(parsed.secret, key.secretHash))
      return undefined;
    return { keyId: key.keyId, role: key.role };
  }

  private async storedKey(keyId: string): Promise<ApiKey | undefined> {
    const now = this.clock.now();
    const cached = this.cache.get(keyId);
    if (cached && cached.until > now) return cached.key;
    const key = await this.keys.get(keyId);
    if (this.cacheMs > 0) this.cache.set(keyId, { key, until: now + this.cacheMs });
    return key;
  }
}
