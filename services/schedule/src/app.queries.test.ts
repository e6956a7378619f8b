import { resultView } from '@fillsched/contracts';
import { chunksOf, makeRecord, makeResult } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';
import type { ScheduleRecord } from './ports';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };
const root = { id: 99, email: 'root@example.com', is_superuser: true };

let h: TestHarness;
beforeEach(() => {
  h = makeHarness();
});

async function seed(id: number, over: Partial<ScheduleRecord> = {}, withResult = false) {
  await h.schedules.create(makeRecord(id, over));
  if (withResult) await h.results.upsert(id, chunksOf(makeResult(4)));
}
const detailLocs = (body: unknown) =>
  (body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);

describe('get', () => {
  test('a pending schedule → 200 summary with result null', async () => {
    await seed(1);
    const res = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 1,
      name: 'Schedule 1',
      strategy: 'smart-pack',
      status: 'pending',
      created_at: '2026-01-01T00:00:01.000Z',
      started_at: null,
      completed_at: null,
      error_message: null,
      warnings: [],
      result: null,
    });
  });

  test('a completed schedule → result with KPIs, activities, lower bound, gap and per line', async () => {
    await seed(
      1,
      {
        status: 'completed',
        started_at: new Date('2026-01-01T00:00:05Z'),
        completed_at: new Date('2026-01-01T00:02:30Z'),
      },
      true,
    );
    const res = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(res.status).toBe(200);
    const body = res.body as Record<string, unknown> & { result: Record<string, unknown> };
    expect(body.started_at).toBe('2026-01-01T00:00:05.000Z');
    expect(body.completed_at).toBe('2026-01-01T00:02:30.000Z');
    const doc = makeResult(4);
    expect(body.result).toEqual({ ...resultView(doc.summary, doc.activities) });
    expect(body.result).not.toHaveProperty('activity_count');
    for (const k of [
      'makespan',
      'utilization',
      'changeovers',
      'lots_scheduled',
      'window_violations',
      'kpis',
      'activities',
      'lower_bound',
      'gap',
      'per_line',
    ])
      expect(body.result).toHaveProperty(k);
  });

  test("another user's schedule and an unknown id are both 404 Schedule not found", async () => {
    await seed(1);
    for (const req of [
      { user: bob, params: { id: '1' } },
      { user: alice, params: { id: '2' } },
    ])
      expect(await h.app.handlers.get(req)).toEqual({ status: 404, body: { detail: 'Schedule not found' } });
  });

  test("a superuser sees anyone's schedule", async () => {
    await seed(1);
    expect((await h.app.handlers.get({ user: root, params: { id: '1' } })).status).toBe(200);
  });

  test.each([['abc'], ['1.5'], ['0'], ['-3']])('id %j → 422 at path.id', async (id) => {
    const res = await h.app.handlers.get({ user: alice, params: { id } });
    expect(res.status).toBe(422);
    expect(detailLocs(res.body)).toEqual([['path', 'id']]);
  });

  test('no params at all → 422 at path.id; no user → 401', async () => {
    expect(detailLocs((await h.app.handlers.get({ user: alice })).body)).toEqual([['path', 'id']]);
    expect((await h.app.handlers.get({ params: { id: '1' } })).status).toBe(401);
  });
});

