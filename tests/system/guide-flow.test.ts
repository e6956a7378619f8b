// The API guide's client flow end to end (issue 4): login → create schedule → wait for completion →
// get → export JSON and CSV → compare three strategies → config template create/default/validate →
// schedule with the default template → refresh → logout → delete. Every service is its own process.
import { ApiClient, collectWs, lotsFromCsv, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

describe('the guide client flow', () => {
  let platform: any;
  let api: ApiClient;
  const lots = lotsFromCsv(sharedPath('data/lots/lots.csv'));

  beforeAll(async () => {
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 2, stdio: 'ignore' });
    api = new ApiClient(platform.gatewayUrl);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('root, health and docs', async () => {
    const root = await fetch(`${platform.gatewayUrl}/`);
    expect(root.status).toBe(200);
    const health = await fetch(`${platform.gatewayUrl}/health`);
    expect(health.status).toBe(200);
    const openapi = await (await fetch(`${platform.gatewayUrl}/openapi.json`)).json();
    expect(openapi.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/api/v1/schedule', '/api/v1/compare', '/api/v1/config/{id}']),
    );
    for (const p of ['/docs', '/redoc']) {
      const page = await fetch(`${platform.gatewayUrl}${p}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
  });

  test('login, schedule, export, compare, config templates, refresh, logout', async () => {
    const tokens = await api.registerAndLogin('user@example.com');
    expect(tokens.token_type).toBe('bearer');
    expect(typeof tokens.refresh_token).toBe('string');
    const dup = await api.request('POST', '/auth/register', {
      email: 'USER@example.com',
      password: 'SecurePass123!',
    });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({ detail: 'Email already registered' });

    const strategies = await api.request('GET', '/strategies');
    expect(strategies.body.strategies.map((s: any) => s.id)).toEqual([
      'smart-pack',
      'lpt-pack',
      'spt-pack',
      'cfs-pack',
      'hybrid-pack',
      'milp-opt',
    ]);

    const valid = await api.request('POST', '/schedule/validate', {
      lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000 }],
    });
    expect(valid.status).toBe(200);
    expect(valid.body.valid).toBe(true);
    expect(valid.body.warnings).toContain("Missing 'priority' field for lot LOT001, defaulting to 0");

    // create → wait (the guide's wait_for_completion polls GET)
    const created = await api.request('POST', '/schedule', {
      name: 'Test Schedule',
      lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 }],
      strategy: 'smart-pack',
      config: null,
    });
    expect(created.status).toBe(202);
    const id = created.body.id;
    const done = await waitUntil(
      async () => {
        const r = await api.request('GET', `/schedule/${id}`);
        return r.body.status === 'completed' ? r : null;
      },
      60_000,
      'schedule completion',
    );
    expect(done.body.result.lots_scheduled).toBe(1);

    const asJson = await api.request('GET', `/schedule/${id}/export?format=json`);
    expect(asJson.status).toBe(200);
    expect(asJson.body.result.activities.length).toBeGreaterThan(0);
    const asCsv = await api.request('GET', `/schedule/${id}/export?format=csv`);
    expect(asCsv.status).toBe(200);
    expect(asCsv.headers.get('content-type')).toContain('text/csv');
    expect(String(asCsv.body).split('\n')[0]).toContain('lot_id');
    expect(String(asCsv.body)).toContain('LOT001');

    const listed = await api.request('GET', '/schedules?page=1&page_size=20&status=completed');
    expect(listed.body).toMatchObject({ total: 1, page: 1, page_size: 20 });
    const tooBig = await api.request('GET', '/schedules?page_size=1000');
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.detail[0].loc).toEqual(['query', 'page_size']);

    // comparison of three strategies, followed live
    const cmp = await api.request('POST', '/compare', {
      name: 'Strategy Comparison - October 2024',
      lots_data: lots,
      strategies: ['smart-pack', 'lpt-pack', 'spt-pack'],
      config: { line_count: 3 },
    });
    expect(cmp.status).toBe(202);
    const ws = await collectWs(api.wsUrl('compare', cmp.body.id));
    expect(ws.messages[ws.messages.length - 1].type).toBe('complete');
    const cmpDone = await waitUntil(
      async () => {
        const r = await api.request('GET', `/compare/${cmp.body.id}`);
        return r.body.status === 'completed' ? r : null;
      },
      60_000,
      'comparison',
    );
    expect(cmpDone.body.results).toHaveLength(3);
    const best = [...cmpDone.body.results].sort((a: any, b: any) => a.makespan - b.makespan)[0];
    expect(cmpDone.body.best_strategy).toBe(best.strategy);
    const cmpList = await api.request('GET', '/comparisons');
    expect(cmpList.body.total).toBe(1);

    // configuration templates
    const tpl = await api.request('POST', '/config', {
      name: 'High-Priority Production',
      description: 'Configuration for high-priority lots',
      config: { line_count: 2, changeover_time: 30 },
      is_public: false,
    });
    expect(tpl.status).toBe(201);
    expect(tpl.body).toMatchObject({ is_default: false, config: { line_count: 2 } });
    const setDefault = await api.request('POST', `/config/${tpl.body.id}/set-default`);
    expect(setDefault.status).toBe(200);
    const def = await api.request('GET', '/config/default');
    expect(def.body.id).toBe(tpl.body.id);
    const badCfg = await api.request('POST', '/config/validate', { config: { line_count: -1, foo: 1 } });
    expect(badCfg.status).toBe(200);
    expect(badCfg.body.valid).toBe(false);
    expect(badCfg.body.warnings.join(' ')).toContain('foo');
    const sys = await api.request('GET', '/config/system/default');
    expect(sys.body.config).toHaveProperty('clean_hours', 24);

    // the default template applies to a schedule without config: two lines used
    const withDefault = await api.request('POST', '/schedule', { name: 'default cfg', lots_data: lots });
    const wd = await waitUntil(
      async () => {
        const r = await api.request('GET', `/schedule/${withDefault.body.id}`);
        return r.body.status === 'completed' ? r : null;
      },
      60_000,
      'schedule with default template',
    );
    const lines = new Set(wd.body.result.activities.map((a: any) => a.line));
    expect([...lines].sort()).toEqual([1, 2]);

    // delete
    const del = await api.request('DELETE', `/schedule/${id}`);
    expect(del.body).toEqual({ message: 'Schedule deleted successfully' });
    expect((await api.request('GET', `/schedule/${id}`)).status).toBe(404);
    expect((await api.request('DELETE', `/compare/${cmp.body.id}`)).status).toBe(200);
    expect((await api.request('DELETE', `/config/${tpl.body.id}`)).status).toBe(200);

    // refresh rotates; reusing the rotated refresh token is refused and revokes the whole family,
    // including the access tokens of that session
    const refreshed = await api.request('POST', '/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    api.token = refreshed.body.access_token;
    expect((await api.request('GET', '/auth/me')).status).toBe(200);
    const reuse = await api.request('POST', '/auth/refresh', { refresh_token: tokens.refresh_token });
    expect(reuse.status).toBe(401);
    expect((await api.request('GET', '/auth/me')).status).toBe(401);
    const stolen = await api.request('POST', '/auth/refresh', {
      refresh_token: refreshed.body.refresh_token,
    });
    expect(stolen.status).toBe(401);

    // logout revokes at once
    const again = await api.request(
      'POST',
      '/auth/login',
      new URLSearchParams({ username: 'user@example.com', password: 'SecurePass123!' }),
      { 'Content-Type': 'application/x-www-form-urlencoded' },
    );
    api.token = again.body.access_token;
    expect((await api.request('POST', '/auth/logout')).status).toBe(200);
    const after = await api.request('GET', '/auth/me');
    expect(after.status).toBe(401);
  });
});
