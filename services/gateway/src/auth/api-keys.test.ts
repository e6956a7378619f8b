import type { Request } from 'express';
import { API_KEY_MESSAGES, MESSAGES, RPC, type ApiKeyScope } from '@fillsched/contracts';
import { ServiceUnavailableError } from '@fillsched/service-kit';
import { ROUTES } from '../routes';
import { bearer, makeKeyPair, signToken, startTestGateway, type TestGateway } from '../test/helpers';
import { presentedCredential } from './api-keys';

const SECRET = 'Jm0bYg1u0tXb5hQ2yVZ8mJ7x1c9fK4s6dLwPeRtA0qX';
const keyOf = (id: string) => `fsk_${id}_${SECRET}`;
const SCHEDULES_KEY = keyOf('00000000000000a1');
const COMPARISONS_KEY = keyOf('00000000000000b2');
const BOTH_KEY = keyOf('00000000000000c3');
const UNKNOWN_KEY = keyOf('ffffffffffffffff');

const jwtKey = makeKeyPair();
let gw: TestGateway;
/** What the fake auth service knows: key → scopes (a revoke deletes the entry). */
let live: Map<string, ApiKeyScope[]>;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [jwtKey] });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.services.calls.length = 0;
  gw.services.handlers.clear();
  live = new Map([
    [SCHEDULES_KEY, ['schedules:read']],
    [COMPARISONS_KEY, ['comparisons:read']],
    [BOTH_KEY, ['schedules:read', 'comparisons:read']],
  ]);
  fakeAuth(gw);
});

/** The fake auth service's apikey.verify over `live`. */
function fakeAuth(target: TestGateway) {
  target.services.on(RPC.auth.apiKeyVerify, (req) => {
    const key = (req.body as { key: string }).key;
    const scopes = live.get(key);
    if (!scopes) return { status: 401, body: { detail: MESSAGES.credentials } };
    return {
      status: 200,
      body: {
        key_id: key.slice(4, 20),
        user: { id: 7, email: 'owner@example.com', is_superuser: false },
        scopes,
      },
    };
  });
}

const verifyCalls = () => gw.services.calls.filter((c) => c.subject === RPC.auth.apiKeyVerify).length;
const forwarded = () => gw.services.calls.filter((c) => c.subject !== RPC.auth.apiKeyVerify);

function get(path: string, headers: Record<string, string>) {
  return fetch(`${gw.url}/api/v1${path}`, { headers });
}

async function expectDetail(res: Response, status: number, detail: string) {
  expect(res.status).toBe(status);
  expect(await res.json()).toEqual({ detail });
}

describe('which header carries a key', () => {
  const req = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as Request;
  it('X-API-Key, or a bearer token with the fsk_ prefix; any other bearer token is a JWT', () => {
    expect(presentedCredential(req({ 'x-api-key': ` ${SCHEDULES_KEY} ` }))).toEqual({
      kind: 'api_key',
      key: SCHEDULES_KEY,
    });
    expect(presentedCredential(req({ authorization: `Bearer ${SCHEDULES_KEY}` }))).toEqual({
      kind: 'api_key',
      key: SCHEDULES_KEY,
    });
    expect(presentedCredential(req({ authorization: `bearer   ${SCHEDULES_KEY}` }))).toMatchObject({
      kind: 'api_key',
    });
    expect(presentedCredential(req({ authorization: 'Bearer eyJhbGciOi.x.y' }))).toEqual({ kind: 'jwt' });
    expect(presentedCredential(req({}))).toEqual({ kind: 'jwt' });
    expect(presentedCredential(req({ authorization: 'Bearer x', 'x-api-key': 'y' }))).toEqual({
      kind: 'both',
    });
  });
});

describe('the route table', () => {
  it('only GET routes declare an API-key scope; every schedule and comparison GET declares its own', () => {
    for (const r of ROUTES) {
      if (r.method !== 'get') expect(r.apiKeyScope).toBeUndefined();
      if (r.method === 'get' && r.service === 'schedule') expect(r.apiKeyScope).toBe('schedules:read');
      if (r.method === 'get' && r.service === 'comparison') expect(r.apiKeyScope).toBe('comparisons:read');
      if (r.service === 'auth' || r.service === 'config') expect(r.apiKeyScope).toBeUndefined();
    }
  });
});

