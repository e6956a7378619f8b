import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  AccessClaimsSchema,
  JwksSchema,
  MESSAGES,
  SigningKeysResponseSchema,
  TokenResponseSchema,
  UserOutSchema,
  type TokenResponse,
} from '@fillsched/contracts';
import { MemoryIdAllocator, type RpcReply, type RpcUser } from '@fillsched/service-kit';
import jwt from 'jsonwebtoken';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  FakeClock,
  MemoryApiKeyRepository,
  MemoryRefreshTokenRepository,
  MemoryRevocationPublisher,
  MemorySigningKeyRepository,
  MemoryUserRepository,
} from './adapters/memory';
import { createAuthApp, type AuthAppDeps, type AuthAppOptions } from './app';
import { argon2idHasher, kidOf, sha256Hex } from './crypto';
import { parseKek } from './key-encryption';
import { createLoginThrottle, memoryLoginLimiters } from './login-throttle';
import type { PasswordHasher } from './ports';

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const PASSWORD = 'SecurePass123!';

/** argon2id, counting verifications (the unknown-email path must verify too). */
function countingHasher(): PasswordHasher & { verifies: number } {
  const h = {
    verifies: 0,
    hash: (pw: string) => argon2idHasher.hash(pw),
    verify: (hash: string, pw: string) => {
      h.verifies++;
      return argon2idHasher.verify(hash, pw);
    },
  };
  return h;
}

async function setup(opts: Partial<AuthAppOptions> = {}, overrides: Partial<AuthAppDeps> = {}) {
  const deps = {
    users: new MemoryUserRepository(),
    refreshTokens: new MemoryRefreshTokenRepository(),
    apiKeys: new MemoryApiKeyRepository(),
    signingKeys: new MemorySigningKeyRepository(),
    ids: new MemoryIdAllocator(),
    revocations: new MemoryRevocationPublisher(),
    clock: new FakeClock('2026-03-01T10:00:00.000Z'),
    hasher: countingHasher(),
  };
  const all = { ...deps, ...overrides };
  const app = await createAuthApp(all, {
    accessTokenMinutes: 30,
    refreshTokenDays: 7,
    privateKeyPem: PEM,
    ...opts,
  });
  const h = app.handlers;
  const register = (email = 'user@example.com', password = PASSWORD) =>
    h.register({ body: { email, password } });
  const login = async (username = 'user@example.com', password = PASSWORD) => {
    const r = await h.login({ body: { username, password } });
    expect(r.status).toBe(200);
    return r.body as TokenResponse;
  };
  const claimsOf = (token: string) => jwt.decode(token) as Record<string, unknown>;
  const userOf = (token: string): RpcUser => {
    const c = claimsOf(token);
    return { id: Number(c.sub), email: String(c.email), is_superuser: Boolean(c.su) };
  };
  return { ...deps, app, h, register, login, claimsOf, userOf };
}

function expectCredentials401(r: RpcReply, detail: string = MESSAGES.credentials) {
  expect(r).toEqual({ status: 401, body: { detail }, headers: { 'WWW-Authenticate': 'Bearer' } });
}

