import type { ApiKey } from '#domain/api-key';

export interface ApiKeyPage {
  items: ApiKey[];
  nextCursor: string | null;
}

/** Stored API keys (hashed secrets only). Storage only; the rules are in the use cases. */
export interface ApiKeyRepository {
  /** @throws AlreadyExistsError when the key id is taken. */
  create(key: ApiKey): Promise<void>;
  get(keyId: string): Promise<ApiKey | undefined>;
  /** Writes `key` if the stored version is `key.version - 1`; @throws ConflictError otherwise. */
  save(key: ApiKey): Promise<void>;
  /** Oldest first. @throws InvalidCursorError for a cursor this service did not issue. */
  list(limit: number, cursor?: string): Promise<ApiKeyPage>;
}
