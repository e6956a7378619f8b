import {
  API_KEY_MESSAGES,
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  API_KEYS_PER_USER_MAX,
  ApiKeyIdParamSchema,
  ApiKeyVerifyBodySchema,
  CreateApiKeyBodySchema,
  apiKeyPrefix,
  parseApiKey,
  zodToDetail,
  type ApiKeyCreated,
  type ApiKeyList,
  type ApiKeyOut,
  type ApiKeyScope,
  type ApiKeyVerified,
  type RPC,
} from '@fillsched/contracts';
import {
  detail,
  isAlreadyExists,
  reply,
  unauthorized,
  unprocessable,
  type Logger,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from './crypto';
import type { ApiKeyRecord, ApiKeyRepository, Clock, UserRepository } from './ports';

export type ApiKeyOp = Extract<keyof typeof RPC.auth, `apiKey${string}`>;
type Handler = (req: RpcRequest) => Promise<RpcReply>;

export interface ApiKeyDeps {
  apiKeys: ApiKeyRepository;
  users: UserRepository;
  clock: Clock;
  logger?: Logger;
}

export interface ApiKeyOptions {
  /** Live keys per user (default API_KEYS_PER_USER_MAX). */
  maxPerUser?: number;
  /** A use is written to last_used_at at most this often per key (default one minute). */
  touchIntervalMs?: number;
}

/** 16 hex characters (64 random bits): names the record, not secret. */
const newPublicId = (): string => randomBytes(8).toString('hex');
/** 256 random bits, base64url (43 characters). */
const newSecret = (): string => randomBytes(32).toString('base64url');

/** Equal-time comparison of two hex SHA-256 digests. */
function sameDigest(a: string, b: string): boolean {
  const x = Uint8Array.from(Buffer.from(a, 'hex'));
  const y = Uint8Array.from(Buffer.from(b, 'hex'));
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toApiKeyOut(k: ApiKeyRecord): ApiKeyOut {
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes.filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)),
    prefix: apiKeyPrefix(k.id),
    created_at: k.created_at.toISOString(),
    last_used_at: iso(k.last_used_at),
    expires_at: iso(k.expires_at),
    revoked_at: iso(k.revoked_at),
  };
}

const isLive = (k: ApiKeyRecord, now: Date): boolean =>
  k.revoked_at === null && (k.expires_at === null || k.expires_at.getTime() > now.getTime());

/**
 * The API-key operations of the auth service. Keys are created, listed and revoked by their owner
 * (a user access token: the gateway refuses API keys on these routes); `verify` is the gateway's
 * lookup of a presented key: one read by public id, an equal-time compare of the secret's SHA-256,
 * then the owner (who must still be active).
 */
export function createApiKeyHandlers(deps: ApiKeyDeps, opts: ApiKeyOptions = {}): Record<ApiKeyOp, Handler> {
  const { apiKeys, users, clock, logger } = deps;
  const maxPerUser = opts.maxPerUser ?? API_KEYS_PER_USER_MAX;
  const touchIntervalMs = opts.touchIntervalMs ?? 60_000;

  return {
    async apiKeyCreate(req) {
      if (!req.user) return unauthorized();
      const parsed = CreateApiKeyBodySchema.safeParse(req.body);
      if (!parsed.success) return unprocessable(zodToDetail(parsed.error, 'body'));
      const { name, scopes, expires_at } = parsed.data;
      // An access token outlives a deactivation by up to its lifetime: no new keys meanwhile.
      const owner = await users.findById(req.user.id);
      if (!owner || !owner.is_active) return unauthorized();
      const now = clock.now();
      const expires = expires_at ? new Date(expires_at) : null;
      if (expires && expires.getTime() <= now.getTime())
        return unprocessable([
          { loc: ['body', 'expires_at'], msg: API_KEY_MESSAGES.expiresInPast, type: 'value_error' },
        ]);
      // Checked, then inserted: two creates racing at the limit may both pass (one key over it).
      if ((await apiKeys.countLive(req.user.id, now)) >= maxPerUser)
        return detail(409, API_KEY_MESSAGES.tooMany(maxPerUser));
      const secret = newSecret();
      for (let attempt = 0; ; attempt++) {
        const record: ApiKeyRecord = {
          id: newPublicId(),
          user_id: req.user.id,
          name,
          scopes,
          secret_hash: sha256Hex(secret),
          created_at: now,
          expires_at: expires,
          revoked_at: null,
          last_used_at: null,
        };
        try {
          await apiKeys.insert(record);
        } catch (err) {
          // 64-bit ids collide only by a miracle; try a fresh one rather than fail.
          if (isAlreadyExists(err) && attempt < 2) continue;
          throw err;
        }
        logger?.info({ user_id: req.user.id, key_id: record.id, scopes }, 'api key created');
        const body: ApiKeyCreated = {
          ...toApiKeyOut(record),
          key: `${API_KEY_PREFIX}${record.id}_${secret}`,
        };
        return reply(201, body);
      }
    },

    async apiKeyList(req) {
      if (!req.user) return unauthorized();
      const body: ApiKeyList = { items: (await apiKeys.listByUser(req.user.id)).map(toApiKeyOut) };
      return reply(200, body);
    },

    async apiKeyRevoke(req) {
      if (!req.user) return unauthorized();
      const parsed = ApiKeyIdParamSchema.safeParse(req.params ?? {});
      if (!parsed.success) return unprocessable(zodToDetail(parsed.error, 'path'));
      const revoked = await apiKeys.revoke(req.user.id, parsed.data.id, clock.now());
      // Another user's key is indistinguishable from an unknown one.
      if (!revoked) return detail(404, API_KEY_MESSAGES.notFound);
      logger?.info({ user_id: req.user.id, key_id: revoked.id }, 'api key revoked');
      return reply(204, null);
    },

    async apiKeyVerify(req) {
      const parsed = ApiKeyVerifyBodySchema.safeParse(req.body);
      const key = parsed.success ? parseApiKey(parsed.data.key) : null;
      if (!key) return unauthorized();
      const record = await apiKeys.findById(key.publicId);
      const now = clock.now();
      // An unknown id still costs a hash, so "unknown" and "wrong secret" take the same time here.
      const presented = sha256Hex(key.secret);
      if (!record || !sameDigest(record.secret_hash, presented) || !isLive(record, now))
        return unauthorized();
      const owner = await users.findById(record.user_id);
      if (!owner || !owner.is_active) return unauthorized();
      if (!record.last_used_at || now.getTime() - record.last_used_at.getTime() >= touchIntervalMs)
        // Bookkeeping only: a failed write must not fail the request.
        apiKeys
          .touch(record.id, now)
          .catch((err: unknown) =>
            logger?.warn({ err: (err as Error).message, key_id: record.id }, 'recording api key use failed'),
          );
      const body: ApiKeyVerified = {
        key_id: record.id,
        // Least privilege: a key never acts with its owner's superuser rights.
        user: { id: owner.id, email: owner.email, is_superuser: false },
        scopes: toApiKeyOut(record).scopes,
      };
      return reply(200, body);
    },
  };
}
