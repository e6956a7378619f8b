import {
  ComparisonListSchema,
  ComparisonOutSchema,
  ComparisonResultSchema,
  ComparisonSummarySchema,
  EVENT_TYPES,
  MESSAGES,
  STRATEGY_ERROR,
  SolveJobSchema,
  comparisonFinishedSubject,
  makeEvent,
  tooManyJobs,
} from '@fillsched/contracts';
import { MemoryUserWorkload } from '@fillsched/job-owner';
import type { StrategyId } from '@fillsched/engine';
import { createLogger, MemoryIdAllocator, type RpcUser } from '@fillsched/service-kit';
import { MemoryComparisonRepository } from './adapters/memory';
import { entry } from './comparison-repository.contract';
import { createComparisonApp, DELETED_MESSAGE, finalStatus, pickBest, type ComparisonApp } from './app';
import { FakeCanceller, FakePublisher, FakeResolver, lifecycleEvent } from './testing-fakes';

const alice: RpcUser = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob: RpcUser = { id: 2, email: 'bob@example.com', is_superuser: false };
const root: RpcUser = { id: 3, email: 'root@example.com', is_superuser: true };
const NOW = new Date('2026-03-04T05:06:07.000Z');

let repo: MemoryComparisonRepository;
let publisher: FakePublisher;
let canceller: FakeCanceller;
let resolver: FakeResolver;
let app: ComparisonApp;

beforeEach(() => {
  repo = new MemoryComparisonRepository();
  publisher = new FakePublisher();
  canceller = new FakeCanceller();
  resolver = new FakeResolver();
  app = createComparisonApp({
    comparisons: repo,
    ids: new MemoryIdAllocator(),
    publisher,
    canceller,
    configResolver: resolver,
    clock: { now: () => NOW },
    logger: createLogger('comparison-test', 'silent'),
  });
});

const guideBody = (over: Record<string, unknown> = {}) => ({
  name: 'Strategy Comparison - October 2024',
  lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 }],
  strategies: ['smart-pack', 'lpt-pack', 'spt-pack'],
  config: { line_count: 3 },
  ...over,
});
const locs = (body: unknown) => (body as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc);

async function createAs(user: RpcUser = alice, over: Record<string, unknown> = {}): Promise<number> {
  const r = await app.handlers.create({ user, body: guideBody(over) });
  expect(r.status).toBe(202);
  return (r.body as { id: number }).id;
}
async function deliver(...events: ReturnType<typeof lifecycleEvent>[]) {
  for (const e of events) expect((await app.handleEvent(e.event)).action).toBe('ack');
}
const getOut = async (id: number, user: RpcUser = alice) =>
  (await app.handlers.get({ user, params: { id: String(id) } })).body as Record<string, unknown> & {
    results: Record<string, unknown>[];
  };

describe('create: what was ignored is reported', () => {
  it('unknown top-level fields and config keys → 202 with warnings, kept for GET', async () => {
    const r = await app.handlers.create({
      user: alice,
      body: guideBody({ strategys: ['smart-pack'], config: { line_count: 3, changover_time: 30 } }),
    });
    expect(r.status).toBe(202);
    const expected = [
      "Unknown field 'strategys' is ignored (did you mean 'strategies'?)",
      "Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)",
    ];
    expect(ComparisonSummarySchema.parse(r.body).warnings).toEqual(expected);
    expect(ComparisonOutSchema.parse(await getOut(1)).warnings).toEqual(expected);
    const list = await app.handlers.list({ user: alice, query: {} });
    expect((list.body as { comparisons: object[] }).comparisons[0]).not.toHaveProperty('warnings');
  });
});

