// System test of the foundation flow (issue 2): real nats-server of its own, the embedded MongoDB
// wire server, every service as its own process, driven over HTTP and WebSocket like a client.
import { ApiClient, collectWs, lotsFromCsv, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

describe('platform flow over HTTP and WebSocket', () => {
  let platform: any;
  let alice: ApiClient;
  let bob: ApiClient;
  const lots = lotsFromCsv(sharedPath('data/lots/lots.csv'));

  beforeAll(async () => {
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
    alice = new ApiClient(platform.gatewayUrl);
    bob = new ApiClient(platform.gatewayUrl);
    await alice.registerAndLogin('alice@example.com');
    await bob.registerAndLogin('bob@example.com');
  });

  afterAll(async () => {
    await platform?.stop();
  });

  test('me returns the logged-in user', async () => {
    const me = await alice.request('GET', '/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'alice@example.com', is_active: true, is_superuser: false });
    expect(Number.isInteger(me.body.id)).toBe(true);
  });

  test('a schedule runs pending → completed and its progress and result reach the WebSocket', async () => {
    const created = await alice.request('POST', '/schedule', {
      name: 'Production Schedule - Week 42',
      lots_data: lots,
      strategy: 'smart-pack',
      config: { line_count: 1 },
      start_time: '2024-10-14T08:00:00',
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      name: 'Production Schedule - Week 42',
      strategy: 'smart-pack',
      status: 'pending',
      started_at: null,
      completed_at: null,
      error_message: null,
    });
    const id = created.body.id;
    const live = await collectWs(alice.wsUrl('schedule', id));
    const final = live.messages[live.messages.length - 1];
    expect(final).toMatchObject({ type: 'complete', progress: 100 });
    expect(final.result.schedule_id).toBe(id);
    expect(final.result.makespan).toBeGreaterThan(0);
    for (const m of live.messages.slice(0, -1)) {
      expect(m.type).toBe('progress');
      expect(typeof m.progress).toBe('number');
      expect(typeof m.timestamp).toBe('string');
    }

    const got = await waitUntil(
      async () => {
        const r = await alice.request('GET', `/schedule/${id}`);
        return r.body.status === 'completed' && r.body.result ? r : null;
      },
      30_000,
      'completed schedule',
    );
    expect(got.body.started_at).not.toBeNull();
    expect(got.body.completed_at).not.toBeNull();
    const result = got.body.result;
    expect(result.lots_scheduled).toBe(lots.length);
    expect(result.makespan).toBeCloseTo(final.result.makespan, 6);
    // SPEC §3: one line with the defaults is the reference model; 497.16 h is the proven optimum.
    expect(result.makespan).toBeGreaterThanOrEqual(497.16 - 1e-6);
    const fills = result.activities.filter((a: any) => a.kind === 'FILL');
    expect(fills).toHaveLength(lots.length);
    expect(result.kpis).toHaveProperty('total_production_time');

    // a client connecting after the end receives the final message at once
    const late = await collectWs(alice.wsUrl('schedule', id), 5000);
    expect(late.messages).toHaveLength(1);
    expect(late.messages[0]).toMatchObject({ type: 'complete', result: { schedule_id: id } });
  });

  test('a template changed, deleted or made the default is seen by the very next create', async () => {
    // The schedule service keeps resolved templates between creates; the config service's change
    // notices must drop them before the change is answered. A template that makes the lots invalid
    // (min_batch_size above every lot) turns the next create into a 422: what it resolved shows.
    const carol = new ApiClient(platform.gatewayUrl);
    await carol.registerAndLogin('carol@example.com');
    const few = lots.slice(0, 3);
    const create = (extra: Record<string, unknown> = {}) =>
      carol.request('POST', '/schedule', { name: 'cfg', lots_data: few, ...extra });
    const refusing = { min_batch_size: 1_000_000_000 };
    const tpl = await carol.request('POST', '/config', { name: 'T', config: { line_count: 2 } });
    expect(tpl.status).toBe(201);
    const id = tpl.body.id;
    expect((await carol.request('POST', `/config/${id}/set-default`)).status).toBe(200);
    expect((await create()).status).toBe(202); // the default, now kept
    expect((await create({ config_id: id })).status).toBe(202); // by id, now kept

    expect((await carol.request('PUT', `/config/${id}`, { config: refusing })).status).toBe(200);
    expect((await create()).status).toBe(422);
    expect((await create({ config_id: id })).status).toBe(422);

    const other = await carol.request('POST', '/config', { name: 'U', config: { line_count: 1 } });
    expect((await carol.request('POST', `/config/${other.body.id}/set-default`)).status).toBe(200);
    expect((await create()).status).toBe(202);
    expect((await carol.request('POST', `/config/${id}/set-default`)).status).toBe(200);
    expect((await create()).status).toBe(422);

    expect((await carol.request('DELETE', `/config/${id}`)).status).toBe(200);
    expect((await create()).status).toBe(202); // no default any more
    expect((await create({ config_id: id })).status).toBe(404);
  });

  test('bad input and foreign resources get clear errors', async () => {
    const noToken = new ApiClient(platform.gatewayUrl);
    const unauth = await noToken.request('GET', '/schedules');
    expect(unauth.status).toBe(401);
    expect(unauth.body).toEqual({ detail: 'Could not validate credentials' });
    expect(unauth.headers.get('www-authenticate')).toBe('Bearer');

    const wrongType = await alice.request('POST', '/schedule', {
      name: 'x',
      lots_data: [{ lot_id: 'L1', product: 'A', quantity: 'many' }],
    });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.detail[0].loc).toEqual(['body', 'lots_data', 0, 'quantity']);

    const malformed = await alice.request('POST', '/schedule', '{"name": ', {
      'Content-Type': 'application/json',
    });
    expect(malformed.status).toBe(422);
    expect(Array.isArray(malformed.body.detail)).toBe(true);

    const badStrategy = await alice.request('POST', '/schedule', {
      name: 'x',
      lots_data: lots,
      strategy: 'nope',
    });
    expect(badStrategy.status).toBe(422);
    expect(badStrategy.body.detail[0].loc).toEqual(['body', 'strategy']);
    expect(badStrategy.body.detail[0].msg).toContain('smart-pack');

    const mine = await alice.request('POST', '/schedule', { name: 'private', lots_data: lots.slice(0, 3) });
    expect(mine.status).toBe(202);
    const foreign = await bob.request('GET', `/schedule/${mine.body.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ detail: 'Schedule not found' });
    const unknown = await alice.request('GET', '/schedule/999999');
    expect(unknown.status).toBe(404);

    const badWs = await collectWs(alice.wsUrl('schedule', mine.body.id, 'not-a-token'), 5000);
    expect(badWs.closeCode).toBe(1008);
  });

  test('a stopped service answers 503 quickly, never a hang', async () => {
    const comparison = platform.procs.get('comparison');
    comparison.kill('SIGTERM');
    await new Promise((r) => comparison.once('exit', r));
    const t0 = Date.now();
    const res = await alice.request('GET', '/comparisons');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ detail: 'Service unavailable: comparison' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test('NATS unreachable at request time → 503 within the breaker timeout, never a hang', async () => {
    await platform.nats.stop();
    const t0 = Date.now();
    const res = await alice.request('GET', '/schedules');
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/^Service unavailable: /);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