describe('list', () => {
  beforeEach(async () => {
    await seed(1, { name: 'b', status: 'completed' });
    await seed(2, { name: 'a', status: 'pending', strategy: 'lpt-pack' });
    await seed(3, { user_id: 2, name: 'c' });
    await seed(4, { name: 'c', status: 'failed', strategy: 'lpt-pack' });
  });

  test("the guide's shape, own schedules only, newest first, defaults page 1 size 20", async () => {
    const res = await h.app.handlers.list({ user: alice, query: {} });
    expect(res.status).toBe(200);
    const body = res.body as {
      schedules: Array<{ id: number }>;
      total: number;
      page: number;
      page_size: number;
    };
    expect(body.total).toBe(3);
    expect(body.page).toBe(1);
    expect(body.page_size).toBe(20);
    expect(body.schedules.map((s) => s.id)).toEqual([4, 2, 1]);
    expect(Object.keys(body.schedules[0]).sort()).toEqual(
      [
        'completed_at',
        'created_at',
        'error_message',
        'id',
        'name',
        'started_at',
        'status',
        'strategy',
      ].sort(),
    );
  });

  test('page and page_size arrive as query strings', async () => {
    const res = await h.app.handlers.list({ user: alice, query: { page: '2', page_size: '2' } });
    expect(res.body).toMatchObject({ total: 3, page: 2, page_size: 2 });
    expect((res.body as { schedules: Array<{ id: number }> }).schedules.map((s) => s.id)).toEqual([1]);
  });

  test('status, strategy and sort filters', async () => {
    const byStatus = await h.app.handlers.list({ user: alice, query: { status: 'completed' } });
    expect((byStatus.body as { schedules: Array<{ id: number }> }).schedules.map((s) => s.id)).toEqual([1]);
    const byStrategy = await h.app.handlers.list({
      user: alice,
      query: { strategy: 'lpt-pack', sort: 'name' },
    });
    expect((byStrategy.body as { schedules: Array<{ id: number }> }).schedules.map((s) => s.id)).toEqual([
      2, 4,
    ]);
  });

  test('a superuser lists everyone', async () => {
    const res = await h.app.handlers.list({ user: root, query: { sort: 'id' } });
    expect(res.body).toMatchObject({ total: 4 });
  });

  test.each([
    [{ page: '0' }, ['query', 'page']],
    [{ page: 'x' }, ['query', 'page']],
    [{ page_size: '101' }, ['query', 'page_size']],
    [{ page_size: '0' }, ['query', 'page_size']],
    [{ status: 'done' }, ['query', 'status']],
    [{ strategy: 'fastest' }, ['query', 'strategy']],
    [{ sort: 'makespan' }, ['query', 'sort']],
  ])('%j → 422 at %j', async (query, loc) => {
    const res = await h.app.handlers.list({ user: alice, query });
    expect(res.status).toBe(422);
    expect(detailLocs(res.body)).toEqual([loc]);
  });

  test('an invalid strategy filter names the valid ids', async () => {
    const res = await h.app.handlers.list({ user: alice, query: { strategy: 'fastest' } });
    expect((res.body as { detail: Array<{ msg: string }> }).detail[0].msg).toBe(
      'Invalid strategy: must be one of [smart-pack, lpt-pack, spt-pack, cfs-pack, hybrid-pack, milp-opt]',
    );
  });

  test('no user → 401', async () => {
    expect((await h.app.handlers.list({ query: {} })).status).toBe(401);
  });
});

describe('delete', () => {
  test.each([['pending'], ['running']] as const)(
    'a %s schedule is cancelled, then deleted',
    async (status) => {
      await seed(1, { status });
      const res = await h.app.handlers.delete({ user: alice, params: { id: '1' } });
      expect(res).toEqual({ status: 200, body: { message: 'Schedule deleted successfully' } });
      expect(h.canceller.cancelled).toEqual(['schedule.1']);
      expect(await h.schedules.get(1)).toBeNull();
      expect((await h.app.handlers.get({ user: alice, params: { id: '1' } })).status).toBe(404);
    },
  );

  test('a completed schedule is deleted with its result, no cancellation', async () => {
    await seed(1, { status: 'completed' }, true);
    expect((await h.app.handlers.delete({ user: alice, params: { id: '1' } })).status).toBe(200);
    expect(h.canceller.cancelled).toEqual([]);
    expect(await h.results.get(1)).toBeNull();
  });

  test("another user's schedule → 404 and it stays; a superuser may delete it", async () => {
    await seed(1);
    expect(await h.app.handlers.delete({ user: bob, params: { id: '1' } })).toEqual({
      status: 404,
      body: { detail: 'Schedule not found' },
    });
    expect(await h.schedules.get(1)).not.toBeNull();
    expect(h.canceller.cancelled).toEqual([]);
    expect((await h.app.handlers.delete({ user: root, params: { id: '1' } })).status).toBe(200);
  });

  test('cancellation failing → 503 and the schedule is kept (no orphan job)', async () => {
    await seed(1, { status: 'running' });
    h.canceller.failWith = new Error('KV unavailable');
    const res = await h.app.handlers.delete({ user: alice, params: { id: '1' } });
    expect(res).toEqual({ status: 503, body: { detail: 'Could not cancel the schedule: KV unavailable' } });
    expect(await h.schedules.get(1)).not.toBeNull();
  });

  test('a second delete → 404; a bad id → 422', async () => {
    await seed(1, { status: 'failed' });
    await h.app.handlers.delete({ user: alice, params: { id: '1' } });
    expect((await h.app.handlers.delete({ user: alice, params: { id: '1' } })).status).toBe(404);
    expect(detailLocs((await h.app.handlers.delete({ user: alice, params: { id: 'x' } })).body)).toEqual([
      ['path', 'id'],
    ]);
  });
});

