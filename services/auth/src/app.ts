import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  LoginBodySchema,
  LogoutRpcBodySchema,
  MESSAGES,
  RefreshBodySchema,
  RegisterBodySchema,
  zodToDetail,
  type AccessClaims,
  type RPC,
  type Jwks,
  type SigningKeysResponse,
  type TokenResponse,
  type UserOut,
} from '@fillsched/contracts';
import { isAlreadyExists, type Logger, type RpcReply, type RpcRequest } from '@fillsched/service-kit';
import jwt from 'jsonwebtoken';
import { createPrivateKey, createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { createApiKeyHandlers, type ApiKeyOptions } from './api-keys';
import type { LoginThrottle } from './login-throttle';
import { passwordProblems } from './password-policy';
import {
  argon2idHasher,
  generateSigningKey,
  kidOf,
  newRefreshToken,
  sha256Hex,
  signingKeyFromPem,
} from './crypto';
import { isSealed, openPrivateKey, sealPrivateKey, type KeyEncryptionKey } from './key-encryption';
import type {
  ApiKeyRepository,
  Clock,
  IdAllocator,
  PasswordHasher,
  RefreshTokenRepository,
  RevocationPublisher,
  SigningKey,
  SigningKeyRepository,
  UserRecord,
  UserRepository,
} from './ports';

export type AuthOp = keyof typeof RPC.auth;
export type AuthHandler = (req: RpcRequest) => Promise<RpcReply>;

export interface AuthAppDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  signingKeys: SigningKeyRepository;
  apiKeys: ApiKeyRepository;
  ids: IdAllocator;
  revocations: RevocationPublisher;
  clock: Clock;
  /** argon2id unless replaced (tests of timing use a counting wrapper). */
  hasher?: PasswordHasher;
  /** Failed-login throttling per account; main.ts always sets it (absent: no throttling, unit tests). */
  loginThrottle?: LoginThrottle;
  logger?: Logger;
}

export interface AuthAppOptions {
  accessTokenMinutes: number;
  refreshTokenDays: number;
  /** Fixed signing key from the environment; else the shared key in the signing-key store. */
  privateKeyPem?: string;
  /** Keys signed with before the last rotation: published (keys, JWKS) so their tokens stay valid. */
  previousKeyPems?: string[];
  /** Seals the generated key stored in the signing-key store (AES-256-GCM). */
  keyEncryptionKey?: KeyEncryptionKey;
  bootstrapAdmin?: { email: string; password: string };
  /** Limits of the API-key operations (api-keys.ts). */
  apiKeys?: ApiKeyOptions;
}

export interface AuthApp {
  handlers: Record<AuthOp, AuthHandler>;
  /** Public part of the active signing key. */
  signingKey: { kid: string; public_key_pem: string };
}

export const USERS_COLLECTION = 'users';
/**
 * A rotation whose successor is not recorded after this long has crashed midway; its token
 * counts as reused from then on.
 */
const IN_FLIGHT_ROTATION_MS = 30_000;

/** Emails are unique case-insensitively: `A@x.io` and `a@x.io` are one account. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

const BEARER = { 'WWW-Authenticate': 'Bearer' };
const unauthorized = (detail: string = MESSAGES.credentials): RpcReply => ({
  status: 401,
  body: { detail },
  headers: { ...BEARER },
});
const invalid = (error: z.ZodError): RpcReply => ({
  status: 422,
  body: { detail: zodToDetail(error, 'body') },
});

/** RFC 7517 JWK of an RS256 verification key. */
function toJwk(kid: string, publicKeyPem: string): Jwks['keys'][number] {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  return { kty: 'RSA', use: 'sig', alg: 'RS256', kid, n: String(jwk.n), e: String(jwk.e) };
}

export function toUserOut(u: UserRecord): UserOut {
  return {
    id: u.id,
    email: u.email,
    full_name: u.full_name,
    is_active: u.is_active,
    is_superuser: u.is_superuser,
    created_at: u.created_at.toISOString(),
  };
}

async function resolveSigningKey(deps: AuthAppDeps, opts: AuthAppOptions): Promise<SigningKey> {
  const now = deps.clock.now();
  if (opts.privateKeyPem) return signingKeyFromPem(opts.privateKeyPem, now);
  const kek = opts.keyEncryptionKey;
  let stored = await deps.signingKeys.getActive();
  if (!stored) {
    // First start of the platform: every replica may get here; the store keeps exactly one.
    const fresh = generateSigningKey(now);
    const candidate = kek
      ? { ...fresh, private_key_pem: sealPrivateKey(fresh.private_key_pem, fresh.kid, kek) }
      : fresh;
    stored = await deps.signingKeys.getOrCreateActive(candidate);
    deps.logger?.info(
      { kid: stored.kid, sealed: isSealed(stored.private_key_pem) },
      'signing key initialised',
    );
  }
  if (isSealed(stored.private_key_pem)) {
    if (!kek) throw new Error(`signing key ${stored.kid} is sealed: set AUTH_KEY_ENCRYPTION_KEY`);
    return { ...stored, private_key_pem: openPrivateKey(stored.private_key_pem, stored.kid, kek) };
  }
  if (kek)
    deps.logger?.error(
      { kid: stored.kid },
      'the stored signing key predates sealing and is in plain text: rotate it (docs/security.md)',
    );
  return stored;
}