describe('a request with an API key', () => {
  it.each([
    ['X-API-Key', { 'X-API-Key': SCHEDULES_KEY }],
    ['Authorization: Bearer', bearer(SCHEDULES_KEY)],
  ])(
    'in %s reads a route of its scope; the service sees the owner, never as superuser',
    async (_h, headers) => {
      gw.services.on(RPC.schedule.get, (req) => ({ status: 200, body: { id: 5, user: req.user } }));
      const res = await get('/schedule/5', headers);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        id: 5,
        user: { id: 7, email: 'owner@example.com', is_superuser: false },
      });
      expect(verifyCalls()).toBe(1);
      expect(gw.services.last(RPC.auth.apiKeyVerify)!.request.body).toEqual({ key: SCHEDULES_KEY });
    },
  );

  it('every read route of each scope: allowed with it, 403 naming the scope without it', async () => {
    for (const route of ROUTES.filter((r) => r.apiKeyScope)) {
      const path = route.path.replace(':id', '5');
      const other = route.apiKeyScope === 'schedules:read' ? COMPARISONS_KEY : SCHEDULES_KEY;
      const own = route.apiKeyScope === 'schedules:read' ? SCHEDULES_KEY : COMPARISONS_KEY;
      gw.services.calls.length = 0;
      await expectDetail(
        await get(path, { 'X-API-Key': other }),
        403,
        API_KEY_MESSAGES.missingScope(route.apiKeyScope!),
      );
      expect(forwarded()).toHaveLength(0);
      expect((await get(path, { 'X-API-Key': own })).status).toBe(200);
      expect((await get(path, { 'X-API-Key': BOTH_KEY })).status).toBe(200);
      expect(forwarded().map((c) => c.subject)).toEqual([route.subject, route.subject]);
    }
  });

  it.each(
    ROUTES.filter((r) => r.auth === 'required' && !r.apiKeyScope).map((r) => [`${r.method} ${r.path}`, r]),
  )('%s (no API-key scope) → 403 before any call, even for a key with every scope', async (_name, route) => {
    const res = await fetch(`${gw.url}/api/v1${route.path.replace(':id', '5')}`, {
      method: route.method.toUpperCase(),
      headers: { 'X-API-Key': BOTH_KEY, 'Content-Type': 'application/json' },
      body: route.bodyKind === 'none' ? undefined : '{}',
    });
    await expectDetail(res, 403, API_KEY_MESSAGES.routeNotAllowed);
    expect(gw.services.calls).toHaveLength(0);
  });

  it('a malformed key → 401 with an invalid_token challenge, and nothing reaches NATS', async () => {
    for (const bad of [
      'garbage',
      'fsk_',
      `fsk_00000000000000a1_${SECRET}x`,
      `fsk_00000000000000A1_${SECRET}`,
      '',
    ]) {
      const res = await get('/schedules', { 'X-API-Key': bad });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_token", error_description="invalid token"',
      );
      expect(await res.json()).toEqual({ detail: MESSAGES.credentials });
    }
    expect((await get('/schedules', bearer('fsk_short'))).status).toBe(401);
    expect(gw.services.calls).toHaveLength(0);
  });

  it('an unknown key → 401 after exactly one verification', async () => {
    const res = await get('/schedules', { 'X-API-Key': UNKNOWN_KEY });
    await expectDetail(res, 401, MESSAGES.credentials);
    expect(verifyCalls()).toBe(1);
    expect(forwarded()).toHaveLength(0);
  });

  it('a revoke is effective on the next request (verifications are not cached)', async () => {
    expect((await get('/schedules', { 'X-API-Key': SCHEDULES_KEY })).status).toBe(200);
    live.delete(SCHEDULES_KEY);
    expect((await get('/schedules', { 'X-API-Key': SCHEDULES_KEY })).status).toBe(401);
    expect(verifyCalls()).toBe(2);
  });

  it('both Authorization and X-API-Key → 400, nothing forwarded', async () => {
    const res = await get('/schedules', { ...bearer(signToken(jwtKey)), 'X-API-Key': SCHEDULES_KEY });
    await expectDetail(res, 400, API_KEY_MESSAGES.twoCredentials);
    expect(gw.services.calls).toHaveLength(0);
  });

  it('auth unavailable → 503 with its detail (not a 401 that would make clients drop the key)', async () => {
    gw.services.on(RPC.auth.apiKeyVerify, () => {
      throw new ServiceUnavailableError('auth', 'no_responders');
    });
    await expectDetail(
      await get('/schedules', { 'X-API-Key': SCHEDULES_KEY }),
      503,
      'Service unavailable: auth',
    );
  });

  it('user access tokens keep working everywhere, including key management', async () => {
    const token = signToken(jwtKey, { sub: '7' });
    expect((await get('/schedules', bearer(token))).status).toBe(200);
    expect((await get('/auth/api-keys', bearer(token))).status).toBe(200);
    expect(verifyCalls()).toBe(0);
  });

  it('refusals count against the rate limit too: a flood of 403s ends in 429', async () => {
    const small = await startTestGateway({ keys: [jwtKey], rateLimit: 3 });
    try {
      fakeAuth(small);
      const at = (path: string, key: string) =>
        fetch(`${small.url}/api/v1${path}`, { method: 'DELETE', headers: { 'X-API-Key': key } });
      // a key on a write route: no verification, counted against the client IP
      for (let i = 0; i < 3; i++) expect((await at('/schedule/5', BOTH_KEY)).status).toBe(403);
      expect((await at('/schedule/5', BOTH_KEY)).status).toBe(429);
      // a verified key without the scope: counted against its owner (user 7), who then gets 429 too
      const wrongScope = () =>
        fetch(`${small.url}/api/v1/schedules`, { headers: { 'X-API-Key': COMPARISONS_KEY } });
      for (let i = 0; i < 3; i++) expect((await wrongScope()).status).toBe(403);
      expect((await wrongScope()).status).toBe(429);
      expect(
        (await fetch(`${small.url}/api/v1/schedules`, { headers: bearer(signToken(jwtKey, { sub: '7' })) }))
          .status,
      ).toBe(429);
    } finally {
      await small.close();
    }
  });

  it("a key's requests count against its owner's rate limit, like the owner's own", async () => {
    const res = await get('/schedules', { 'X-API-Key': SCHEDULES_KEY });
    const token = signToken(jwtKey, { sub: '7' });
    const after = await get('/schedules', bearer(token));
    expect(Number(after.headers.get('x-ratelimit-remaining'))).toBe(
      Number(res.headers.get('x-ratelimit-remaining')) - 1,
    );
  });
});