describe('create', () => {
  // Found by schemathesis: BSON cannot store a key with NUL, so the mongoose adapter answered 500.
  it.each([
    [{ config: { 'a\u0000': 1 } }, ['body', 'config', 'a\u0000']],
    [
      { lots_data: [{ lot_id: 'A', product: 'X', quantity: 100, extra: { 'q\u0000': 1 } }] },
      ['body', 'lots_data', 0, 'extra', 'q\u0000'],
    ],
  ])('422 naming the key for a NUL character in a key of %j', async (over, loc) => {
    const r = await app.handlers.create({ user: alice, body: guideBody(over) });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc)).toContainEqual(loc);
    expect(publisher.jobs).toHaveLength(0);
  });

  it("answers 202 with the guide's shape and fans out one job per strategy", async () => {
    const r = await app.handlers.create({ user: alice, body: guideBody() });
    expect(r).toEqual({
      status: 202,
      body: {
        id: 1,
        name: 'Strategy Comparison - October 2024',
        strategies: ['smart-pack', 'lpt-pack', 'spt-pack'],
        status: 'pending',
        created_at: NOW.toISOString(),
        started_at: null,
        completed_at: null,
        warnings: [],
      },
    });
    expect(publisher.jobs.map((e) => [e.id, e.type, e.data.job_id, e.data.strategy])).toEqual([
      [
        'solve.requested:comparison.1.smart-pack',
        EVENT_TYPES.solveRequested,
        'comparison.1.smart-pack',
        'smart-pack',
      ],
      [
        'solve.requested:comparison.1.lpt-pack',
        EVENT_TYPES.solveRequested,
        'comparison.1.lpt-pack',
        'lpt-pack',
      ],
      [
        'solve.requested:comparison.1.spt-pack',
        EVENT_TYPES.solveRequested,
        'comparison.1.spt-pack',
        'spt-pack',
      ],
    ]);
    for (const e of publisher.jobs) {
      expect(SolveJobSchema.parse(e.data)).toBeTruthy();
      expect(e.data.owner).toEqual({ kind: 'comparison', id: 1, user_id: 1 });
      expect(e.data.input).toEqual({
        lots_data: guideBody().lots_data,
        config: { line_count: 3 },
        start_time: null,
      });
    }
    const out = await getOut(1);
    expect(ComparisonOutSchema.parse(out)).toBeTruthy();
    expect(out.best_strategy).toBeNull();
    expect(out.results.map((x) => [x.strategy, x.status, x.makespan])).toEqual([
      ['smart-pack', 'pending', null],
      ['lpt-pack', 'pending', null],
      ['spt-pack', 'pending', null],
    ]);
  });

  it('replies match the contract schemas exactly (no extra fields)', async () => {
    const r = await app.handlers.create({ user: alice, body: guideBody() });
    expect(ComparisonSummarySchema.strict().safeParse(r.body).success).toBe(true);
    const id = (r.body as { id: number }).id;
    await deliver(lifecycleEvent('completed', id, 'smart-pack'), lifecycleEvent('failed', id, 'lpt-pack'));
    const out = await getOut(id);
    const strictOut = ComparisonOutSchema.extend({
      results: ComparisonResultSchema.strict().array(),
    }).strict();
    expect(strictOut.safeParse(out).success).toBe(true);
    const listed = (await app.handlers.list({ user: alice, query: {} })).body;
    expect(
      ComparisonListSchema.extend({ comparisons: ComparisonSummarySchema.strict().array() })
        .strict()
        .safeParse(listed).success,
    ).toBe(true);
  });

  it('passes seed and time_limit_s to every job', async () => {
    await createAs(alice, { seed: 7, time_limit_s: 5 });
    for (const e of publisher.jobs) expect(e.data).toMatchObject({ seed: 7, time_limit_s: 5 });
  });

  it('resolves the config through the config service and runs with the merged config', async () => {
    resolver.outcome = { kind: 'resolved', config: { line_count: 3, clean_hours: 6 }, template_id: 9 };
    const id = await createAs(alice, { config_id: 9 });
    expect(resolver.calls).toEqual([{ user: alice, req: { config_id: 9, config: { line_count: 3 } } }]);
    expect(publisher.jobs[0].data.input.config).toEqual({ line_count: 3, clean_hours: 6 });
    expect((await repo.findById(id))?.config_template_id).toBe(9);
  });

  it('a config_id the config service does not know → its 404, nothing stored or published', async () => {
    resolver.outcome = { kind: 'rejected', status: 404, body: { detail: MESSAGES.configNotFound } };
    const r = await app.handlers.create({ user: alice, body: guideBody({ config_id: 77 }) });
    expect(r).toEqual({ status: 404, body: { detail: MESSAGES.configNotFound } });
    expect(publisher.jobs).toHaveLength(0);
    expect((await repo.list(null, 0, 10)).total).toBe(0);
  });

  it('config service down: without config_id the request config is used; with it → 503', async () => {
    resolver.outcome = { kind: 'unavailable', reason: 'no responders' };
    await createAs(alice);
    expect(publisher.jobs[0].data.input.config).toEqual({ line_count: 3 });
    const r = await app.handlers.create({ user: alice, body: guideBody({ config_id: 1 }) });
    expect(r).toEqual({ status: 503, body: { detail: MESSAGES.serviceUnavailable('config') } });
  });

  it('422 when the merged config is invalid with the lots', async () => {
    resolver.outcome = { kind: 'resolved', config: { line_count: 0 }, template_id: 1 };
    const r = await app.handlers.create({ user: alice, body: guideBody({ config: undefined }) });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual([['body', 'config', 'line_count']]);
    expect(publisher.jobs).toHaveLength(0);
  });

  it.each([
    [{ strategies: ['smart-pack'] }, ['body', 'strategies'], 'compare at least 2 strategies'],
    [
      { strategies: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(() => 'smart-pack') },
      ['body', 'strategies'],
      undefined,
    ],
    [{ strategies: ['smart-pack', 'smart-pack'] }, ['body', 'strategies'], 'strategies must be unique'],
    [{ strategies: ['smart-pack', 'nope'] }, ['body', 'strategies', 1], STRATEGY_ERROR],
    [{ strategies: undefined }, ['body', 'strategies'], 'field required'],
    [{ name: '' }, ['body', 'name'], undefined],
    [{ lots_data: [] }, ['body', 'lots_data'], 'at least one lot is required'],
    [{ lots_data: 'x' }, ['body', 'lots_data'], undefined],
    [{ config: [1] }, ['body', 'config'], undefined],
    [{ time_limit_s: 0 }, ['body', 'time_limit_s'], undefined],
    [{ time_limit_s: 3600 }, ['body', 'time_limit_s'], 'time_limit_s must be at most 300 seconds'],
    [{ config_id: -1 }, ['body', 'config_id'], undefined],
  ])('422 for %j at %j', async (over, loc, msg) => {
    const r = await app.handlers.create({ user: alice, body: guideBody(over) });
    expect(r.status).toBe(422);
    const items = (r.body as { detail: { loc: unknown[]; msg: string }[] }).detail;
    expect(items.map((d) => d.loc)).toContainEqual(loc);
    if (msg) expect(items.find((d) => JSON.stringify(d.loc) === JSON.stringify(loc))?.msg).toBe(msg);
    expect(publisher.jobs).toHaveLength(0);
  });

  it('accepts 6 strategies', async () => {
    const all = ['smart-pack', 'lpt-pack', 'spt-pack', 'cfs-pack', 'hybrid-pack', 'milp-opt'];
    await createAs(alice, { strategies: all });
    expect(publisher.jobs).toHaveLength(6);
  });

  it('422 from the engine with loc prefixed by body, before asking the config service', async () => {
    const r = await app.handlers.create({
      user: alice,
      body: guideBody({ lots_data: [{ lot_id: 'L1', type: 'A', vials: -5 }], config: { clean_hours: -1 } }),
    });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual(
      expect.arrayContaining([
        ['body', 'lots_data', 0, 'vials'],
        ['body', 'config', 'clean_hours'],
      ]),
    );
    expect(resolver.calls).toHaveLength(0);
  });

  it('401 without a user; 422 without a body', async () => {
    expect(await app.handlers.create({ body: guideBody() })).toEqual({
      status: 401,
      body: { detail: MESSAGES.credentials },
    });
    expect((await app.handlers.create({ user: alice })).status).toBe(422);
  });

  it('a job that cannot be enqueued fails its strategy only', async () => {
    publisher.failJobsFor.add('lpt-pack');
    const id = await createAs();
    expect(publisher.jobs.map((e) => e.data.strategy)).toEqual(['smart-pack', 'spt-pack']);
    const out = await getOut(id);
    expect(out.results[1]).toMatchObject({ strategy: 'lpt-pack', status: 'failed' });
    expect(String(out.results[1].error_message)).toMatch(/Could not enqueue/);
    expect(out.status).toBe('pending');
  });

  it('a job id the stream already holds (ids reused after a storage restart) fails that strategy, not silently', async () => {
    publisher.seenIds.add('solve.requested:comparison.1.spt-pack');
    const id = await createAs();
    const out = await getOut(id);
    expect(out.results.map((r) => r.status)).toEqual(['pending', 'pending', 'failed']);
    expect(String(out.results[2].error_message)).toMatch(/already used/);
  });

  it('no job enqueued at all → 503 and the comparison is failed, with its finished event', async () => {
    for (const s of ['smart-pack', 'lpt-pack', 'spt-pack']) publisher.failJobsFor.add(s);
    const r = await app.handlers.create({ user: alice, body: guideBody() });
    expect(r.status).toBe(503);
    expect(await getOut(1)).toMatchObject({ status: 'failed', best_strategy: null });
    expect(publisher.finished).toHaveLength(1);
  });
});