describe('register', () => {
  it('creates a user with an integer id and answers 201 with UserOut', async () => {
    const t = await setup();
    const r = await t.register('user@example.com');
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: 1,
      email: 'user@example.com',
      full_name: null,
      is_active: true,
      is_superuser: false,
      created_at: '2026-03-01T10:00:00.000Z',
    });
    expect(UserOutSchema.strict().parse(r.body)).toBeTruthy();
    expect((await t.register('second@example.com')).body).toMatchObject({ id: 2 });
  });

  it('stores an argon2id hash, never the password', async () => {
    const t = await setup();
    await t.register();
    const u = await t.users.findByEmail('user@example.com');
    expect(u?.password_hash).toMatch(/^\$argon2id\$/);
    expect(u?.password_hash).not.toContain(PASSWORD);
  });

  it('keeps full_name when given', async () => {
    const t = await setup();
    const r = await t.h.register({ body: { email: 'a@b.io', password: PASSWORD, full_name: 'Ada L' } });
    expect(r.body).toMatchObject({ full_name: 'Ada L' });
  });

  it.each([
    ['same spelling', 'user@example.com'],
    ['other case', 'USER@Example.COM'],
  ])('refuses a duplicate email (%s) with 409', async (_label, again) => {
    const t = await setup();
    expect((await t.register('user@example.com')).status).toBe(201);
    expect(await t.register(again)).toEqual({ status: 409, body: { detail: 'Email already registered' } });
  });

  it('concurrent registrations of one email: one 201, one 409 (the duplicate-key path)', async () => {
    const t = await setup();
    const rs = await Promise.all([t.register('race@example.com'), t.register('RACE@example.com')]);
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(rs.find((r) => r.status === 409)?.body).toEqual({ detail: MESSAGES.emailTaken });
  });

  it('422 with loc [body, password] for a password under 10 characters', async () => {
    const t = await setup();
    const r = await t.register('user@example.com', 'short');
    expect(r.status).toBe(422);
    const detail = (r.body as { detail: Array<{ loc: unknown[]; msg: string; type: string }> }).detail;
    expect(detail).toEqual([
      {
        loc: ['body', 'password'],
        msg: 'Password must be at least 10 characters',
        type: 'value_error.too_small',
      },
    ]);
    expect(await t.users.findByEmail('user@example.com')).toBeNull();
  });

  it('accepts exactly 10 characters', async () => {
    const t = await setup();
    expect((await t.register('user@example.com', 'Kq7#mZ2!pw')).status).toBe(201);
  });

  it('422 naming the policy rule: a most used password, one with a suffix, the e-mail inside', async () => {
    const t = await setup();
    const detailOf = async (email: string, password: string) => {
      const r = await t.register(email, password);
      expect(r.status).toBe(422);
      return (r.body as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
    };
    expect(await detailOf('a@example.com', '1234567890')).toEqual([
      {
        loc: ['body', 'password'],
        msg: 'Password is too common: it is one of the most used passwords',
        type: 'value_error.password_policy',
      },
    ]);
    expect((await detailOf('a@example.com', 'Password2025!'))[0].msg).toMatch(/digits or symbols appended/);
    expect((await detailOf('maria.lopez@example.com', 'maria.lopez-1990'))[0].msg).toMatch(/e-mail/);
    expect(await t.users.findByEmail('a@example.com')).toBeNull();
    // the guide's example password is fine
    expect((await t.register('a@example.com', 'SecurePass123!')).status).toBe(201);
  });

  it('422 with loc [body, email] for an invalid email', async () => {
    const t = await setup();
    const r = await t.register('not-an-email');
    expect(r.status).toBe(422);
    expect((r.body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toEqual([
      ['body', 'email'],
    ]);
  });

  it('422 naming both missing fields', async () => {
    const t = await setup();
    const r = await t.h.register({ body: {} });
    expect(r.status).toBe(422);
    const detail = (r.body as { detail: Array<{ loc: unknown[]; type: string }> }).detail;
    expect(detail.map((d) => d.loc)).toEqual([
      ['body', 'email'],
      ['body', 'password'],
    ]);
    expect(detail.every((d) => d.type === 'value_error.missing')).toBe(true);
  });
});

describe('login', () => {
  it('200 with access and refresh token', async () => {
    const t = await setup();
    await t.register();
    const r = await t.h.login({ body: { username: 'user@example.com', password: PASSWORD } });
    expect(r.status).toBe(200);
    const body = TokenResponseSchema.strict().parse(r.body);
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(1800);
    // 256 random bits, base64url
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('matches the email case-insensitively and accepts the JSON variant with `email`', async () => {
    const t = await setup();
    await t.register('Mixed.Case@Example.com');
    expect(
      (await t.h.login({ body: { username: 'mixed.case@example.com', password: PASSWORD } })).status,
    ).toBe(200);
    expect((await t.h.login({ body: { email: 'MIXED.CASE@EXAMPLE.COM', password: PASSWORD } })).status).toBe(
      200,
    );
  });

  it('wrong password → 401 Incorrect email or password with WWW-Authenticate', async () => {
    const t = await setup();
    await t.register();
    expectCredentials401(
      await t.h.login({ body: { username: 'user@example.com', password: 'wrong-password' } }),
      MESSAGES.badLogin,
    );
  });

  it('unknown email → the same 401, after one hash verification (no timing oracle)', async () => {
    const t = await setup();
    await t.register();
    const before = t.hasher.verifies;
    expectCredentials401(
      await t.h.login({ body: { username: 'nobody@example.com', password: PASSWORD } }),
      MESSAGES.badLogin,
    );
    expect(t.hasher.verifies - before).toBe(1);
  });

  it('unknown-email and wrong-password logins take comparable time', async () => {
    const t = await setup();
    await t.register();
    const once = async (username: string) => {
      const start = performance.now();
      await t.h.login({ body: { username, password: 'wrong-password' } });
      return performance.now() - start;
    };
    await once('user@example.com'); // warm up
    // Interleaved, so a load spike on the machine hits both sides alike; medians resist outliers.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 8; i++) {
      known.push(await once('user@example.com'));
      unknown.push(await once('nobody@example.com'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const ratio = median(unknown) / median(known);
    // Without the dummy verify the unknown path takes well under a millisecond against ~20+ ms.
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  it('inactive user with the right password → 400 Inactive user', async () => {
    const t = await setup();
    await t.register();
    await t.users.setFlags(1, { is_active: false });
    expect(await t.h.login({ body: { username: 'user@example.com', password: PASSWORD } })).toEqual({
      status: 400,
      body: { detail: 'Inactive user' },
    });
    // Wrong password on an inactive account reveals nothing more than any wrong password.
    expectCredentials401(
      await t.h.login({ body: { username: 'user@example.com', password: 'nope-nope' } }),
      MESSAGES.badLogin,
    );
  });

  it.each([
    [{ username: 'user@example.com' }, ['body', 'password']],
    [{ password: PASSWORD }, ['body', 'username']],
  ])('422 for %j at %j', async (body, loc) => {
    const t = await setup();
    const r = await t.h.login({ body });
    expect(r.status).toBe(422);
    expect((r.body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toContainEqual(loc);
  });
});

describe('failed-login throttling per account', () => {
  const OPTS = { maxFailures: 4, windowSeconds: 60, lockSeconds: 1, backoffAfter: 10, backoffMaxSeconds: 1 };
  const form = (username: string, password: string) => ({ body: { username, password } });

  it('locks the account after maxFailures (429 + Retry-After, also for the right password), opens after the lock', async () => {
    const t = await setup({}, { loginThrottle: createLoginThrottle(memoryLoginLimiters(OPTS), OPTS) });
    await t.register();
    for (let i = 0; i < OPTS.maxFailures; i++)
      expectCredentials401(await t.h.login(form('user@example.com', 'wrong-password')), MESSAGES.badLogin);
    const verifies = t.hasher.verifies;
    const locked = await t.h.login(form('USER@example.com', PASSWORD));
    expect(locked).toEqual({
      status: 429,
      body: { detail: MESSAGES.loginThrottled(1) },
      headers: { 'Retry-After': '1' },
    });
    expect(t.hasher.verifies).toBe(verifies); // no hash is spent on a locked account
    await new Promise((r) => setTimeout(r, 1100));
    expect((await t.h.login(form('user@example.com', PASSWORD))).status).toBe(200);
  });

  it('unknown e-mails are throttled alike (no account enumeration through the lock)', async () => {
    const t = await setup({}, { loginThrottle: createLoginThrottle(memoryLoginLimiters(OPTS), OPTS) });
    for (let i = 0; i < OPTS.maxFailures; i++)
      expect((await t.h.login(form('ghost@example.com', 'whatever-1'))).status).toBe(401);
    expect((await t.h.login(form('ghost@example.com', 'whatever-1'))).status).toBe(429);
  });
});

describe('access tokens', () => {
  it('RS256 with kid, exactly the contract claims plus iss/aud/iat/exp, verifiable with the published key', async () => {
    const t = await setup();
    await t.register();
    const { access_token } = await t.login();
    const keys = SigningKeysResponseSchema.parse((await t.h.keys({})).body);
    expect(keys.keys).toHaveLength(1);
    const [{ kid, public_key_pem }] = keys.keys;
    const decoded = jwt.decode(access_token, { complete: true });
    expect(decoded?.header).toMatchObject({ alg: 'RS256', kid, typ: 'JWT' });
    const now = Date.parse('2026-03-01T10:00:00.000Z') / 1000;
    const claims = jwt.verify(access_token, public_key_pem, {
      algorithms: ['RS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      clockTimestamp: now,
    }) as Record<string, unknown>;
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'email',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'su',
      'sub',
      'typ',
    ]);
    expect(AccessClaimsSchema.parse(claims)).toMatchObject({
      sub: '1',
      email: 'user@example.com',
      su: false,
      typ: 'access',
    });
    expect(claims.iat).toBe(now);
    expect(claims.exp).toBe(now + 30 * 60);
  });

  it('expires after ACCESS_TOKEN_EXPIRE_MINUTES on the injected clock', async () => {
    const t = await setup({ accessTokenMinutes: 5 });
    await t.register();
    const tokens = await t.login();
    expect(tokens.expires_in).toBe(300);
    const pub = t.app.signingKey.public_key_pem;
    const iat = Date.parse('2026-03-01T10:00:00.000Z') / 1000;
    expect(() =>
      jwt.verify(tokens.access_token, pub, { algorithms: ['RS256'], clockTimestamp: iat + 299 }),
    ).not.toThrow();
    expect(() =>
      jwt.verify(tokens.access_token, pub, { algorithms: ['RS256'], clockTimestamp: iat + 300 }),
    ).toThrow(jwt.TokenExpiredError);
    t.clock.advance(60_000);
    const later = t.claimsOf((await t.login()).access_token);
    expect(later.iat).toBe(iat + 60);
  });

  it('each login starts a new session (sid) and every token has its own jti', async () => {
    const t = await setup();
    await t.register();
    const a = t.claimsOf((await t.login()).access_token);
    const b = t.claimsOf((await t.login()).access_token);
    expect(a.sid).not.toBe(b.sid);
    expect(a.jti).not.toBe(b.jti);
  });

  it('a token from another key does not verify against the published key', async () => {
    const t = await setup();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = jwt.sign({ sub: '1', typ: 'access' }, other, {
      algorithm: 'RS256',
      keyid: t.app.signingKey.kid,
    });
    expect(() => jwt.verify(forged, t.app.signingKey.public_key_pem, { algorithms: ['RS256'] })).toThrow(
      jwt.JsonWebTokenError,
    );
  });
});

describe('signing key', () => {
  it('uses AUTH_PRIVATE_KEY_PEM when given (kid derived from its public key)', async () => {
    const t = await setup();
    expect(t.app.signingKey.kid).toBe(kidOf(t.app.signingKey.public_key_pem));
    expect(await t.signingKeys.getActive()).toBeNull(); // the env key is not copied into the store
  });

  it('otherwise replicas sharing the key store converge on one key, also when starting together', async () => {
    const signingKeys = new MemorySigningKeyRepository();
    const [a, b] = await Promise.all([
      setup({ privateKeyPem: undefined }, { signingKeys }),
      setup({ privateKeyPem: undefined }, { signingKeys }),
    ]);
    expect(a.app.signingKey.kid).toBe(b.app.signingKey.kid);
    const c = await setup({ privateKeyPem: undefined }, { signingKeys }); // a restart
    expect(c.app.signingKey).toEqual(a.app.signingKey);
    expect((await signingKeys.getActive())?.kid).toBe(a.app.signingKey.kid);
  });

  it('with a KEK the stored key is sealed (no PEM in the store); the same KEK opens it after a restart', async () => {
    const signingKeys = new MemorySigningKeyRepository();
    const kek = parseKek(randomBytes(32).toString('base64'));
    const a = await setup({ privateKeyPem: undefined, keyEncryptionKey: kek }, { signingKeys });
    const stored = await signingKeys.getActive();
    expect(stored?.private_key_pem.startsWith('enc:v1:A256GCM:')).toBe(true);
    expect(stored?.private_key_pem).not.toContain('PRIVATE KEY');
    const b = await setup({ privateKeyPem: undefined, keyEncryptionKey: kek }, { signingKeys });
    expect(b.app.signingKey.kid).toBe(a.app.signingKey.kid);
    // tokens of a verify with the published key of b
    await a.register();
    const token = (await a.login()).access_token;
    const pub = ((await b.h.keys({})).body as { keys: Array<{ public_key_pem: string }> }).keys[0]
      .public_key_pem;
    expect(() => jwt.verify(token, pub, { algorithms: ['RS256'], ignoreExpiration: true })).not.toThrow();
    await expect(setup({ privateKeyPem: undefined }, { signingKeys })).rejects.toThrow(
      /is sealed: set AUTH_KEY_ENCRYPTION_KEY/,
    );
    await expect(
      setup(
        { privateKeyPem: undefined, keyEncryptionKey: parseKek(randomBytes(32).toString('hex')) },
        { signingKeys },
      ),
    ).rejects.toThrow(/sealed with key-encryption key/);
  });

  it('rotation by kid: the previous key stays published (keys and JWKS) so its tokens still verify', async () => {
    const old = await setup();
    await old.register();
    const oldToken = (await old.login()).access_token;
    const NEW = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const t = await setup({ privateKeyPem: NEW, previousKeyPems: [PEM] });
    expect(t.app.signingKey.kid).not.toBe(old.app.signingKey.kid);
    const keys = SigningKeysResponseSchema.parse((await t.h.keys({})).body).keys;
    expect(keys.map((k) => k.kid)).toEqual([t.app.signingKey.kid, old.app.signingKey.kid]);
    const jwks = await t.h.jwks({});
    expect(jwks.status).toBe(200);
    const set = JwksSchema.parse(jwks.body);
    expect(set.keys.map((k) => k.kid)).toEqual(keys.map((k) => k.kid));
    // the JWK of the old kid verifies the token signed before the rotation
    const jwk = set.keys.find((k) => k.kid === jwt.decode(oldToken, { complete: true })?.header.kid)!;
    const pub = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    expect(() => jwt.verify(oldToken, pub, { algorithms: ['RS256'], ignoreExpiration: true })).not.toThrow();
  });
});

describe('refresh', () => {
  async function loggedIn() {
    const t = await setup();
    await t.register();
    const tokens = await t.login();
    return { t, tokens };
  }

  it('rotates: a new pair in the same session, the old token is marked rotated', async () => {
    const { t, tokens } = await loggedIn();
    t.clock.advance(1000);
    const r = await t.h.refresh({ body: { refresh_token: tokens.refresh_token } });
    expect(r.status).toBe(200);
    const next = TokenResponseSchema.parse(r.body);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.access_token).not.toBe(tokens.access_token);
    expect(t.claimsOf(next.access_token).sid).toBe(t.claimsOf(tokens.access_token).sid);
    const old = await t.refreshTokens.findByHash(sha256Hex(tokens.refresh_token));
    expect(old?.rotated_at?.toISOString()).toBe('2026-03-01T10:00:01.000Z');
    // The new one works in turn.
    expect((await t.h.refresh({ body: { refresh_token: next.refresh_token } })).status).toBe(200);
  });

  it('reusing a rotated token → 401 and the whole family is revoked and published', async () => {
    const { t, tokens } = await loggedIn();
    const sid = String(t.claimsOf(tokens.access_token).sid);
    const next = (await t.h.refresh({ body: { refresh_token: tokens.refresh_token } })).body as TokenResponse;
    expect(t.revocations.revoked.has(sid)).toBe(false);
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
    expect(t.revocations.revoked.get(sid)).toEqual({
      revoked_at: '2026-03-01T10:00:00.000Z',
      exp: Date.parse('2026-03-01T10:00:00.000Z') / 1000 + 1800,
    });
    // The legitimate successor is dead too.
    expectCredentials401(await t.h.refresh({ body: { refresh_token: next.refresh_token } }));
    expect(await t.refreshTokens.isFamilyRevoked(sid)).toBe(true);
  });

  it('other sessions of the user survive a reuse in one session', async () => {
    const { t, tokens } = await loggedIn();
    const other = await t.login();
    await t.h.refresh({ body: { refresh_token: tokens.refresh_token } });
    await t.h.refresh({ body: { refresh_token: tokens.refresh_token } });
    expect((await t.h.refresh({ body: { refresh_token: other.refresh_token } })).status).toBe(200);
  });

  it('two concurrent refreshes with one token: exactly one succeeds, the session lives on', async () => {
    const { t, tokens } = await loggedIn();
    const sid = String(t.claimsOf(tokens.access_token).sid);
    const rs = await Promise.all([
      t.h.refresh({ body: { refresh_token: tokens.refresh_token } }),
      t.h.refresh({ body: { refresh_token: tokens.refresh_token } }),
    ]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 401]);
    expectCredentials401(rs.find((r) => r.status === 401)!);
    // The loser raced a rotation still in flight: refused, but not treated as a leak.
    expect(t.revocations.revoked.has(sid)).toBe(false);
    const winner = rs.find((r) => r.status === 200)!.body as TokenResponse;
    expect((await t.h.refresh({ body: { refresh_token: winner.refresh_token } })).status).toBe(200);
  });

  it('many concurrent refreshes with one token: exactly one succeeds', async () => {
    const { t, tokens } = await loggedIn();
    const rs = await Promise.all(
      Array.from({ length: 8 }, () => t.h.refresh({ body: { refresh_token: tokens.refresh_token } })),
    );
    expect(rs.filter((r) => r.status === 200)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 401)).toHaveLength(7);
  });

  it('a rotation that never finished (crashed replica) counts as reuse after 30 s', async () => {
    const { t, tokens } = await loggedIn();
    const sid = String(t.claimsOf(tokens.access_token).sid);
    await t.refreshTokens.claimForRotation(sha256Hex(tokens.refresh_token), t.clock.now());
    t.clock.advance(29_000);
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
    expect(t.revocations.revoked.has(sid)).toBe(false);
    t.clock.advance(1_000);
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
    expect(t.revocations.revoked.has(sid)).toBe(true);
  });

  it('a revocation landing while a refresh is issuing still kills the new token', async () => {
    const { t, tokens } = await loggedIn();
    const sid = String(t.claimsOf(tokens.access_token).sid);
    const refreshTokens = t.refreshTokens;
    const realInsert = refreshTokens.insert.bind(refreshTokens);
    // Simulate a logout between the claim and the insert of the successor.
    refreshTokens.insert = async (rec) => {
      await refreshTokens.revokeFamily(sid, t.clock.now());
      await realInsert(rec);
    };
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
    refreshTokens.insert = realInsert;
    const rows = [
      ...(refreshTokens as unknown as { byHash: Map<string, { revoked_at: Date | null }> }).byHash.values(),
    ];
    expect(rows.length).toBe(2);
    expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
  });

  it('unknown token → 401 without revoking anything', async () => {
    const { t } = await loggedIn();
    expectCredentials401(await t.h.refresh({ body: { refresh_token: 'x'.repeat(43) } }));
    expect(t.revocations.revoked.size).toBe(0);
  });

  it('expired token → 401', async () => {
    const { t, tokens } = await loggedIn();
    t.clock.advance(7 * 86_400_000);
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
  });

  it('just before expiry it still works', async () => {
    const { t, tokens } = await loggedIn();
    t.clock.advance(7 * 86_400_000 - 1);
    expect((await t.h.refresh({ body: { refresh_token: tokens.refresh_token } })).status).toBe(200);
  });

  it('a user deactivated since login cannot refresh', async () => {
    const { t, tokens } = await loggedIn();
    await t.users.setFlags(1, { is_active: false });
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
  });

  it('picks up a changed superuser flag in the new access token', async () => {
    const { t, tokens } = await loggedIn();
    await t.users.setFlags(1, { is_superuser: true });
    const next = (await t.h.refresh({ body: { refresh_token: tokens.refresh_token } })).body as TokenResponse;
    expect(t.claimsOf(next.access_token).su).toBe(true);
  });

  it.each([[{}], [{ refresh_token: '' }], [{ refresh_token: 42 }]])(
    '422 at [body, refresh_token] for %j',
    async (body) => {
      const { t } = await loggedIn();
      const r = await t.h.refresh({ body });
      expect(r.status).toBe(422);
      expect((r.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
        'body',
        'refresh_token',
      ]);
    },
  );
});

describe('logout', () => {
  it('revokes the session at once: refresh tokens dead, sid published with its expiry', async () => {
    const t = await setup();
    await t.register();
    const tokens = await t.login();
    const c = t.claimsOf(tokens.access_token);
    const r = await t.h.logout({ user: t.userOf(tokens.access_token), body: { sid: c.sid, jti: c.jti } });
    expect(r).toEqual({ status: 200, body: { message: 'Successfully logged out' } });
    expect(t.revocations.revoked.get(String(c.sid))).toEqual({
      revoked_at: '2026-03-01T10:00:00.000Z',
      exp: Number(c.exp),
    });
    expectCredentials401(await t.h.refresh({ body: { refresh_token: tokens.refresh_token } }));
  });

  it('leaves the other sessions of the user alone', async () => {
    const t = await setup();
    await t.register();
    const a = await t.login();
    const b = await t.login();
    const c = t.claimsOf(a.access_token);
    await t.h.logout({ user: t.userOf(a.access_token), body: { sid: c.sid, jti: c.jti } });
    expect((await t.h.refresh({ body: { refresh_token: b.refresh_token } })).status).toBe(200);
    expect(t.revocations.revoked.has(String(t.claimsOf(b.access_token).sid))).toBe(false);
  });

  it("also revokes a passed refresh token's session of the same user, never another user's", async () => {
    const t = await setup();
    await t.register('a@example.com');
    await t.register('b@example.com');
    const a1 = await t.login('a@example.com');
    const a2 = await t.login('a@example.com');
    const b1 = await t.login('b@example.com');
    const c = t.claimsOf(a1.access_token);
    const user = t.userOf(a1.access_token);
    await t.h.logout({ user, body: { sid: c.sid, jti: c.jti, refresh_token: a2.refresh_token } });
    expect((await t.h.refresh({ body: { refresh_token: a2.refresh_token } })).status).toBe(401);
    await t.h.logout({ user, body: { sid: c.sid, jti: c.jti, refresh_token: b1.refresh_token } });
    expect((await t.h.refresh({ body: { refresh_token: b1.refresh_token } })).status).toBe(200);
  });

  it('without a user → 401', async () => {
    const t = await setup();
    expectCredentials401(await t.h.logout({ body: { sid: 'abc', jti: 'def' } }));
    expect(t.revocations.revoked.size).toBe(0);
  });

  it('422 for a missing or malformed sid (it becomes a KV key)', async () => {
    const t = await setup();
    const user = { id: 1, email: 'a@b.io', is_superuser: false };
    for (const body of [{ jti: 'x' }, { sid: 'a.b>', jti: 'x' }, { sid: 'a b', jti: 'x' }]) {
      const r = await t.h.logout({ user, body });
      expect(r.status).toBe(422);
      expect((r.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'sid']);
    }
    expect(t.revocations.revoked.size).toBe(0);
  });
});

describe('me', () => {
  it('200 UserOut of the stored user', async () => {
    const t = await setup();
    await t.register();
    const tokens = await t.login();
    const r = await t.h.me({ user: t.userOf(tokens.access_token) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: 1,
      email: 'user@example.com',
      full_name: null,
      is_active: true,
      is_superuser: false,
      created_at: '2026-03-01T10:00:00.000Z',
    });
  });

  it('401 without a user, for a vanished user and for an inactive one', async () => {
    const t = await setup();
    await t.register();
    expectCredentials401(await t.h.me({}));
    expectCredentials401(await t.h.me({ user: { id: 99, email: 'x@y.io', is_superuser: false } }));
    await t.users.setFlags(1, { is_active: false });
    expectCredentials401(await t.h.me({ user: { id: 1, email: 'user@example.com', is_superuser: false } }));
  });
});

describe('bootstrap superuser', () => {
  const admin = { email: 'Admin@Example.com', password: 'AdminPass123' };

  it('is created at start, can log in, and its token says su', async () => {
    const t = await setup({ bootstrapAdmin: admin });
    const u = await t.users.findByEmail('admin@example.com');
    expect(u).toMatchObject({ is_superuser: true, is_active: true });
    const tokens = await t.login('admin@example.com', admin.password);
    expect(t.claimsOf(tokens.access_token).su).toBe(true);
  });

  it('is idempotent across restarts and concurrent replicas', async () => {
    const users = new MemoryUserRepository();
    const ids = new MemoryIdAllocator();
    await Promise.all([
      setup({ bootstrapAdmin: admin }, { users, ids }),
      setup({ bootstrapAdmin: admin }, { users, ids }),
    ]);
    await setup({ bootstrapAdmin: admin }, { users, ids });
    expect((await users.findByEmail('admin@example.com'))?.is_superuser).toBe(true);
    // Only one account: the next registration of the same email conflicts.
    const t = await setup({}, { users, ids });
    expect((await t.register('admin@example.com')).status).toBe(409);
  });

  it('promotes an existing account without touching its password', async () => {
    const t = await setup();
    await t.register('admin@example.com', 'OriginalPass1');
    await setup({ bootstrapAdmin: admin }, { users: t.users, ids: t.ids });
    expect((await t.users.findByEmail('admin@example.com'))?.is_superuser).toBe(true);
    const r = await t.h.login({ body: { username: 'admin@example.com', password: 'OriginalPass1' } });
    expect(r.status).toBe(200);
  });
});

describe('hostile input', () => {
  it.each([null, 'text', 42, [], [1, 2], { email: { $ne: null }, password: { $gt: '' } }])(
    'every operation answers %j with a 4xx, never a throw',
    async (body) => {
      const t = await setup();
      for (const op of ['register', 'login', 'refresh', 'logout'] as const) {
        const r = await t.h[op]({ user: { id: 1, email: 'a@b.io', is_superuser: false }, body });
        expect(r.status).toBe(422);
      }
    },
  );
});
