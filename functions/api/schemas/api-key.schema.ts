import { z } from 'zod';
import type { ApiKey } from '#domain/api-key';
import { pageOf, paginationShape, readOnly } from './common.schema';

export const CreateApiKeySchema = z
  .object(
    {
      name: z
        .string({ error: 'name must be a string' })
        .trim()
        .min(1, { error: 'name must not be empty' })
        .max(100, { error: 'name must be at most 100 characters' })
        .meta({ description: 'What the key is for, e.g. "on-call laptop".', examples: ['on-call'] }),
      role: z
        .enum(['admin', 'viewer'], { error: 'role must be "admin" or "viewer"' })
        .meta({ description: '`admin` may do everything; `viewer` may only read.' }),
    },
    { error: 'body must be a JSON object' },
  )
  .strict()
  .meta({ description: 'A new API key.' });

export const ApiKeySchema = z
  .object({
    id: z.string().meta(readOnly('The key id: the part after `occ_` of the key.')),
    name: z.string(),
    role: z.enum(['admin', 'viewer']),
    createdAt: z.iso.datetime().meta(readOnly('When it was created (UTC).')),
    createdBy: z.string().meta(readOnly('The key id that created it (`bootstrap` for ADMIN_API_KEY).')),
    revokedAt: z.iso.datetime().nullable().meta(readOnly('When it was revoked; null while valid.')),
    version: z.int().min(1),
  })
  .strict()
  .meta({ description: 'An API key; its secret is never shown again after creation.' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().meta({ description: 'The full key, to send as `x-api-key`. Shown only in this answer.' }),
}).meta({ description: 'A new API key with its secret, shown once.' });

export const ApiKeyListSchema = pageOf(ApiKeySchema);
export const ListApiKeysQuerySchema = z.object(paginationShape).strict();

export type ApiKeyJson = z.infer<typeof ApiKeySchema>;

export const toApiKeyJson = (key: ApiKey): ApiKeyJson => ({
  id: key.keyId,
  name: key.name,
  role: key.role,
  createdAt: key.createdAt,
  createdBy: key.createdBy,
  revokedAt: key.revokedAt ?? null,
  version: key.version,
});