describe('get / list / delete', () => {
  it("another user's comparison is 404; a superuser sees it; unknown → 404; bad id → 422", async () => {
    const id = await createAs(alice);
    const nf = { status: 404, body: { detail: MESSAGES.comparisonNotFound } };
    expect(await app.handlers.get({ user: bob, params: { id: String(id) } })).toEqual(nf);
    expect(await app.handlers.delete({ user: bob, params: { id: String(id) } })).toEqual(nf);
    expect((await app.handlers.get({ user: root, params: { id: String(id) } })).status).toBe(200);
    expect(await app.handlers.get({ user: alice, params: { id: '999' } })).toEqual(nf);
    const bad = await app.handlers.get({ user: alice, params: { id: 'abc' } });
    expect(bad.status).toBe(422);
    expect(locs(bad.body)).toEqual([['path', 'id']]);
    expect((await app.handlers.get({ params: { id: String(id) } })).status).toBe(401);
  });

  it('lists own comparisons newest first with paging; superuser lists all', async () => {
    for (let i = 0; i < 3; i++) await createAs(alice);
    await createAs(bob);
    const r = await app.handlers.list({ user: alice, query: { page: '1', page_size: '2' } });
    expect(r.status).toBe(200);
    const body = r.body as { comparisons: { id: number }[]; total: number; page: number; page_size: number };
    expect(body).toMatchObject({ total: 3, page: 1, page_size: 2 });
    expect(body.comparisons.map((c) => c.id)).toEqual([3, 2]);
    expect(Object.keys(body.comparisons[0]).sort()).toEqual(
      ['completed_at', 'created_at', 'id', 'name', 'started_at', 'status', 'strategies'].sort(),
    );
    const all = (await app.handlers.list({ user: root, query: {} })).body as {
      total: number;
      page_size: number;
    };
    expect(all).toMatchObject({ total: 4, page_size: 20 });
    const p2 = (await app.handlers.list({ user: alice, query: { page: '2', page_size: '2' } })).body as {
      comparisons: { id: number }[];
    };
    expect(p2.comparisons.map((c) => c.id)).toEqual([1]);
  });

  it.each([
    [{ page_size: '101' }, 'page_size'],
    [{ page_size: '0' }, 'page_size'],
    [{ page: '0' }, 'page'],
    [{ page: 'two' }, 'page'],
  ])('list 422 for %j', async (query, field) => {
    const r = await app.handlers.list({ user: alice, query });
    expect(r.status).toBe(422);
    expect(locs(r.body)).toEqual([['query', field]]);
  });

  it('list accepts page_size 100', async () => {
    expect((await app.handlers.list({ user: alice, query: { page_size: '100' } })).status).toBe(200);
  });

  it('delete cancels the unfinished jobs only, then deletes', async () => {
    const id = await createAs();
    await deliver(lifecycleEvent('completed', id, 'lpt-pack'), lifecycleEvent('started', id, 'spt-pack'));
    const r = await app.handlers.delete({ user: alice, params: { id: String(id) } });
    expect(r).toEqual({ status: 200, body: { message: DELETED_MESSAGE } });
    expect(canceller.cancelled).toEqual([`comparison.${id}.smart-pack`, `comparison.${id}.spt-pack`]);
    expect((await app.handlers.get({ user: alice, params: { id: String(id) } })).status).toBe(404);
    // Late events of the deleted comparison are acknowledged and dropped.
    expect(await app.handleEvent(lifecycleEvent('completed', id, 'smart-pack').event)).toEqual({
      action: 'ack',
      note: 'comparison gone',
    });
  });

  it('delete → 503 and nothing deleted when cancelling fails', async () => {
    const id = await createAs();
    canceller.fail = true;
    const r = await app.handlers.delete({ user: alice, params: { id: String(id) } });
    expect(r.status).toBe(503);
    expect((await app.handlers.get({ user: alice, params: { id: String(id) } })).status).toBe(200);
  });

  it('a superuser may delete any comparison', async () => {
    const id = await createAs(alice);
    expect((await app.handlers.delete({ user: root, params: { id: String(id) } })).status).toBe(200);
  });
});

