import jwt from 'jsonwebtoken';
import { MESSAGES, RPC } from '@fillsched/contracts';
import type { AddressInfo } from 'node:net';
import { RevocationSet } from '../adapters/revocations';
import { createGatewayApp } from '../app';
import { BatchingRateLimiter, MemoryCounterStore } from '../ratelimit';
import { KeyStore } from './keys';
import { ParsedKeyCache, createTokenAuth } from './tokens';
import {
  FakeEventSource,
  bearer,
  FakeServices,
  makeKeyPair,
  signToken,
  silentLogger,
  startTestGateway,
  type TestGateway,
} from '../test/helpers';

const key = makeKeyPair('main');
const other = makeKeyPair('main'); // same kid, different key: a forged signature
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [key], options: { corsOrigins: ['https://planner.example.com'] } });
});
afterAll(() => gw.close());

async function me(token?: string, scheme = 'Bearer') {
  return fetch(`${gw.url}/api/v1/auth/me`, { headers: token ? { Authorization: `${scheme} ${token}` } : {} });
}

const INVALID = 'Bearer error="invalid_token", error_description="invalid token"';
const EXPIRED = 'Bearer error="invalid_token", error_description="token expired"';

/** The guide's body always; the RFC 6750 challenge says why (no error code when no token was sent). */
async function expect401(res: Response, challenge = INVALID) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe(challenge);
  expect(await res.json()).toEqual({ detail: MESSAGES.credentials });
}

describe('bearer token verification', () => {
  it('a valid token forwards the user {id, email, is_superuser}', async () => {
    gw.services.on(RPC.auth.me, (req) => ({ status: 200, body: req.user }));
    const res = await me(signToken(key, { sub: '42', email: 'boss@example.com', su: true }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 42, email: 'boss@example.com', is_superuser: true });
  });

  it('missing or wrong-scheme tokens → 401 with a bare Bearer challenge; malformed → invalid_token', async () => {
    await expect401(await me(), 'Bearer');
    await expect401(await me(signToken(key), 'Basic'), 'Bearer');
    await expect401(await me('not-a-jwt'));
  });

  it('expired → 401, challenge error_description="token expired" (beyond the 5 s skew allowance)', async () => {
    await expect401(await me(signToken(key, { expiresInS: -60 })), EXPIRED);
  });

  it('browsers may read the challenge (CORS exposes WWW-Authenticate)', async () => {
    const res = await fetch(`${gw.url}/api/v1/auth/me`, {
      headers: { ...bearer(signToken(key, { expiresInS: -60 })), Origin: 'https://planner.example.com' },
    });
    expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    await expect401(res, EXPIRED);
  });

  it('an expired token that is also revoked or forged is not called expired', async () => {
    await expect401(await me(signToken(other, { expiresInS: -60 })));
  });

  it('wrong signature, wrong issuer, wrong audience, unknown kid → 401', async () => {
    await expect401(await me(signToken(other)));
    await expect401(await me(signToken(key, { issuer: 'someone-else' })));
    await expect401(await me(signToken(key, { audience: 'other-app' })));
    await expect401(await me(signToken(key, { kid: 'unknown-kid' })));
  });

  it('HS256 signed with the public key (algorithm confusion) and alg none → 401', async () => {
    const claims = { sub: '1', email: 'a@b.c', su: true, sid: 's', jti: 'j', typ: 'access' };
    const hs = jwt.sign(claims, key.publicKey, {
      algorithm: 'HS256',
      issuer: 'fillsched-auth',
      audience: 'fillsched',
      keyid: 'main',
      expiresIn: 60,
    });
    await expect401(await me(hs));
    const none = jwt.sign(claims, '', { algorithm: 'none', issuer: 'fillsched-auth', audience: 'fillsched' });
    await expect401(await me(none));
  });

  it('claims that fail AccessClaimsSchema (refresh token, non-numeric sub) → 401', async () => {
    await expect401(await me(signToken(key, { typ: 'refresh' })));
    await expect401(await me(signToken(key, { sub: 'abc' })));
  });

  it('a revoked session (sid) or token id (jti) → 401 at once, others unaffected', async () => {
    const t1 = signToken(key, { sid: 'sessA', jti: 'j1' });
    const t2 = signToken(key, { sid: 'sessB', jti: 'j2' });
    expect((await me(t1)).status).toBe(200);
    gw.revocations.revoke('sid.sessA');
    await expect401(await me(t1));
    expect((await me(t2)).status).toBe(200);
    gw.revocations.revoke('jti.j2');
    await expect401(await me(t2));
    gw.revocations.unrevoke('jti.j2');
    expect((await me(t2)).status).toBe(200);
  });

  it('a token signed with a rotated-in key is accepted after a refetch on the unknown kid', async () => {
    const next = makeKeyPair('next');
    gw.services.keys = [key, next];
    expect((await me(signToken(next))).status).toBe(200);
  });
});

