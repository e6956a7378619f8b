import { SolveJobSchema } from '@fillsched/contracts';
import { normalizeInput, solve } from '@fillsched/engine';
import { makeRecord } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';
import { toChunks, type ResultChunk, type ResultDocument } from '@fillsched/contracts';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };
const admin = { id: 3, email: 'admin@example.com', is_superuser: true };

const T0 = '2025-03-03T00:00:00.000Z';
const at = (h: number) => new Date(Date.parse(T0) + h * 3.6e6).toISOString();
const lots = Array.from({ length: 12 }, (_, i) => ({
  lot_id: `L${i}`,
  type: `T${i % 3}`,
  vials: Math.round((4 + (i % 4)) * 19920),
  priority: i % 2,
}));
const config = { line_count: 2 };

let h: TestHarness;
let parent: ResultChunk[];
let parentDoc: ResultDocument;
beforeAll(async () => {
  const norm = normalizeInput({ lots_data: lots, config, start_time: T0 });
  if (!norm.ok) throw new Error('fixture invalid');
  const out = await solve(norm.instance, { strategy: 'lpt-pack', seed: 1 });
  // The parent's result as the solver stores and hands it over (services/solver/src/result-document.ts).
  const { activities, ...rest } = out.result;
  const summary = {
    ...rest,
    lower_bound: out.lower_bound,
    gap: out.gap,
    execution_time: out.execution_time,
    activity_count: activities.length,
  };
  parentDoc = { summary: summary as ResultDocument['summary'], activities };
  parent = toChunks(parentDoc);
});
beforeEach(async () => {
  h = makeHarness();
  await h.schedules.create(
    makeRecord(100, {
      status: 'completed',
      lots_data: lots,
      config,
      start_time: T0,
      strategy: 'lpt-pack',
      name: 'Week 42',
      user_id: 1,
    }),
  );
  await h.results.upsert(100, parent);
});
const replan = (body: unknown, user: typeof alice | null = alice, id = '100') =>
  h.app.handlers.replan({ user, params: { id }, body });
