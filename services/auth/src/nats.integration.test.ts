import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  AccessClaimsSchema,
  KV_SPECS,
  RPC,
  REVOCATIONS_BUCKET,
  SessionRevocationSchema,
  SigningKeysResponseSchema,
  TokenResponseSchema,
  revokedSessionKey,
} from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  createServiceClient,
  MemoryIdAllocator,
  type NatsHandle,
  type Responder,
  type ServiceClient,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import jwt from 'jsonwebtoken';
import { KvRevocationPublisher, openRevocationsBucket } from './adapters/kv';
import {
  MemoryApiKeyRepository,
  MemoryRefreshTokenRepository,
  MemorySigningKeyRepository,
  MemoryUserRepository,
  systemClock,
} from './adapters/memory';
import { createAuthApp } from './app';
import { AUTH_QUEUE, startAuthResponders } from './responders';

// The real responders on a private nats-server, called the way the gateway calls them.
let nats: TestNats;
let service: NatsHandle;
let gateway: NatsHandle;
let responders: Responder[];
let client: ServiceClient;
let kv: KV;
const logger = createLogger('auth-test', 'silent');

beforeAll(async () => {
  nats = await startNatsForTests();
  service = await connectNats({ servers: nats.url, name: 'auth-under-test', logger });
  gateway = await connectNats({ servers: nats.url, name: 'gateway-under-test', logger });
  kv = await openRevocationsBucket(service.nc);
  const app = await createAuthApp(
    {
      users: new MemoryUserRepository(),
      refreshTokens: new MemoryRefreshTokenRepository(),
      apiKeys: new MemoryApiKeyRepository(),
      signingKeys: new MemorySigningKeyRepository(),
      ids: new MemoryIdAllocator(),
      revocations: new KvRevocationPublisher(kv),
      clock: systemClock,
      logger,
    },
    { accessTokenMinutes: 30, refreshTokenDays: 7 },
  );
  responders = await startAuthResponders(service, logger, app);
  await service.nc.flush();
  client = createServiceClient(gateway, 'auth', { timeoutMs: 3000 });
}, 30_000);

afterAll(async () => {
  client?.close();
  await Promise.all((responders ?? []).map((r) => r.stop()));
  await gateway?.close();
  await service?.close();
  await nats?.stop();
});

it('serves every RPC.auth subject in the queue group "auth"', () => {
  expect(responders.map((r) => r.subject).sort()).toEqual(Object.values(RPC.auth).sort());
  expect(AUTH_QUEUE).toBe('auth');
});

it('register → login → keys → verify → refresh → logout puts the sid into the revocations bucket', async () => {
  const email = 'flow@example.com';
  const password = 'SecurePass123!';

  const reg = await client.request(RPC.auth.register, { body: { email, password } });
  expect(reg.status).toBe(201);
  expect(reg.body).toMatchObject({ email, is_active: true, is_superuser: false });

  const dup = await client.request(RPC.auth.register, { body: { email: 'FLOW@example.com', password } });
  expect(dup).toMatchObject({ status: 409, body: { detail: 'Email already registered' } });

  const bad = await client.request(RPC.auth.login, { body: { username: email, password: 'wrong-pass' } });
  expect(bad).toEqual({
    status: 401,
    body: { detail: 'Incorrect email or password' },
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

  const login = await client.request(RPC.auth.login, { body: { username: email, password } });
  expect(login.status).toBe(200);
  const tokens = TokenResponseSchema.parse(login.body);

  const keys = await client.request(RPC.auth.keys, {});
  expect(keys.status).toBe(200);
  const [key] = SigningKeysResponseSchema.parse(keys.body).keys;
  expect(jwt.decode(tokens.access_token, { complete: true })?.header.kid).toBe(key.kid);
  const claims = AccessClaimsSchema.parse(
    jwt.verify(tokens.access_token, key.public_key_pem, {
      algorithms: ['RS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    }),
  );
  expect(claims).toMatchObject({ email, su: false, typ: 'access' });
  const user = { id: Number(claims.sub), email: claims.email, is_superuser: claims.su };

  const me = await client.request(RPC.auth.me, { user });
  expect(me).toMatchObject({ status: 200, body: { id: user.id, email } });

  const refreshed = await client.request(RPC.auth.refresh, { body: { refresh_token: tokens.refresh_token } });
  expect(refreshed.status).toBe(200);
  const next = TokenResponseSchema.parse(refreshed.body);
  const nextPayload = jwt.verify(next.access_token, key.public_key_pem) as jwt.JwtPayload;
  const nextClaims = AccessClaimsSchema.parse(nextPayload);
  expect(nextClaims.sid).toBe(claims.sid);

  expect(await kv.get(revokedSessionKey(claims.sid))).toBeNull();
  const out = await client.request(RPC.auth.logout, {
    user,
    body: { sid: nextClaims.sid, jti: nextClaims.jti },
  });
  expect(out).toEqual({ status: 200, body: { message: 'Successfully logged out' } });

  const entry = await kv.get(revokedSessionKey(claims.sid));
  expect(entry?.operation).toBe('PUT');
  const revocation = SessionRevocationSchema.parse(entry?.json());
  // The revocation lasts at least as long as the newest access token of the session.
  expect(revocation.exp).toBeGreaterThanOrEqual(nextPayload.exp!);

  const after = await client.request(RPC.auth.refresh, { body: { refresh_token: next.refresh_token } });
  expect(after.status).toBe(401);
});

it('a gateway watching the bucket learns of a revocation without asking auth', async () => {
  const email = 'watch@example.com';
  const password = 'SecurePass123!';
  await client.request(RPC.auth.register, { body: { email, password } });
  const t1 = TokenResponseSchema.parse(
    (await client.request(RPC.auth.login, { body: { username: email, password } })).body,
  );
  const sid = String((jwt.decode(t1.access_token) as { sid: string }).sid);
  const watcher = await openRevocationsBucket(gateway.nc);
  const seen = new Promise<string>((resolve) => {
    void (async () => {
      const iter = await watcher.watch({ key: 'sid.>' });
      for await (const e of iter) {
        if (e.key === revokedSessionKey(sid)) {
          iter.stop();
          resolve(e.key);
        }
      }
    })();
  });
  // Reuse of a rotated refresh token revokes the session the same way as logout.
  await client.request(RPC.auth.refresh, { body: { refresh_token: t1.refresh_token } });
  const reuse = await client.request(RPC.auth.refresh, { body: { refresh_token: t1.refresh_token } });
  expect(reuse.status).toBe(401);
  await expect(seen).resolves.toBe(revokedSessionKey(sid));
});

it('the revocations bucket is created idempotently with the contract TTL as max_age', async () => {
  await openRevocationsBucket(service.nc);
  await openRevocationsBucket(gateway.nc);
  const jsm = await jetstreamManager(service.nc);
  const info = await jsm.streams.info(`KV_${REVOCATIONS_BUCKET}`);
  expect(info.config.max_age).toBe(KV_SPECS.revocations.ttlMs * 1_000_000);
});

it('answers malformed payloads and bodies with 4xx, not a timeout', async () => {
  const raw = await gateway.nc.request(RPC.auth.login, new TextEncoder().encode('not json'), {
    timeout: 2000,
  });
  expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({ status: 400 });
  const r = await client.request(RPC.auth.register, { body: { email: 'x@y.io', password: 'short' } });
  expect(r.status).toBe(422);
  expect(r.body).toEqual({
    detail: [
      {
        loc: ['body', 'password'],
        msg: 'Password must be at least 10 characters',
        type: 'value_error.too_small',
      },
    ],
  });
});
