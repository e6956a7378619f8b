import { z } from 'zod';
import { apiSchemas, NullableTimestamp, Timestamp } from './common';

/**
 * API keys: long-lived read-only credentials for services of other teams (an MES, a report job)
 * that prefer REST over the Kafka mirror. A key carries read scopes only; the gateway refuses it on
 * every route that does not declare one of them (writes, key management, configs) with 403.
 */
export const API_KEY_SCOPES = ['schedules:read', 'comparisons:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Longest key name (characters, after trimming). */
export const API_KEY_NAME_MAX = 100;
/** Live (not revoked, not expired) keys one user may hold; a create beyond it is a 409. */
export const API_KEYS_PER_USER_MAX = 10;

/**
 * `fsk_<public id>_<secret>`: `fsk_` marks the credential (secret scanners can match it), the
 * public id (16 hex characters) names the stored record, the secret is 256 random bits in
 * base64url (43 characters, may contain `_` and `-`). Only a SHA-256 of the secret is stored.
 */
export const API_KEY_PREFIX = 'fsk_';
export const API_KEY_PATTERN = /^fsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** Header an API key may come in instead of `Authorization: Bearer <key>`. */
export const API_KEY_HEADER = 'X-API-Key';

export interface ParsedApiKey {
  publicId: string;
  secret: string;
}

/** The parts of a well-formed key, or null: checked before any lookup, so garbage costs nothing. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const m = API_KEY_PATTERN.exec(key);
  return m ? { publicId: m[1], secret: m[2] } : null;
}

/** The non-secret part of a key (`fsk_<public id>`), shown in lists so a user can tell keys apart. */
export const apiKeyPrefix = (publicId: string): string => `${API_KEY_PREFIX}${publicId}`;

const scopeList = API_KEY_SCOPES.join(', ');
const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES, {
  error: (issue) => `Unknown scope ${JSON.stringify(issue.input)}: must be one of [${scopeList}]`,
});

export const CreateApiKeyBodySchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Name must not be empty')
      .max(API_KEY_NAME_MAX, `Name must be at most ${API_KEY_NAME_MAX} characters`)
      .describe('What the key is for, e.g. the consuming system'),
    scopes: z
      .array(ApiKeyScopeSchema)
      .min(1, `At least one scope is required: one or more of [${scopeList}]`)
      .max(API_KEY_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'Each scope may be given once')
      .describe(`Read scopes the key grants: ${scopeList}`),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the key stops working (ISO 8601 with offset, in the future); none: until revoked'),
  })
  .register(apiSchemas, {
    id: 'ApiKeyCreate',
    examples: [{ name: 'MES plan reader', scopes: ['schedules:read'], expires_at: '2036-01-01T00:00:00Z' }],
  });
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBodySchema>;

const KEY_ID_EXAMPLE = '3f9a0c5e7b21d4a6';
const KEY_EXAMPLE = `fsk_${KEY_ID_EXAMPLE}_Jm0bYg1u0tXb5hQ2yVZ8mJ7x1c9fK4s6dLwPeRtA0qX`;

const apiKeyFields = {
  id: z.string().describe('The key id (its public part), used to revoke it'),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  prefix: z
    .string()
    .describe('`fsk_<id>`: the start of the key, to recognise it (the secret is never shown again)'),
  created_at: Timestamp,
  last_used_at: NullableTimestamp.describe('Last authenticated request (updated at most once a minute)'),
  expires_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
};
const KEY_OUT_EXAMPLE = {
  id: KEY_ID_EXAMPLE,
  name: 'MES plan reader',
  scopes: ['schedules:read' as const],
  prefix: `fsk_${KEY_ID_EXAMPLE}`,
  created_at: '2026-11-29T12:00:00.000Z',
  last_used_at: null,
  expires_at: '2036-01-01T00:00:00.000Z',
  revoked_at: null,
};

export const ApiKeyOutSchema = z
  .object(apiKeyFields)
  .register(apiSchemas, { id: 'ApiKey', examples: [KEY_OUT_EXAMPLE] });
export type ApiKeyOut = z.infer<typeof ApiKeyOutSchema>;

export const ApiKeyCreatedSchema = z
  .object({
    ...apiKeyFields,
    key: z.string().describe('The key itself: shown in this response only, store it now'),
  })
  .register(apiSchemas, { id: 'ApiKeyCreated', examples: [{ ...KEY_OUT_EXAMPLE, key: KEY_EXAMPLE }] });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreatedSchema>;

export const ApiKeyListSchema = z
  .object({ items: z.array(ApiKeyOutSchema) })
  .register(apiSchemas, { id: 'ApiKeyList', examples: [{ items: [KEY_OUT_EXAMPLE] }] });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

export const ApiKeyIdParamSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/, 'An API key id is 16 hexadecimal characters'),
});

/** Body of the internal `apikey.verify` RPC (gateway → auth): the key as the client sent it. */
export const ApiKeyVerifyBodySchema = z.object({ key: z.string().regex(API_KEY_PATTERN) });
/** 200 reply of `apikey.verify`: whose key it is and what it may read; 401 `{detail}` otherwise. */
export const ApiKeyVerifiedSchema = z.object({
  key_id: z.string(),
  user: z.object({ id: z.number().int(), email: z.string(), is_superuser: z.boolean() }),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
});
export type ApiKeyVerified = z.infer<typeof ApiKeyVerifiedSchema>;

export const API_KEY_MESSAGES = {
  /** 403 on a route that declares no API-key scope (writes, key management, configs, /auth/me). */
  routeNotAllowed:
    'API keys are read-only: this endpoint needs a user access token (log in); ' +
    'API keys work on GET endpoints of schedules (schedules:read) and comparisons (comparisons:read)',
  /** 403 on a read route whose scope the key lacks. */
  missingScope: (scope: ApiKeyScope) => `This API key lacks the scope '${scope}' this endpoint needs`,
  /** 400 when a request carries both kinds of credential. */
  twoCredentials: 'Send either Authorization or X-API-Key, not both',
  tooMany: (max: number) =>
    `Too many API keys: at most ${max} live keys per user; revoke one (DELETE /api/v1/auth/api-keys/{id}) first`,
  notFound: 'API key not found',
  expiresInPast: 'expires_at must be in the future',
} as const;