const locs = (body: unknown) => (body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
const stored = async () => (await h.schedules.list({ sort: 'id', skip: 0, limit: 100 })).items.length;

describe('POST /schedule/{id}/replan', () => {
  test('202: a new pending schedule with parent_id and version; its job carries the replan context', async () => {
    const res = await replan({
      at: at(10),
      disruptions: [{ type: 'line_down', line: 2, start: at(40), end: at(76), reason: 'pump' }],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: 1,
      name: 'Week 42 (replan 2)',
      strategy: 'lpt-pack',
      status: 'pending',
      parent_id: 100,
      version: 2,
    });
    const rec = await h.schedules.get(1);
    expect(rec).toMatchObject({ parent_id: 100, version: 2, start_time: T0, user_id: 1 });
    const downtime = (rec!.config.lines as Array<{ downtime?: unknown[] }>)[1].downtime;
    expect(downtime).toEqual([{ start: at(40), end: at(76), reason: 'pump' }]);
    expect(h.publisher.events).toHaveLength(1);
    const job = SolveJobSchema.parse(h.publisher.events[0].data);
    expect(job.owner).toEqual({ kind: 'schedule', id: 1, user_id: 1 });
    const ctx = job.input.replan as { parent_id: number; frozen: unknown[]; line_down: unknown[] };
    expect(ctx.parent_id).toBe(100);
    expect(ctx.frozen.length).toBeGreaterThan(0);
    expect(ctx.line_down).toEqual([{ line: 2, start: 40, end: 76, reason: 'pump' }]);
    // GET shows the lineage too
    const got = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(got.body).toMatchObject({ parent_id: 100, version: 2 });
  });

  test('a replan of a replan is version 3', async () => {
    await h.schedules.create(
      makeRecord(5, {
        status: 'completed',
        lots_data: lots,
        config,
        start_time: T0,
        parent_id: 100,
        version: 2,
      }),
    );
    await h.results.upsert(5, parent);
    const res = await replan({ at: at(5) }, alice, '5');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ parent_id: 5, version: 3 });
  });

  test('owner only: 404 for another user and for an admin; 401 without a user', async () => {
    expect((await replan({}, bob)).status).toBe(404);
    expect((await replan({}, admin)).status).toBe(404);
    expect((await replan({}, null)).status).toBe(401);
    expect((await replan({}, alice, '99')).status).toBe(404);
    expect(await stored()).toBe(1);
  });

  test.each(['pending', 'running', 'failed', 'cancelled'] as const)(
    '409 when the parent is %s',
    async (status) => {
      await h.schedules.create(makeRecord(7, { status, lots_data: lots, config, start_time: T0 }));
      const res = await replan({ at: at(5) }, alice, '7');
      expect(res.status).toBe(409);
      expect(await stored()).toBe(2);
      expect(h.publisher.events).toHaveLength(0);
    },
  );

  test.each([
    ['at before the parent start', { at: '2025-03-02T00:00:00Z' }, ['body', 'at']],
    ['at not a time', { at: 'tomorrow' }, ['body', 'at']],
    ['freeze neither "started" nor a time', { freeze: 'everything' }, ['body', 'freeze']],
    [
      'unknown line',
      { disruptions: [{ type: 'line_down', line: 7, start: at(30), end: at(40) }] },
      ['body', 'disruptions', 0, 'line'],
    ],
    [
      'unknown line id',
      { disruptions: [{ type: 'line_down', line: 'Z', start: at(30), end: at(40) }] },
      ['body', 'disruptions', 0, 'line'],
    ],
    [
      'line_down overlapping a frozen activity',
      { at: at(10), disruptions: [{ type: 'line_down', line: 1, start: at(2), end: at(12) }] },
      ['body', 'disruptions', 0, 'start'],
    ],
    [
      'line_down ending before it starts',
      { disruptions: [{ type: 'line_down', line: 1, start: at(40), end: at(30) }] },
      ['body', 'disruptions', 0, 'end'],
    ],
    [
      'unknown lot removed',
      { disruptions: [{ type: 'lot_removed', lot_id: 'X9' }] },
      ['body', 'disruptions', 0, 'lot_id'],
    ],
    [
      'unknown lot changed',
      { disruptions: [{ type: 'lot_changed', lot_id: 'X9', priority: 2 }] },
      ['body', 'disruptions', 0, 'lot_id'],
    ],
    [
      'added lot with an existing id',
      { disruptions: [{ type: 'lot_added', lot: { lot_id: 'L3', type: 'T0', vials: 1000 } }] },
      ['body', 'disruptions', 0, 'lot', 'lot_id'],
    ],
    [
      'added lot the engine rejects',
      {
        disruptions: [
          { type: 'lot_added', lot: { lot_id: 'N1', type: 'T0', vials: 1000, end_window: 'soon' } },
        ],
      },
      ['body', 'disruptions', 0, 'lot', 'end_window'],
    ],
    ['unknown disruption type', { disruptions: [{ type: 'flood' }] }, ['body', 'disruptions', 0, 'type']],
    ['config key that moves frozen work', { config: { clean_hours: 2 } }, ['body', 'config', 'clean_hours']],
    ['negative stability weight', { stability: { weight: -1 } }, ['body', 'stability', 'weight']],
  ])('422 for %s, with its exact loc; nothing stored or enqueued', async (_name, body, loc) => {
    const res = await replan({ at: at(1), ...body });
    expect(res.status).toBe(422);
    expect(locs(res.body)).toContainEqual(loc);
    expect(await stored()).toBe(1);
    expect(h.publisher.events).toHaveLength(0);
  });

  test('422 when a started lot is removed or resized; its priority may change', async () => {
    const first = parentDoc.activities.find((a) => a.kind === 'FILL' && a.line === 1)!.lot_id!;
    const removed = await replan({ at: at(10), disruptions: [{ type: 'lot_removed', lot_id: first }] });
    expect(removed.status).toBe(422);
    expect(locs(removed.body)).toEqual([['body', 'disruptions', 0, 'lot_id']]);
    const resized = await replan({
      at: at(10),
      disruptions: [{ type: 'lot_changed', lot_id: first, vials: 5 }],
    });
    expect(locs(resized.body)).toEqual([['body', 'disruptions', 0, 'vials']]);
    expect(await stored()).toBe(1);
    const urgent = await replan({
      at: at(10),
      disruptions: [{ type: 'lot_changed', lot_id: first, priority: 9 }],
    });
    expect(urgent.status).toBe(202);
  });
});