describe('export', () => {
  beforeEach(async () => {
    await seed(1, { status: 'completed' });
    const r = makeResult(3);
    r.activities[1].lot_id = 'LOT "7", east';
    r.activities[2].type = 'multi\nline';
    await h.results.upsert(1, chunksOf(r));
  });

  test('json → the full schedule with result, as an attachment', async () => {
    const res = await h.app.handlers.export({ user: alice, params: { id: '1' }, query: { format: 'json' } });
    expect(res.status).toBe(200);
    expect(res.headers).toEqual({ 'Content-Disposition': 'attachment; filename="schedule-1.json"' });
    expect(res.body).toEqual((await h.app.handlers.get({ user: alice, params: { id: '1' } })).body);
    expect((res.body as { result: { activities: unknown[] } }).result.activities).toHaveLength(3);
  });

  test('format defaults to json', async () => {
    const res = await h.app.handlers.export({ user: alice, params: { id: '1' }, query: {} });
    expect(res.headers?.['Content-Disposition']).toBe('attachment; filename="schedule-1.json"');
  });

  test('csv → documented columns, ISO times, RFC 4180 quoting', async () => {
    const res = await h.app.handlers.export({ user: alice, params: { id: '1' }, query: { format: 'csv' } });
    expect(res.status).toBe(200);
    expect(res.headers).toEqual({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="schedule-1.csv"',
    });
    expect(res.body).toBe(
      'line,kind,lot_id,type,start,end,duration_minutes,duration_hours\r\n' +
        '1,CLEAN,,,2026-01-01T00:00:00.000Z,2026-01-01T01:00:00.000Z,60,1\r\n' +
        '2,FILL,"LOT ""7"", east",A,2026-01-01T01:00:00.000Z,2026-01-01T02:00:00.000Z,60,1\r\n' +
        '1,FILL,L2,"multi\nline",2026-01-01T02:00:00.000Z,2026-01-01T03:00:00.000Z,60,1\r\n',
    );
  });

  test('svg → the Gantt chart from the shared renderer: a lane per line, a bar per activity', async () => {
    const res = await h.app.handlers.export({ user: alice, params: { id: '1' }, query: { format: 'svg' } });
    expect(res.status).toBe(200);
    expect(res.headers).toEqual({
      'Content-Type': 'image/svg+xml; charset=utf-8',
      'Content-Disposition': 'attachment; filename="schedule-1.svg"',
    });
    const svg = res.body as string;
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<g class="lane" data-line="/g)).toHaveLength(2);
    expect(svg.match(/<g class="bar /g)).toHaveLength(3);
    expect(svg).toContain('data-lot-id="LOT &quot;7&quot;, east"');
    expect(svg).toContain('data-lot-id="L2"');
  });

  test.each([['pending'], ['running'], ['failed'], ['cancelled']] as const)(
    'a %s schedule → 409',
    async (status) => {
      await seed(2, { status });
      const res = await h.app.handlers.export({ user: alice, params: { id: '2' }, query: { format: 'csv' } });
      expect(res).toEqual({ status: 409, body: { detail: `Schedule is not completed (status: ${status})` } });
    },
  );

  test('format=xml → 422 at query.format', async () => {
    const res = await h.app.handlers.export({ user: alice, params: { id: '1' }, query: { format: 'xml' } });
    expect(res.status).toBe(422);
    expect(detailLocs(res.body)).toEqual([['query', 'format']]);
  });

  test("another user's → 404; superuser → 200", async () => {
    expect(
      (await h.app.handlers.export({ user: bob, params: { id: '1' }, query: { format: 'csv' } })).status,
    ).toBe(404);
    expect(
      (await h.app.handlers.export({ user: root, params: { id: '1' }, query: { format: 'csv' } })).status,
    ).toBe(200);
  });
});

describe('validate', () => {
  const lot = { lot_id: 'LOT001', product: 'ProductA', quantity: 1000 };

  test("the guide's body → valid with the guide's priority warning", async () => {
    const res = await h.app.handlers.validate({ user: alice, body: { lots_data: [lot] } });
    expect(res).toEqual({
      status: 200,
      body: {
        valid: true,
        errors: [],
        warnings: ["Missing 'priority' field for lot LOT001, defaulting to 0"],
      },
    });
  });

  test('a bare array is accepted too', async () => {
    const res = await h.app.handlers.validate({ user: alice, body: [{ ...lot, priority: 2 }] });
    expect(res).toEqual({ status: 200, body: { valid: true, errors: [], warnings: [] } });
  });

  test('errors are readable strings naming the lot index and field', async () => {
    const res = await h.app.handlers.validate({
      user: alice,
      body: {
        lots_data: [
          { ...lot, priority: 0 },
          { ...lot, priority: 0 },
          { lot_id: 'L3', product: 'B', quantity: -5, priority: 1 },
        ],
      },
    });
    expect(res.status).toBe(200);
    const body = res.body as { valid: boolean; errors: string[] };
    expect(body.valid).toBe(false);
    expect(body.errors.some((e) => e.startsWith('lots_data[1].lot_id: '))).toBe(true);
    expect(body.errors.some((e) => e.startsWith('lots_data[2].'))).toBe(true);
  });

  test('a wrong type is reported once per field (bare array paths are named lots_data too)', async () => {
    const res = await h.app.handlers.validate({
      user: alice,
      body: [{ ...lot, quantity: 'many', priority: 1 }],
    });
    const body = res.body as { valid: boolean; errors: string[] };
    expect(body.valid).toBe(false);
    expect(body.errors.filter((e) => e.startsWith('lots_data[0].quantity: '))).toHaveLength(1);
  });

  test('config errors are reported under config', async () => {
    const res = await h.app.handlers.validate({
      user: alice,
      body: { lots_data: [{ ...lot, priority: 1 }], config: { clean_hours: 'long' } },
    });
    const body = res.body as { valid: boolean; errors: string[] };
    expect(body.valid).toBe(false);
    expect(body.errors.some((e) => e.startsWith('config.clean_hours: '))).toBe(true);
  });

  test('an empty list is invalid, not a 422', async () => {
    const res = await h.app.handlers.validate({ user: alice, body: { lots_data: [] } });
    expect(res.status).toBe(200);
    expect((res.body as { valid: boolean }).valid).toBe(false);
  });

  test.each([[{}], ['text'], [null], [{ lots_data: 'x' }], [42]])(
    '%j is neither shape → 422 at body',
    async (body) => {
      const res = await h.app.handlers.validate({ user: alice, body });
      expect(res.status).toBe(422);
      expect(detailLocs(res.body)).toEqual([['body']]);
    },
  );
});

describe('strategies', () => {
  test("the guide's ids, names and descriptions", async () => {
    const res = await h.app.handlers.strategies({ user: alice });
    expect(res.status).toBe(200);
    const list = (res.body as { strategies: Array<{ id: string; name: string; description: string }> })
      .strategies;
    expect(list.map((s) => s.id)).toEqual([
      'smart-pack',
      'lpt-pack',
      'spt-pack',
      'cfs-pack',
      'hybrid-pack',
      'milp-opt',
    ]);
    expect(list[0]).toEqual({
      id: 'smart-pack',
      name: 'Smart Pack',
      description: 'Intelligent packing with priority optimization',
    });
  });
});

describe('robustness', () => {
  test('a repository failure becomes a 500 reply, never a throw', async () => {
    h.schedules.get = async () => {
      throw new Error('db down');
    };
    const res = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(res).toEqual({ status: 500, body: { detail: 'Internal server error' } });
  });
});
