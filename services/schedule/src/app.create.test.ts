import fs from 'node:fs';
import path from 'node:path';
import {
  EVENT_TYPES,
  MAX_TIME_LIMIT_S,
  STRATEGY_ERROR,
  SolveJobSchema,
  tooManyJobs,
} from '@fillsched/contracts';
import { MemoryUserWorkload } from '@fillsched/job-owner';
import { errors as natsErrors } from '@nats-io/transport-node';
import { MemoryIdAllocator, MESSAGING_UNAVAILABLE_DETAIL } from '@fillsched/service-kit';
import { MemoryResultRepository, MemoryScheduleRepository } from './adapters/memory';
import { ACTIVE_SCHEDULE_LIMIT, TOO_MANY_SCHEDULES, createScheduleApp } from './app';
import {
  FakeCanceller,
  FakeConfigResolver,
  FakePublisher,
  FakeResultFetcher,
  StepClock,
  captureLogger,
  makeHarness,
  type TestHarness,
} from './testing/fakes';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };
// Copies of shared/data/lots (the reference CSVs, valid and invalid), kept beside the tests.
const LOTS_DIR = path.join(__dirname, 'testing', 'fixtures');
const lotsCsv = (name: string) => fs.readFileSync(path.join(LOTS_DIR, name), 'utf8');

/** The guide's create body. */
const guideBody = () => ({
  name: 'Production Schedule - Week 42',
  lots_data: [
    {
      lot_id: 'LOT001',
      product: 'ProductA',
      quantity: 1000,
      priority: 1,
      start_window: '2024-10-14T08:00:00',
      end_window: '2024-10-14T16:00:00',
    },
  ],
  strategy: 'smart-pack',
  config: { line_count: 3, changeover_time: 30 },
  start_time: '2024-10-14T08:00:00',
});

let h: TestHarness;
beforeEach(() => {
  h = makeHarness();
});
const create = (body: unknown, user: typeof alice | null = alice) => h.app.handlers.create({ user, body });

describe('create: the per-user job limit counts comparison jobs too (issue 12 item 3)', () => {
  test('10 jobs already queued or running (e.g. a 6-strategy comparison and 4 schedules) → 429, nothing stored', async () => {
    const workload = new MemoryUserWorkload();
    h = makeHarness({ workload });
    workload.counts.set(alice.id, 9);
    expect((await create(guideBody())).status).toBe(202);
    workload.counts.set(alice.id, 10);
    const res = await create(guideBody());
    expect(res).toEqual({ status: 429, body: { detail: tooManyJobs(10, 1) } });
    expect(h.publisher.events).toHaveLength(1);
    expect(await h.schedules.countActive(alice.id)).toBe(1);
    workload.counts.set(bob.id, 10);
    expect((await create(guideBody(), bob)).status).toBe(429);
  });
});

describe('create: happy paths', () => {
  test("the guide's body → 202 with the guide's pending summary, stored and enqueued", async () => {
    const res = await create(guideBody());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      id: 1,
      name: 'Production Schedule - Week 42',
      strategy: 'smart-pack',
      status: 'pending',
      created_at: '2026-03-01T08:00:00.000Z',
      started_at: null,
      completed_at: null,
      error_message: null,
      warnings: [],
    });
    const stored = await h.schedules.get(1);
    expect(stored).toMatchObject({
      user_id: 1,
      status: 'pending',
      job_id: 'schedule.1',
      config: { line_count: 3, changeover_time: 30 },
      start_time: '2024-10-14T08:00:00',
    });
    expect(h.publisher.events).toHaveLength(1);
    const ev = h.publisher.events[0];
    expect(ev.id).toBe('solve.requested:schedule.1');
    expect(ev.type).toBe(EVENT_TYPES.solveRequested);
    expect(ev.specversion).toBe('1.0');
    const job = SolveJobSchema.parse(ev.data);
    expect(job).toEqual({
      job_id: 'schedule.1',
      owner: { kind: 'schedule', id: 1, user_id: 1 },
      strategy: 'smart-pack',
      input: {
        lots_data: guideBody().lots_data,
        config: { line_count: 3, changeover_time: 30 },
        start_time: '2024-10-14T08:00:00',
      },
    });
  });

  test('strategy defaults to smart-pack; seed and time limit travel with the job', async () => {
    const { strategy: _s, ...body } = guideBody();
    const res = await create({ ...body, seed: 42, time_limit_s: 5 });
    expect(res.status).toBe(202);
    expect((res.body as { strategy: string }).strategy).toBe('smart-pack');
    expect(h.publisher.events[0].data).toMatchObject({ seed: 42, time_limit_s: 5 });
    expect(await h.schedules.get(1)).toMatchObject({ seed: 42, time_limit_s: 5 });
  });

  test('ids increase and each job id is derived from its schedule id', async () => {
    await create(guideBody());
    const second = await create({ ...guideBody(), strategy: 'milp-opt' });
    expect(second.body).toMatchObject({ id: 2, strategy: 'milp-opt' });
    expect(h.publisher.events.map((e) => e.id)).toEqual([
      'solve.requested:schedule.1',
      'solve.requested:schedule.2',
    ]);
  });
});

