// System test of API keys (issue 10 item 2b): a real platform (own nats-server, the embedded MongoDB
// wire server, every service as its own process). A user creates read-scoped keys with their access
// token; another team's service reads plans with them, in either header, and nothing else:
// a write → 403, a wrong scope → 403, another user's schedule → 404, a revoked key → 401 at once,
// a malformed or unknown key → 401. Plus the bad inputs of key creation. The private nats-server runs
// with one user per service, so gateway → fillsched.rpc.auth.apikey.verify passes the real permission
// matrix, and the keys live in the auth service's mongoose store.
import { API_KEYS_PER_USER_MAX, API_KEY_NAME_MAX } from '@fillsched/contracts';
import { ApiClient, lotsFromCsv, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

describe('API keys on a real platform', () => {
  let platform: any;
  let alice: ApiClient;
  let bob: ApiClient;
  /** A client with no access token: it sends whatever key a test gives it. */
  let team: ApiClient;
  const lots = lotsFromCsv(sharedPath('data/lots/lots.csv'));
  let aliceSchedule: number;
  let bobSchedule: number;
  let aliceComparison: number;

  const asKey = (key: string) => ({ 'X-API-Key': key });
  const asBearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const createKey = (client: ApiClient, body: unknown) => client.request('POST', '/auth/api-keys', body);

  beforeAll(async () => {
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
    alice = new ApiClient(platform.gatewayUrl);
    bob = new ApiClient(platform.gatewayUrl);
    team = new ApiClient(platform.gatewayUrl);
    await alice.registerAndLogin('keys-alice@example.com');
    await bob.registerAndLogin('keys-bob@example.com');
    const schedule = (client: ApiClient, name: string) =>
      client.request('POST', '/schedule', { name, lots_data: lots, config: { line_count: 2 } });
    aliceSchedule = (await schedule(alice, 'alice plan')).body.id;
    bobSchedule = (await schedule(bob, 'bob plan')).body.id;
    const cmp = await alice.request('POST', '/compare', {
      name: 'alice cmp',
      lots_data: lots.slice(0, 10),
      strategies: ['smart-pack', 'lpt-pack'],
    });
    expect(cmp.status).toBe(202);
    aliceComparison = cmp.body.id;
    await waitUntil(
      async () => (await alice.request('GET', `/schedule/${aliceSchedule}`)).body.status === 'completed',
      60_000,
      'alice schedule completed',
    );
  });

  afterAll(async () => {
    await platform?.stop();
  });

  test('the scope matrix: read allowed, write 403, wrong scope 403, others 404, revoked 401', async () => {
    const created = await createKey(alice, { name: 'MES reader', scopes: ['schedules:read'] });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'MES reader', scopes: ['schedules:read'], revoked_at: null });
    const cmpKey = (await createKey(alice, { name: 'BI', scopes: ['comparisons:read'] })).body.key;

    // read allowed, in either header, and the same document the owner reads
    const own = await alice.request('GET', `/schedule/${aliceSchedule}`);
    for (const headers of [asKey(key), asBearer(key)]) {
      const read = await team.request('GET', `/schedule/${aliceSchedule}`, undefined, headers);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(own.body);
    }
    const list = await team.request('GET', '/schedules', undefined, asKey(key));
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: any) => s.id)).toEqual([aliceSchedule]);
    const csv = await team.request(
      'GET',
      `/schedule/${aliceSchedule}/export?format=csv`,
      undefined,
      asKey(key),
    );
    expect(csv.status).toBe(200);
    expect(csv.body).toMatch(/^line,kind,lot_id/);
    expect(
      (await team.request('GET', `/schedule/${aliceSchedule}/activities?limit=5`, undefined, asKey(key)))
        .status,
    ).toBe(200);

    // writes → 403, and nothing happened
    const write = await team.request('POST', '/schedule', { name: 'x', lots_data: lots }, asKey(key));
    expect(write.status).toBe(403);
    expect(write.body.detail).toMatch(/API keys are read-only/);
    expect(
      (await team.request('DELETE', `/schedule/${aliceSchedule}`, undefined, asBearer(key))).status,
    ).toBe(403);
    expect((await alice.request('GET', `/schedule/${aliceSchedule}`)).status).toBe(200);
    expect((await alice.request('GET', '/schedules')).body.total).toBe(1);
    // a key cannot manage keys, nor read the account
    expect(
      (await team.request('POST', '/auth/api-keys', { name: 'k', scopes: ['schedules:read'] }, asKey(key)))
        .status,
    ).toBe(403);
    expect((await team.request('GET', '/auth/api-keys', undefined, asKey(key))).status).toBe(403);
    expect((await team.request('GET', '/auth/me', undefined, asKey(key))).status).toBe(403);

    // wrong scope → 403 naming the scope; the right one reads it
    const wrong = await team.request('GET', `/compare/${aliceComparison}`, undefined, asKey(key));
    expect(wrong.status).toBe(403);
    expect(wrong.body.detail).toContain('comparisons:read');
    expect((await team.request('GET', '/schedules', undefined, asKey(cmpKey))).status).toBe(403);
    expect((await team.request('GET', `/compare/${aliceComparison}`, undefined, asKey(cmpKey))).status).toBe(
      200,
    );
    expect((await team.request('GET', '/comparisons', undefined, asKey(cmpKey))).body.total).toBe(1);

    // another user's resources → 404, as for the owner's token
    const foreign = await team.request('GET', `/schedule/${bobSchedule}`, undefined, asKey(key));
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ detail: 'Schedule not found' });

    // listed without secret or hash, last use recorded
    const keys = await alice.request('GET', '/auth/api-keys');
    expect(keys.status).toBe(200);
    expect(keys.body.items).toHaveLength(2);
    const mine = keys.body.items.find((k: any) => k.id === created.body.id);
    expect(mine.prefix).toBe(key.slice(0, 20));
    expect(mine.last_used_at).not.toBeNull();
    const text = JSON.stringify(keys.body);
    expect(text).not.toContain(key.slice(21));
    expect(text).not.toMatch(/hash/);

    // bob cannot revoke alice's key (404) and it keeps working; alice's revoke is immediate
    expect((await bob.request('DELETE', `/auth/api-keys/${created.body.id}`)).status).toBe(404);
    expect((await team.request('GET', '/schedules', undefined, asKey(key))).status).toBe(200);
    expect((await alice.request('DELETE', `/auth/api-keys/${created.body.id}`)).status).toBe(204);
    const revoked = await team.request('GET', '/schedules', undefined, asKey(key));
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('invalid_token');
    expect(
      (await alice.request('GET', '/auth/api-keys')).body.items.find((k: any) => k.id === created.body.id)
        .revoked_at,
    ).not.toBeNull();
    // the other key is untouched
    expect((await team.request('GET', `/compare/${aliceComparison}`, undefined, asKey(cmpKey))).status).toBe(
      200,
    );
  });

  test('malformed and unknown keys → 401; both headers → 400', async () => {
    const known = (await createKey(bob, { name: 'probe', scopes: ['schedules:read'] })).body.key as string;
    for (const bad of ['garbage', 'fsk_123', `${known}x`, known.replace(/_[^_]+$/, '_short')])
      expect((await team.request('GET', '/schedules', undefined, asKey(bad))).status).toBe(401);
    const wrongSecret = known.slice(0, 21) + (known[21] === 'A' ? 'B' : 'A') + known.slice(22);
    expect((await team.request('GET', '/schedules', undefined, asKey(wrongSecret))).status).toBe(401);
    const unknownId = `fsk_ffffffffffffffff_${known.slice(21)}`;
    expect((await team.request('GET', '/schedules', undefined, asBearer(unknownId))).status).toBe(401);
    const both = await bob.request('GET', '/schedules', undefined, {
      Authorization: `Bearer ${bob.token}`,
      ...asKey(known),
    });
    expect(both.status).toBe(400);
    expect(
      (await team.request('GET', '/schedules', undefined, asKey(known))).body.schedules.map((s: any) => s.id),
    ).toEqual([bobSchedule]);
  });

  test('bad input: unknown scope, empty scopes, long name → 422 naming the field; too many keys → 409', async () => {
    const unknown = await createKey(alice, { name: 'x', scopes: ['schedules:write'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0]).toMatchObject({
      loc: ['body', 'scopes', 0],
      msg: 'Unknown scope "schedules:write": must be one of [schedules:read, comparisons:read]',
    });
    const empty = await createKey(alice, { name: 'x', scopes: [] });
    expect(empty.status).toBe(422);
    expect(empty.body.detail[0].loc).toEqual(['body', 'scopes']);
    expect(empty.body.detail[0].msg).toMatch(/At least one scope/);
    const long = await createKey(alice, {
      name: 'n'.repeat(API_KEY_NAME_MAX + 1),
      scopes: ['schedules:read'],
    });
    expect(long.status).toBe(422);
    expect(long.body.detail[0].loc).toEqual(['body', 'name']);
    const past = await createKey(alice, {
      name: 'x',
      scopes: ['schedules:read'],
      expires_at: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(422);
    expect(past.body.detail[0].loc).toEqual(['body', 'expires_at']);

    // alice holds one live key from the first test (the revoked one does not count)
    const live = (await alice.request('GET', '/auth/api-keys')).body.items.filter(
      (k: any) => !k.revoked_at,
    ).length;
    for (let i = live; i < API_KEYS_PER_USER_MAX; i++)
      expect((await createKey(alice, { name: `k${i}`, scopes: ['schedules:read'] })).status).toBe(201);
    const over = await createKey(alice, { name: 'one too many', scopes: ['schedules:read'] });
    expect(over.status).toBe(409);
    expect(over.body.detail).toContain(`at most ${API_KEYS_PER_USER_MAX} live keys`);
  });
});
