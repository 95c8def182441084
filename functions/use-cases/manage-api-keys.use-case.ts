import { isoOf, type Clock } from '#commons/clock';
import { NotFoundError, VersionMismatchError } from '#commons/errors';
import type { Role } from '#api/router';
import { generateApiKey, keyIdOf, type ApiKey } from '#domain/api-key';
import { createIdGenerator } from '#domain/ids';
import type { ApiKeyPage, ApiKeyRepository } from '#ports/api-key-repository';

/** Creating, listing and revoking API keys. Secrets exist in clear only in `create`'s answer. */
export class ManageApiKeys {
  private readonly keys: ApiKeyRepository;
  private readonly clock: Clock;
  private readonly newId: () => string;

  constructor(deps: { keys: ApiKeyRepository; clock: Clock; newId?: () => string }) {
    this.keys = deps.keys;
    this.clock = deps.clock;
    this.newId = deps.newId ?? createIdGenerator(deps.clock);
  }

  /** @returns the stored key and the full key, which is never available again. */
  async create(
    input: { name: string; role: Role },
    createdBy: string,
  ): Promise<{ apiKey: ApiKey; key: string }> {
    const keyId = keyIdOf(this.newId());
    const { key, secretHash } = generateApiKey(keyId);
    const apiKey: ApiKey = {
      keyId,
      name: input.name,
      role: input.role,
      secretHash,
      createdAt: isoOf(this.clock.now()),
      createdBy,
      version: 1,
    };
    await this.keys.create(apiKey);
    return { apiKey, key };
  }

  async get(keyId: string): Promise<ApiKey> {
    const key = await this.keys.get(keyId);
    if (!key) throw new NotFoundError('API key', keyId);
    return key;
  }

  list(limit: number, cursor?: string): Promise<ApiKeyPage> {
    return this.keys.list(limit, cursor);
  }

  /**
   * Revokes a key for good (it stays listed, with `revokedAt`, for the audit trail). Revoking a
   * revoked key changes nothing.
   * @returns the key before and after
   */
  async revoke(keyId: string, expectedVersion?: number): Promise<{ before: ApiKey; after: ApiKey }> {
    const before = await this.get(keyId);
    if (expectedVersion !== undefined && expectedVersion !== before.version) {
      throw new VersionMismatchError('API key', expectedVersion, before.version);
    }
    if (before.revokedAt !== undefined) return { before, after: before };
    const after: ApiKey = { ...before, revokedAt: isoOf(this.clock.now()), version: before.version + 1 };
    await this.keys.save(after);
    return { before, after };
  }
}