describe('create: validation (422 with the exact loc)', () => {
  test('no user → 401', async () => {
    const res = await create(guideBody(), null);
    expect(res).toEqual({ status: 401, body: { detail: 'Could not validate credentials' } });
  });

  test('an invalid strategy lists the valid ids as the guide shows', async () => {
    const res = await create({ ...guideBody(), strategy: 'fastest' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [
        {
          loc: ['body', 'strategy'],
          msg: 'Invalid strategy: must be one of [smart-pack, lpt-pack, spt-pack, cfs-pack, hybrid-pack, milp-opt]',
          type: 'value_error',
        },
      ],
    });
    expect(STRATEGY_ERROR).toContain('milp-opt');
  });

  test('missing name → field required at body.name', async () => {
    const { name: _n, ...body } = guideBody();
    const res = await create(body);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [{ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' }],
    });
  });

  test('a wrong field type inside a lot names the lot index and field', async () => {
    const body = guideBody();
    (body.lots_data[0] as Record<string, unknown>).quantity = 'many';
    const res = await create(body);
    expect(res.status).toBe(422);
    const detail = (res.body as { detail: Array<{ loc: unknown[]; type: string }> }).detail;
    expect(detail).toHaveLength(1);
    expect(detail[0].loc).toEqual(['body', 'lots_data', 0, 'quantity']);
    expect(detail[0].type).toBe('type_error');
  });

  test('empty lots_data → body.lots_data', async () => {
    const res = await create({ ...guideBody(), lots_data: [] });
    expect(res.status).toBe(422);
    expect((res.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'lots_data']);
  });

  test.each([[null], [[1, 2]], ['text'], [42]])(
    'a body that is not an object (%j) → loc [body]',
    async (body) => {
      const res = await create(body);
      expect(res.status).toBe(422);
      expect((res.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body']);
    },
  );

  test('domain errors from the engine are prefixed with body and nothing is stored or sent', async () => {
    const res = await create({
      ...guideBody(),
      lots_data: [
        { lot_id: 'A', type: 'X', vials: 1000 },
        { lot_id: 'A', type: 'X', vials: 2000 },
        { lot_id: 'B', vials: 2000 },
      ],
    });
    expect(res.status).toBe(422);
    const locs = (res.body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
    expect(locs).toContainEqual(['body', 'lots_data', 1, 'lot_id']);
    expect(locs).toContainEqual(['body', 'lots_data', 2, 'type']);
    expect(h.publisher.events).toHaveLength(0);
    expect(await h.schedules.get(1)).toBeNull();
  });

  test('an invalid config value → loc under body.config', async () => {
    const res = await create({ ...guideBody(), config: { clean_hours: -1 } });
    expect(res.status).toBe(422);
    const locs = (res.body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
    expect(locs).toContainEqual(['body', 'config', 'clean_hours']);
  });

  test('time_limit_s above the maximum → 422 at body.time_limit_s naming the maximum, not a silent clamp', async () => {
    for (const limit of [MAX_TIME_LIMIT_S + 1, 3600]) {
      const res = await create({ ...guideBody(), time_limit_s: limit });
      expect(res.status).toBe(422);
      const [item] = (res.body as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
      expect(item.loc).toEqual(['body', 'time_limit_s']);
      expect(item.msg).toBe(`time_limit_s must be at most ${MAX_TIME_LIMIT_S} seconds`);
    }
    expect((await create({ ...guideBody(), time_limit_s: MAX_TIME_LIMIT_S })).status).toBe(202);
  });
});

describe('create: config resolution', () => {
  test('asks the config service every time, sending config_id and the request config', async () => {
    await create(guideBody());
    expect(h.resolver.calls).toEqual([
      { user: alice, config_id: null, config: { line_count: 3, changeover_time: 30 } },
    ]);
  });

  test("the user's default template applies under the request's keys", async () => {
    h.resolver.defaultTemplate = { id: 9, config: { line_count: 5, clean_hours: 12 } };
    await create(guideBody());
    const stored = await h.schedules.get(1);
    expect(stored!.config).toEqual({ line_count: 3, clean_hours: 12, changeover_time: 30 });
    expect(stored!.config_template_id).toBe(9);
    expect(h.publisher.events[0].data.input.config).toEqual(stored!.config);
  });

  test('config_id names the template; explicit keys win key by key', async () => {
    h.resolver.templates.set(4, { line_count: 2, changeover_diff_hours: 6 });
    const res = await create({ ...guideBody(), config_id: 4, config: { changeover_diff_hours: 7 } });
    expect(res.status).toBe(202);
    expect((await h.schedules.get(1))!.config).toEqual({ line_count: 2, changeover_diff_hours: 7 });
    expect(h.resolver.calls[0].config_id).toBe(4);
  });

  test('an unknown config_id → the config service 404 passes through, nothing stored', async () => {
    const res = await create({ ...guideBody(), config_id: 77 });
    expect(res).toEqual({ status: 404, body: { detail: 'Configuration template not found' } });
    expect(await h.schedules.get(1)).toBeNull();
    expect(h.publisher.events).toHaveLength(0);
  });

  test('config service down and no config_id → scheduled with the request config, warning logged', async () => {
    h.resolver.mode = 'unavailable';
    const res = await create(guideBody());
    expect(res.status).toBe(202);
    expect((await h.schedules.get(1))!.config).toEqual({ line_count: 3, changeover_time: 30 });
    expect(h.logs.some((l) => l.level === 'warn' && /config service unavailable/.test(String(l.msg)))).toBe(
      true,
    );
  });

  test('config service down with a config_id → 503, nothing stored', async () => {
    h.resolver.mode = 'unavailable';
    const res = await create({ ...guideBody(), config_id: 4 });
    expect(res).toEqual({ status: 503, body: { detail: 'Service unavailable: config' } });
    expect(await h.schedules.get(1)).toBeNull();
  });

  test('a template can make lots valid that the request config alone would reject', async () => {
    // 3,000,000 vials at 19,920 vials/h ≈ 150 h: longer than the default 120 h cleaning window.
    const big = {
      ...guideBody(),
      config: undefined,
      lots_data: [{ lot_id: 'BIG', type: 'A', vials: 3_000_000 }],
    };
    const withoutTemplate = await create(big);
    expect(withoutTemplate.status).toBe(422);
    expect((withoutTemplate.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc[0]).toBe('body');
    h.resolver.defaultTemplate = { id: 2, config: { window_hours: null } };
    const withTemplate = await create(big);
    expect(withTemplate.status).toBe(202);
    expect((await h.schedules.get(1))!.config).toEqual({ window_hours: null });
  });

  test('a template that makes the lots invalid → 422 after resolution', async () => {
    h.resolver.templates.set(4, { min_batch_size: 5000 });
    const res = await create({ ...guideBody(), config_id: 4 });
    expect(res.status).toBe(422);
    const detail = (res.body as { detail: Array<{ loc: unknown[] }> }).detail;
    expect(detail[0].loc[0]).toBe('body');
    expect(await h.schedules.get(1)).toBeNull();
  });
});

describe('create: concurrency limit', () => {
  test(`the ${ACTIVE_SCHEDULE_LIMIT + 1}th pending/running schedule of a user → 429; others are unaffected`, async () => {
    for (let i = 0; i < ACTIVE_SCHEDULE_LIMIT; i++) expect((await create(guideBody())).status).toBe(202);
    const refused = await create(guideBody());
    expect(refused).toEqual({
      status: 429,
      body: { detail: 'Too many concurrent schedules: at most 10 may be pending or running per user' },
    });
    expect(TOO_MANY_SCHEDULES).toBe((refused.body as { detail: string }).detail);
    expect(h.publisher.events).toHaveLength(ACTIVE_SCHEDULE_LIMIT);
    expect((await create(guideBody(), bob)).status).toBe(202);
    // One finishing frees a slot.
    await h.schedules.transition(3, { to: 'running' });
    await h.schedules.transition(3, { to: 'completed' });
    expect((await create(guideBody())).status).toBe(202);
  });

  test('running schedules count too', async () => {
    for (let i = 0; i < ACTIVE_SCHEDULE_LIMIT; i++) await create(guideBody());
    for (let id = 1; id <= ACTIVE_SCHEDULE_LIMIT; id++) await h.schedules.transition(id, { to: 'running' });
    expect((await create(guideBody())).status).toBe(429);
  });

  test('the re-count after insert refuses an 11th that slipped past a stale first count', async () => {
    for (let i = 0; i < ACTIVE_SCHEDULE_LIMIT; i++) await create(guideBody());
    const realCount = h.schedules.countActive.bind(h.schedules);
    // First count stale (as if another replica inserted meanwhile), re-count real.
    let counts = 0;
    h.schedules.countActive = async (userId) => (counts++ === 0 ? 0 : realCount(userId));
    const res = await create(guideBody());
    expect(res.status).toBe(429);
    expect(await h.schedules.get(ACTIVE_SCHEDULE_LIMIT + 1)).toBeNull();
    expect(h.publisher.events).toHaveLength(ACTIVE_SCHEDULE_LIMIT);
  });
});

describe('create: concurrent creates of one user at the limit', () => {
  test(`${ACTIVE_SCHEDULE_LIMIT + 3} creates at once on one replica → exactly ${ACTIVE_SCHEDULE_LIMIT} admitted, the refused ones stored nowhere`, async () => {
    const replies = await Promise.all(
      Array.from({ length: ACTIVE_SCHEDULE_LIMIT + 3 }, () => create(guideBody())),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(ACTIVE_SCHEDULE_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(await h.schedules.countActive(alice.id)).toBe(ACTIVE_SCHEDULE_LIMIT);
    expect(h.publisher.events).toHaveLength(ACTIVE_SCHEDULE_LIMIT);
  });

  test('two replicas (one store, interleaved id blocks) racing for the last slots never admit past the limit', async () => {
    const schedules = new MemoryScheduleRepository();
    // Replica b hands out smaller ids than replica a: a smaller id is not an earlier create.
    const replica = (firstId: number) => {
      const ids = new MemoryIdAllocator();
      const publisher = new FakePublisher();
      const app = createScheduleApp({
        schedules,
        results: new MemoryResultRepository(),
        ids: { next: async (c) => firstId - 1 + (await ids.next(c)) },
        publisher,
        canceller: new FakeCanceller(),
        configResolver: new FakeConfigResolver(),
        resultFetcher: new FakeResultFetcher(),
        clock: new StepClock(),
        logger: captureLogger().logger,
      });
      return { app, publisher };
    };
    const a = replica(1000);
    const b = replica(1);
    for (let i = 0; i < ACTIVE_SCHEDULE_LIMIT - 2; i++)
      expect((await a.app.handlers.create({ user: alice, body: guideBody() })).status).toBe(202);
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).app.handlers.create({ user: alice, body: guideBody() }),
      ),
    );
    expect(replies.every((r) => r.status === 202 || r.status === 429)).toBe(true);
    expect(await schedules.countActive(alice.id)).toBeLessThanOrEqual(ACTIVE_SCHEDULE_LIMIT);
    const admitted = replies.filter((r) => r.status === 202).length;
    expect(await schedules.countActive(alice.id)).toBe(ACTIVE_SCHEDULE_LIMIT - 2 + admitted);
    expect(a.publisher.events.length + b.publisher.events.length).toBe(ACTIVE_SCHEDULE_LIMIT - 2 + admitted);
  });
});

describe('create: enqueue failure', () => {
  test('publish fails → 503 and the schedule is marked failed with the reason', async () => {
    h.publisher.failWith = new Error('no JetStream');
    const res = await create(guideBody());
    expect(res).toEqual({ status: 503, body: { detail: 'Could not enqueue the schedule: no JetStream' } });
    expect(await h.schedules.get(1)).toMatchObject({
      status: 'failed',
      error_message: 'Could not enqueue the schedule: no JetStream',
    });
    // A failed one does not hold a concurrency slot.
    expect(await h.schedules.countActive(1)).toBe(0);
  });

  test('NATS not answering while an id is allocated (KV leader election) → 503, nothing stored', async () => {
    // The error the KV client throws when the counter bucket's leader is gone; other throws stay 500.
    const spy = jest
      .spyOn(MemoryIdAllocator.prototype, 'next')
      .mockRejectedValueOnce(new natsErrors.TimeoutError())
      .mockRejectedValueOnce(new Error('a bug'));
    try {
      const res = await create(guideBody());
      expect(res).toEqual({
        status: 503,
        body: { detail: MESSAGING_UNAVAILABLE_DETAIL },
        headers: { 'Retry-After': '2' },
      });
      expect((await create(guideBody())).status).toBe(500);
      expect(await h.schedules.countActive(1)).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('create: CSV upload (lots_csv)', () => {
  test('the reference lots.csv → 202 with every row as a lot', async () => {
    const text = lotsCsv('lots.csv');
    const rows = text.trim().split(/\r?\n/).length - 1;
    const res = await create({
      name: 'From CSV',
      strategy: 'lpt-pack',
      lots_csv: text,
      // The gateway has typed the form fields (ScheduleUploadFormSchema): they arrive as values.
      config: { line_count: 2 },
      seed: 42,
    });
    expect(res.status).toBe(202);
    const stored = await h.schedules.get(1);
    expect(stored!.lots_data).toHaveLength(rows);
    expect(stored!.lots_data[0]).toEqual({ lot_id: 'A1', type: 'VialE', vials: 100000 });
    expect(stored!.config).toEqual({ line_count: 2 });
    expect(stored!.seed).toBe(42);
    expect(h.publisher.events[0].data.input.lots_data).toHaveLength(rows);
  });

  test('the file name is the default schedule name', async () => {
    const res = await create({
      lots_csv: lotsCsv('simple_lots.csv'),
      filename: 'simple_lots.csv',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ name: 'simple_lots.csv', strategy: 'smart-pack' });
  });

  test.each([
    ['invalid_blank_id.csv', ['body', 'file', 2, 'Lot ID']],
    ['invalid_blank_type.csv', ['body', 'file', 2, 'Type']],
    ['invalid_missing_column.csv', ['body', 'file', 1, 'Type']],
    ['invalid_missing_vials.csv', ['body', 'file', 2, 'Vials']],
    ['invalid_negative_vials.csv', ['body', 'file', 2, 'Vials']],
    ['duplicate_ids.csv', ['body', 'file', 3, 'Lot ID']],
  ])('%s → 422 at %j', async (file, loc) => {
    const res = await create({ name: 'bad', lots_csv: lotsCsv(file) });
    expect(res.status).toBe(422);
    const detail = (res.body as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
    expect(detail[0].loc).toEqual(loc);
    expect(detail[0].msg.length).toBeGreaterThan(5);
    expect(h.publisher.events).toHaveLength(0);
  });

  test('a ; or tab delimited CSV is read like a comma one', async () => {
    for (const [i, d] of [';', '\t'].entries()) {
      const res = await create({
        name: `d${i}`,
        lots_csv: ['Lot ID', 'Type', 'Vials'].join(d) + `\nA${d}X${d}1000\n`,
      });
      expect(res.status).toBe(202);
      expect((await h.schedules.get(i + 1))!.lots_data).toEqual([{ lot_id: 'A', type: 'X', vials: 1000 }]);
    }
  });

  test('a header mixing delimiters → 422 at body.file line 1 naming what was found', async () => {
    const res = await create({ name: 'mixed', lots_csv: 'Lot ID,Type;Vials\nA,X;1000\n' });
    expect(res.status).toBe(422);
    expect((res.body as { detail: unknown[] }).detail).toEqual([
      {
        loc: ['body', 'file', 1],
        msg: expect.stringContaining("contains ',' (1×) and ';' (1×)"),
        type: 'value_error.csv.delimiter',
      },
    ]);
  });

  test('a CSV with only the header → 422 at body.file', async () => {
    const res = await create({ name: 'empty', lots_csv: lotsCsv('empty_lots.csv') });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [
        { loc: ['body', 'file'], msg: 'the CSV file contains no lots', type: 'value_error.list.min_items' },
      ],
    });
  });

  test('a sequence file (no Type/Vials columns) → 422 naming the missing column', async () => {
    const res = await create({ name: 'seq', lots_csv: lotsCsv('sequence.csv') });
    expect(res.status).toBe(422);
    const locs = (res.body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
    expect(locs).toContainEqual(['body', 'file', 1, 'Type']);
    expect(locs).toContainEqual(['body', 'file', 1, 'Vials']);
  });

  test('form fields are not converted a second time: a config left as text → 422 at body.config', async () => {
    // Converting text fields is the gateway's job (once); text reaching the service is refused, not parsed.
    const res = await create({
      name: 'x',
      lots_csv: lotsCsv('simple_lots.csv'),
      config: '{"line_count": 2}',
    });
    expect(res.status).toBe(422);
    const detail = (res.body as { detail: Array<{ loc: unknown[]; type: string }> }).detail;
    expect(detail).toHaveLength(1);
    expect(detail[0].loc).toEqual(['body', 'config']);
  });

  test('both lots_data and a file → 422', async () => {
    const res = await create({ ...guideBody(), lots_csv: lotsCsv('simple_lots.csv') });
    expect(res.status).toBe(422);
    expect((res.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'file']);
  });

  test('a non-text file field → 422 at body.file', async () => {
    const res = await create({ name: 'x', lots_csv: 12 });
    expect(res.status).toBe(422);
    expect((res.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'file']);
  });
});