describe('KeyStore', () => {
  it('retries until the auth service answers, then is ready', async () => {
    let attempts = 0;
    const store = new KeyStore(
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('no responders');
        return { keys: [{ kid: 'a', alg: 'RS256', public_key_pem: key.publicKey }] };
      },
      silentLogger(),
      { initialBackoffMs: 5 },
    );
    expect(store.ready()).toBe(false);
    await store.start();
    expect(store.ready()).toBe(true);
    expect(attempts).toBe(3);
    expect(await store.publicKey('a')).toBe(key.publicKey);
    expect(await store.publicKey(undefined)).toBe(key.publicKey);
  });

  it('refetches for unknown kids at most once per interval', async () => {
    let fetches = 0;
    const store = new KeyStore(
      async () => {
        fetches += 1;
        return { keys: [{ kid: 'a', alg: 'RS256', public_key_pem: key.publicKey }] };
      },
      silentLogger(),
      { minRefetchIntervalMs: 60_000 },
    );
    await store.start();
    for (let i = 0; i < 20; i++) expect(await store.publicKey(`forged-${i}`)).toBeNull();
    expect(fetches).toBe(1);
  });

  it('the gateway is not ready (and rejects tokens) before it has keys', async () => {
    const services = new FakeServices([]);
    const store = new KeyStore(async () => ({ keys: [] }), silentLogger(), { minRefetchIntervalMs: 0 });
    const revocations = new RevocationSet();
    revocations.markReady();
    const { app } = createGatewayApp({
      services,
      tokenVerifier: store,
      revocations,
      rateLimiter: new BatchingRateLimiter(new MemoryCounterStore(), { limit: 100, logger: silentLogger() }),
      eventSource: new FakeEventSource(),
      logger: silentLogger(),
    });
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.auth_keys).toBe(false);
      await expect401(await fetch(`${url}/api/v1/auth/me`, { headers: bearer(signToken(key)) }));
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('parsed public keys (one PEM parse per key, not per request)', () => {
  it('the same PEM gives the same KeyObject; another PEM its own', () => {
    const cache = new ParsedKeyCache();
    const a = cache.keyOf(key.publicKey);
    expect(typeof a).not.toBe('string');
    expect(cache.keyOf(key.publicKey)).toBe(a);
    const b = cache.keyOf(other.publicKey);
    expect(b).not.toBe(a);
    expect(cache.size).toBe(2);
  });

  it('a PEM that does not parse is handed back unparsed and not kept', () => {
    const cache = new ParsedKeyCache();
    expect(cache.keyOf('not a pem')).toBe('not a pem');
    expect(cache.size).toBe(0);
  });

  it('stays bounded: cleared once more PEMs than the bound were seen', () => {
    const cache = new ParsedKeyCache(1);
    cache.keyOf(key.publicKey);
    cache.keyOf(other.publicKey);
    expect(cache.size).toBe(1);
    expect(typeof cache.keyOf(key.publicKey)).not.toBe('string');
  });

  it('verify: a kid whose key is replaced (same kid, new PEM) verifies with the new key only', async () => {
    let pem = key.publicKey;
    const auth = createTokenAuth(
      { publicKey: async (kid) => (kid === 'main' ? pem : null), ready: () => true },
      new RevocationSet(),
    );
    expect(await auth.verify(signToken(key))).toMatchObject({ user: { id: 7 } });
    expect(await auth.verify(signToken(key))).toMatchObject({ user: { id: 7 } });
    pem = other.publicKey;
    expect(await auth.verify(signToken(key))).toBeNull();
    expect(await auth.verify(signToken(other))).toMatchObject({ user: { id: 7 } });
    pem = 'garbage';
    expect(await auth.verify(signToken(other))).toBeNull();
  });
});