/** Public keys of earlier signing keys (public or private PEMs), still accepted after a rotation. */
function previousPublicKeys(pems: string[] = []): Array<{ kid: string; public_key_pem: string }> {
  return pems.map((pem) => {
    const public_key_pem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
    return { kid: kidOf(public_key_pem), public_key_pem };
  });
}

/**
 * The auth service as plain functions of its ports: one handler per RPC.auth operation, each
 * returning the HTTP-shaped reply the gateway passes through. Async because it loads (or
 * creates) the signing key and the optional bootstrap superuser first.
 */
export async function createAuthApp(deps: AuthAppDeps, opts: AuthAppOptions): Promise<AuthApp> {
  const { users, refreshTokens, ids, revocations, clock, logger, loginThrottle } = deps;
  const hasher = deps.hasher ?? argon2idHasher;
  const accessTtlS = Math.round(opts.accessTokenMinutes * 60);
  const refreshTtlMs = opts.refreshTokenDays * 86_400_000;

  const key = await resolveSigningKey(deps, opts);
  // The active key first, then the earlier ones (a kid listed twice is published once).
  const published = [key, ...previousPublicKeys(opts.previousKeyPems)].filter(
    (k, i, all) => all.findIndex((o) => o.kid === k.kid) === i,
  );
  const privateKey: KeyObject = createPrivateKey(key.private_key_pem);
  // Verified instead of a real hash when the email is unknown, so both cases cost one argon2 verify.
  const dummyHash = await hasher.hash(randomBytes(24).toString('base64url'));

  async function issueTokens(
    user: UserRecord,
    sid: string,
  ): Promise<{ tokens: TokenResponse; refreshHash: string }> {
    const now = clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const claims: AccessClaims = {
      sub: String(user.id),
      email: user.email,
      su: user.is_superuser,
      jti: randomUUID(),
      sid,
      typ: 'access',
    };
    const access_token = jwt.sign(
      { ...claims, iss: ACCESS_TOKEN_ISSUER, aud: ACCESS_TOKEN_AUDIENCE, iat, exp: iat + accessTtlS },
      privateKey,
      { algorithm: 'RS256', keyid: key.kid },
    );
    const refresh_token = newRefreshToken();
    const refreshHash = sha256Hex(refresh_token);
    await refreshTokens.insert({
      hash: refreshHash,
      family: sid,
      user_id: user.id,
      created_at: now,
      expires_at: new Date(now.getTime() + refreshTtlMs),
      rotated_at: null,
      replaced_by: null,
      revoked_at: null,
    });
    return {
      tokens: { access_token, token_type: 'bearer', refresh_token, expires_in: accessTtlS },
      refreshHash,
    };
  }

  /** Revokes a session everywhere: its refresh tokens in the store, its access tokens via the gateways. */
  async function revokeSession(sid: string, reason: string): Promise<void> {
    const now = clock.now();
    const count = await refreshTokens.revokeFamily(sid, now);
    await revocations.revokeSession(sid, {
      revoked_at: now.toISOString(),
      // Every access token of the session was issued before now, so none is valid after this.
      exp: Math.floor(now.getTime() / 1000) + accessTtlS,
    });
    logger?.info({ sid, reason, refresh_tokens: count }, 'session revoked');
  }

  async function createUser(
    email: string,
    password: string,
    fullName: string | null,
    superuser: boolean,
  ): Promise<UserRecord> {
    const user: UserRecord = {
      id: await ids.next(USERS_COLLECTION),
      email: email.trim(),
      email_normalized: normalizeEmail(email),
      full_name: fullName,
      password_hash: await hasher.hash(password),
      is_active: true,
      is_superuser: superuser,
      created_at: clock.now(),
    };
    await users.insert(user);
    return user;
  }

  const handlers: Record<AuthOp, AuthHandler> = {
    ...createApiKeyHandlers(deps, opts.apiKeys),

    async register(req) {
      const parsed = RegisterBodySchema.safeParse(req.body);
      if (!parsed.success) return invalid(parsed.error);
      const { email, password, full_name } = parsed.data;
      const weak = passwordProblems(password, email);
      if (weak.length) return { status: 422, body: { detail: weak } };
      const taken = { status: 409, body: { detail: MESSAGES.emailTaken } };
      if (await users.findByEmail(normalizeEmail(email))) return taken;
      try {
        const user = await createUser(email, password, full_name ?? null, false);
        return { status: 201, body: toUserOut(user) };
      } catch (err) {
        // Lost a race with a concurrent registration of the same email.
        if (isAlreadyExists(err)) return taken;
        throw err;
      }
    },

    async login(req) {
      const parsed = LoginBodySchema.safeParse(req.body);
      if (!parsed.success) return invalid(parsed.error);
      const { username, password } = parsed.data;
      const account = normalizeEmail(username);
      // Checked before the password, so a locked account costs no hash and reveals nothing.
      const gate = loginThrottle ? await loginThrottle.acquire(account) : { allowed: true as const };
      if (!gate.allowed) {
        logger?.warn({ account, reason: gate.reason, retry_after_s: gate.retryAfterS }, 'login throttled');
        return {
          status: 429,
          body: { detail: MESSAGES.loginThrottled(gate.retryAfterS) },
          headers: { 'Retry-After': String(gate.retryAfterS) },
        };
      }
      const user = await users.findByEmail(account);
      const ok = user
        ? await hasher.verify(user.password_hash, password)
        : await hasher.verify(dummyHash, password).then(() => false);
      if (!user || !ok) {
        await loginThrottle?.failed(account);
        return unauthorized(MESSAGES.badLogin);
      }
      await loginThrottle?.succeeded(account);
      if (!user.is_active) return { status: 400, body: { detail: MESSAGES.inactiveUser } };
      return { status: 200, body: (await issueTokens(user, randomUUID())).tokens };
    },

    async refresh(req) {
      const parsed = RefreshBodySchema.safeParse(req.body);
      if (!parsed.success) return invalid(parsed.error);
      const hash = sha256Hex(parsed.data.refresh_token);
      const now = clock.now();
      const claimed = await refreshTokens.claimForRotation(hash, now);
      if (!claimed) {
        const known = await refreshTokens.findByHash(hash);
        if (known && known.rotated_at !== null && known.revoked_at === null) {
          const inFlight =
            known.replaced_by === null && now.getTime() - known.rotated_at.getTime() < IN_FLIGHT_ROTATION_MS;
          // Lost a race with a concurrent refresh of the same token whose successor is not issued
          // yet: refuse this one, keep the session. Once the successor exists, a rotated token
          // coming back means it leaked (or a client replayed it): kill the whole session.
          if (inFlight) return unauthorized();
          logger?.warn({ sid: known.family, user_id: known.user_id }, 'refresh token reuse detected');
          await revokeSession(known.family, 'refresh_token_reuse');
        }
        return unauthorized();
      }
      if (claimed.expires_at.getTime() <= now.getTime()) return unauthorized();
      const user = await users.findById(claimed.user_id);
      if (!user || !user.is_active) {
        await revokeSession(claimed.family, 'user_gone_or_inactive');
        return unauthorized();
      }
      const { tokens, refreshHash } = await issueTokens(user, claimed.family);
      // A reuse or logout may have revoked the family while we were issuing; checked after our
      // insert, so either that revocation covered the new token or we see it here.
      if (await refreshTokens.isFamilyRevoked(claimed.family)) {
        await refreshTokens.revokeFamily(claimed.family, clock.now());
        return unauthorized();
      }
      await refreshTokens.markReplaced(hash, refreshHash);
      return { status: 200, body: tokens };
    },

    async logout(req) {
      if (!req.user) return unauthorized();
      const parsed = LogoutRpcBodySchema.safeParse(req.body);
      if (!parsed.success) return invalid(parsed.error);
      const { sid, refresh_token } = parsed.data;
      await revokeSession(sid, 'logout');
      if (refresh_token) {
        // A refresh token of another session of the same user is revoked too; others' are ignored.
        const t = await refreshTokens.findByHash(sha256Hex(refresh_token));
        if (t && t.user_id === req.user.id && t.family !== sid) await revokeSession(t.family, 'logout');
      }
      return { status: 200, body: { message: 'Successfully logged out' } };
    },

    async me(req) {
      if (!req.user) return unauthorized();
      const user = await users.findById(req.user.id);
      if (!user || !user.is_active) return unauthorized();
      return { status: 200, body: toUserOut(user) };
    },

    async keys() {
      const body: SigningKeysResponse = {
        keys: published.map((k) => ({ kid: k.kid, alg: 'RS256', public_key_pem: k.public_key_pem })),
      };
      return { status: 200, body };
    },

    async jwks() {
      const body: Jwks = { keys: published.map((k) => toJwk(k.kid, k.public_key_pem)) };
      return { status: 200, body, headers: { 'Cache-Control': 'public, max-age=300' } };
    },
  };

  if (opts.bootstrapAdmin) {
    const { email, password } = opts.bootstrapAdmin;
    const weak = passwordProblems(password, email);
    if (weak.length)
      logger?.warn(
        { problems: weak.map((w) => w.msg) },
        'AUTH_BOOTSTRAP_ADMIN_PASSWORD fails the password policy',
      );
    let admin = await users.findByEmail(normalizeEmail(email));
    if (!admin) {
      try {
        admin = await createUser(email, password, null, true);
        logger?.info({ user_id: admin.id, email: admin.email }, 'bootstrap superuser created');
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        admin = await users.findByEmail(normalizeEmail(email)); // another replica created it
      }
    }
    // Idempotent: an existing account is promoted (its password is left as it is).
    if (admin && (!admin.is_superuser || !admin.is_active)) {
      await users.setFlags(admin.id, { is_superuser: true, is_active: true });
      logger?.info({ user_id: admin.id }, 'bootstrap superuser promoted');
    }
  }

  return { handlers, signingKey: { kid: key.kid, public_key_pem: key.public_key_pem } };
}