describe('lifecycle', () => {
  it('started → running; completed for all → completed with best_strategy and one finished event', async () => {
    const id = await createAs();
    const t1 = new Date('2026-03-04T05:07:00.000Z');
    await deliver(lifecycleEvent('started', id, 'smart-pack', { time: t1 }));
    let out = await getOut(id);
    expect(out).toMatchObject({ status: 'running', started_at: t1.toISOString(), completed_at: null });
    expect(out.results[0].status).toBe('running');
    await deliver(
      lifecycleEvent('started', id, 'lpt-pack', { time: new Date('2026-03-04T05:08:00Z') }),
      lifecycleEvent('completed', id, 'smart-pack', { summary: { makespan: 450.5 } }),
      lifecycleEvent('completed', id, 'lpt-pack', { summary: { makespan: 480 } }),
    );
    expect((await getOut(id)).status).toBe('running');
    expect(publisher.finished).toHaveLength(0);
    await deliver(lifecycleEvent('completed', id, 'spt-pack', { summary: { makespan: 460 } }));
    out = await getOut(id);
    expect(out).toMatchObject({
      status: 'completed',
      best_strategy: 'smart-pack',
      started_at: t1.toISOString(),
      completed_at: NOW.toISOString(),
    });
    expect(out.results[0]).toEqual({
      strategy: 'smart-pack',
      status: 'completed',
      makespan: 450.5,
      utilization: 0.8,
      changeovers: 2,
      lots_scheduled: 3,
      window_violations: 0,
      execution_time: 1,
      lower_bound: 90,
      gap: 0.1,
      error_message: null,
    });
    expect(ComparisonOutSchema.parse(out)).toBeTruthy();
    expect(publisher.finished).toHaveLength(1);
    const { subject, event } = publisher.finished[0];
    expect(subject).toBe(comparisonFinishedSubject(id));
    expect(event).toMatchObject({
      id: `comparison.finished:${id}`,
      type: EVENT_TYPES.comparisonFinished,
      data: { comparison_id: id, user_id: 1, status: 'completed', best_strategy: 'smart-pack' },
    });
    expect((event.data as { results: unknown[] }).results).toHaveLength(3);
  });

  it('a failed strategy does not fail the comparison', async () => {
    const id = await createAs();
    await deliver(
      lifecycleEvent('failed', id, 'smart-pack', { error: 'solver crashed' }),
      lifecycleEvent('completed', id, 'lpt-pack', { summary: { makespan: 500 } }),
      lifecycleEvent('cancelled', id, 'spt-pack'),
    );
    const out = await getOut(id);
    expect(out).toMatchObject({ status: 'completed', best_strategy: 'lpt-pack' });
    expect(out.results.map((r) => [r.strategy, r.status, r.error_message])).toEqual([
      ['smart-pack', 'failed', 'solver crashed'],
      ['lpt-pack', 'completed', null],
      ['spt-pack', 'cancelled', null],
    ]);
    expect(out.results[0].makespan).toBeNull();
  });

  it('every strategy failed → failed, best_strategy null', async () => {
    const id = await createAs(alice, { strategies: ['smart-pack', 'lpt-pack'] });
    await deliver(lifecycleEvent('failed', id, 'smart-pack'), lifecycleEvent('cancelled', id, 'lpt-pack'));
    expect(await getOut(id)).toMatchObject({ status: 'failed', best_strategy: null });
    expect(publisher.finished[0].event.data).toMatchObject({ status: 'failed', best_strategy: null });
  });

  it('duplicate events change nothing and publish the finished event once', async () => {
    const id = await createAs(alice, { strategies: ['smart-pack', 'lpt-pack'] });
    const a = lifecycleEvent('completed', id, 'smart-pack', { summary: { makespan: 10 } });
    const b = lifecycleEvent('completed', id, 'lpt-pack', { summary: { makespan: 20 } });
    await deliver(a, a, b, b, a);
    expect(await getOut(id)).toMatchObject({ status: 'completed', best_strategy: 'smart-pack' });
    expect(publisher.finished).toHaveLength(1);
    expect(await app.handleEvent(a.event)).toEqual({ action: 'ack', note: 'no change' });
  });

  it('an unknown event type is acked as unknown and never taken for cancelled', async () => {
    const id = await createAs(alice, { strategies: ['smart-pack', 'lpt-pack'] });
    const ev = lifecycleEvent('cancelled', id, 'smart-pack').event as { type: string };
    ev.type = 'com.fillsched.solve.paused';
    expect(await app.handleEvent(ev)).toMatchObject({ action: 'ack', unknown: true });
    expect(await getOut(id)).toMatchObject({ status: 'pending' });
    expect((await getOut(id)).results.map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(publisher.finished).toHaveLength(0);
  });

  it('out of order: completed before started, a late started and a late failed are no-ops', async () => {
    const id = await createAs(alice, { strategies: ['smart-pack', 'lpt-pack'] });
    await deliver(lifecycleEvent('completed', id, 'smart-pack', { summary: { makespan: 10 } }));
    let out = await getOut(id);
    expect(out.status).toBe('running');
    expect(out.started_at).not.toBeNull();
    await deliver(
      lifecycleEvent('started', id, 'smart-pack'),
      lifecycleEvent('failed', id, 'smart-pack'),
      lifecycleEvent('completed', id, 'lpt-pack', { summary: { makespan: 5 } }),
      lifecycleEvent('started', id, 'lpt-pack'),
    );
    out = await getOut(id);
    expect(out.results.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(out).toMatchObject({ status: 'completed', best_strategy: 'lpt-pack' });
  });

  it('concurrent completion events for every strategy finish the comparison exactly once', async () => {
    const all: StrategyId[] = ['smart-pack', 'lpt-pack', 'spt-pack', 'cfs-pack', 'hybrid-pack', 'milp-opt'];
    const id = await createAs(alice, { strategies: all });
    const events = all.map((s, i) => lifecycleEvent('completed', id, s, { summary: { makespan: 100 - i } }));
    // Twice each, all at once: duplicates racing with the last completions.
    const decisions = await Promise.all([...events, ...events].map((e) => app.handleEvent(e.event)));
    expect(decisions.every((d) => d.action === 'ack')).toBe(true);
    const out = await getOut(id);
    expect(out.results.every((r) => r.status === 'completed')).toBe(true);
    expect(out).toMatchObject({ status: 'completed', best_strategy: 'milp-opt' });
    expect(publisher.finished).toHaveLength(1);
  });

  it('a failed finished publish is retried: nak now, published on redelivery', async () => {
    const id = await createAs(alice, { strategies: ['smart-pack', 'lpt-pack'] });
    await deliver(lifecycleEvent('completed', id, 'smart-pack'));
    publisher.failFinished = 1;
    const last = lifecycleEvent('completed', id, 'lpt-pack');
    await expect(app.handleEvent(last.event)).rejects.toThrow(/jetstream/);
    expect((await getOut(id)).status).toBe('completed');
    expect(publisher.finished).toHaveLength(0);
    await deliver(last); // the redelivery
    expect(publisher.finished).toHaveLength(1);
    await deliver(last);
    expect(publisher.finished).toHaveLength(1);
  });

  it('ignores comparison.finished, progress and other owners; terminates malformed events', async () => {
    const id = await createAs();
    const finished = makeEvent({
      type: EVENT_TYPES.comparisonFinished,
      source: 'x',
      data: { comparison_id: id },
    });
    expect(await app.handleEvent(finished)).toMatchObject({ action: 'ack' });
    const progress = makeEvent({ type: EVENT_TYPES.solveProgress, source: 'x', data: {} });
    expect(await app.handleEvent(progress)).toMatchObject({ action: 'ack' });
    const foreign = lifecycleEvent('completed', id, 'smart-pack');
    (foreign.event.data as { owner: { kind: string } }).owner.kind = 'schedule';
    expect(await app.handleEvent(foreign.event)).toEqual({ action: 'ack', note: 'not a comparison job' });
    expect(await app.handleEvent({ hello: 'world' })).toMatchObject({ action: 'term' });
    const bad = lifecycleEvent('completed', id, 'smart-pack');
    delete (bad.event.data as { summary?: unknown }).summary;
    expect(await app.handleEvent(bad.event)).toMatchObject({ action: 'term' });
    // A strategy the comparison does not run.
    expect(await app.handleEvent(lifecycleEvent('completed', id, 'milp-opt').event)).toEqual({
      action: 'ack',
      note: 'not a job of this comparison',
    });
    expect((await getOut(id)).status).toBe('pending');
  });
});

describe('best_strategy rule', () => {
  const done = (s: StrategyId, k: Record<string, number>) =>
    entry(s, 1, {
      status: 'completed',
      makespan: 100,
      window_violations: 0,
      changeovers: 5,
      execution_time: 1,
      ...k,
    });

  it('lowest makespan wins', () => {
    expect(pickBest([done('smart-pack', { makespan: 101 }), done('lpt-pack', { makespan: 100 })])).toBe(
      'lpt-pack',
    );
  });
  it('then fewer window violations', () => {
    expect(
      pickBest([done('smart-pack', { window_violations: 2 }), done('lpt-pack', { window_violations: 1 })]),
    ).toBe('lpt-pack');
  });
  it('then fewer changeovers', () => {
    expect(pickBest([done('smart-pack', { changeovers: 6 }), done('lpt-pack', { changeovers: 4 })])).toBe(
      'lpt-pack',
    );
  });
  it('then shorter execution time', () => {
    expect(
      pickBest([done('smart-pack', { execution_time: 2 }), done('lpt-pack', { execution_time: 1 })]),
    ).toBe('lpt-pack');
  });
  it('then the catalogue order of strategy ids', () => {
    expect(pickBest([done('spt-pack', {}), done('lpt-pack', {}), done('milp-opt', {})])).toBe('lpt-pack');
  });
  it('only completed strategies count; none completed → null', () => {
    const failed = entry('smart-pack', 1, { status: 'failed', makespan: 1 });
    expect(pickBest([failed, done('lpt-pack', { makespan: 999 })])).toBe('lpt-pack');
    expect(pickBest([failed])).toBeNull();
  });
  it('final status: completed if any completed, cancelled if all cancelled, else failed', () => {
    expect(finalStatus([entry('smart-pack', 1, { status: 'failed' }), done('lpt-pack', {})])).toBe(
      'completed',
    );
    expect(
      finalStatus([
        entry('smart-pack', 1, { status: 'cancelled' }),
        entry('lpt-pack', 1, { status: 'cancelled' }),
      ]),
    ).toBe('cancelled');
    expect(
      finalStatus([
        entry('smart-pack', 1, { status: 'cancelled' }),
        entry('lpt-pack', 1, { status: 'failed' }),
      ]),
    ).toBe('failed');
  });
});

describe('per-user job limit (issue 12 item 3)', () => {
  it('every strategy counts as a job: refused with 429 before anything is stored or published', async () => {
    const workload = new MemoryUserWorkload();
    app = createComparisonApp({
      comparisons: repo,
      ids: new MemoryIdAllocator(),
      publisher,
      canceller,
      configResolver: resolver,
      clock: { now: () => NOW },
      logger: createLogger('comparison-test', 'silent'),
      workload,
    });
    workload.counts.set(alice.id, 8);
    const r = await app.handlers.create({ user: alice, body: guideBody() }); // 3 strategies: 11 > 10
    expect(r).toEqual({ status: 429, body: { detail: tooManyJobs(8, 3) } });
    expect(publisher.jobs).toHaveLength(0);
    expect((await repo.list(null, 0, 10)).total).toBe(0);
    workload.counts.set(alice.id, 7);
    expect((await app.handlers.create({ user: alice, body: guideBody() })).status).toBe(202);
  });
});

describe('result-export (internal, the events bridge)', () => {
  const exp = (id: string) => app.handlers.resultExport({ params: { id } });
  it('a completed comparison → exactly its GET document, without a user; else 404 / 409 / 422', async () => {
    const id = await createAs();
    expect(await exp(String(id))).toMatchObject({
      status: 409,
      body: { detail: expect.stringMatching(/pending/) },
    });
    for (const s of ['smart-pack', 'lpt-pack', 'spt-pack'] as const)
      await deliver(lifecycleEvent('completed', id, s, { summary: { makespan: 400 } }));
    const r = await exp(String(id));
    expect(r.status).toBe(200);
    expect(r.body).toEqual(await getOut(id));
    expect(await exp('999')).toEqual({ status: 404, body: { detail: MESSAGES.comparisonNotFound } });
    expect((await exp('x')).status).toBe(422);
  });
});
