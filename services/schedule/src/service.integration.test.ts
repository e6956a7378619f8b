/**
 * The schedule service on a real nats-server with JetStream: real responders, stream
 * provisioning, the jobs work queue, the lifecycle consumer, the KV cancellations bucket.
 * Storage is in memory (the repositories have their own contract suite).
 */
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import {
  CANCEL_SUBJECT,
  CANCELLATIONS_BUCKET,
  EVENT_TYPES,
  EVENTS_STREAM,
  JOBS_STREAM,
  JOBS_SUBJECT,
  userJobsSubject,
  RPC,
  SolveJobSchema,
  RESULT_INLINE_HEADER,
  inlineResultOf,
  lifecycleSubject,
  makeEvent,
  ownerStatusSubject,
  toChunks,
} from '@fillsched/contracts';
import {
  BlockIdAllocator,
  MemoryIdAllocator,
  connectNats,
  decodeJson,
  encodeJson,
  metricsRegistry,
  publishEvent,
  type NatsHandle,
  type RpcReply,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { MemoryResultRepository, MemoryScheduleRepository } from './adapters/memory';
import { HighWaterIdAllocator, openCountersBucket } from './adapters/nats';
import { makeResult } from './repos.contract';
import { SCHEDULE_CONSUMER } from './consumer';
import { provisionStreams, startScheduleService, type ScheduleService } from './service';
import { captureLogger } from './testing/fakes';

jest.setTimeout(30_000);

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const body = (name: string) => ({
  name,
  lots_data: [
    { lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 },
    { lot_id: 'LOT002', product: 'ProductB', quantity: 2000, priority: 0 },
  ],
  strategy: 'lpt-pack',
});

let nats: TestNats;
let serviceHandle: NatsHandle;
let peer: NatsHandle; // plays the gateway and the solver
let service: ScheduleService;
let jsm: JetStreamManager;
const { logger, lines: logs } = captureLogger();

async function rpc(subject: string, payload: unknown): Promise<RpcReply> {
  const msg = await peer.nc.request(subject, encodeJson(payload), { timeout: 5000 });
  return decodeJson<RpcReply>(msg.data);
}

async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function publishLifecycle(
  stage: 'started' | 'completed',
  id: number,
  extra: Record<string, unknown> = {},
  opts: { headers?: Record<string, string>; id?: string } = {},
) {
  const type = stage === 'started' ? EVENT_TYPES.solveStarted : EVENT_TYPES.solveCompleted;
  const data: Record<string, unknown> = {
    job_id: `schedule.${id}`,
    owner: { kind: 'schedule', id, user_id: alice.id },
    strategy: 'lpt-pack',
    ...extra,
  };
  const ev = makeEvent({
    type,
    source: 'fillsched/solver',
    id: opts.id ?? `solve.${stage}:schedule.${id}`,
    data,
  });
  await publishEvent(jetstream(peer.nc), lifecycleSubject('schedule', id, stage), ev, {
    headers: opts.headers,
  });
}

beforeAll(async () => {
  nats = await startNatsForTests();
  serviceHandle = await connectNats({ servers: nats.url, name: 'schedule-under-test', logger });
  peer = await connectNats({ servers: nats.url, name: 'peer', logger });
  service = await startScheduleService({
    handle: serviceHandle,
    logger,
    schedules: new MemoryScheduleRepository(),
    results: new MemoryResultRepository(),
    ids: new MemoryIdAllocator(),
    configTimeoutMs: 1000,
  });
  jsm = await jetstreamManager(peer.nc);
});

afterAll(async () => {
  await service?.stop();
  await serviceHandle?.drain();
  await peer?.close();
  await nats?.stop();
});

test('provisioning is idempotent and creates the durable consumer', async () => {
  await provisionStreams(serviceHandle, logger);
  const info = await jsm.consumers.info(EVENTS_STREAM, SCHEDULE_CONSUMER);
  expect(info.config.filter_subject).toBe('fillsched.events.schedule.*.*');
  expect(info.config.ack_policy).toBe('explicit');
  for (const s of ['FILLSCHED_JOBS', 'FILLSCHED_EVENTS', 'FILLSCHED_PROGRESS', 'FILLSCHED_DEAD_LETTER'])
    expect((await jsm.streams.info(s)).config.name).toBe(s);
});

test('create → 202 and a deduplicable solve.requested in FILLSCHED_JOBS; default template skipped when config is down', async () => {
  const res = await rpc(RPC.schedule.create, { user: alice, body: body('first') });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ id: 1, status: 'pending', strategy: 'lpt-pack' });

  const stored = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: userJobsSubject(alice.id) });
  expect(stored).not.toBeNull();
  expect(stored!.header.get('Nats-Msg-Id')).toBe('solve.requested:schedule.1');
  const ev = stored!.json<{ id: string; type: string; data: unknown }>();
  expect(ev.id).toBe('solve.requested:schedule.1');
  expect(ev.type).toBe(EVENT_TYPES.solveRequested);
  const job = SolveJobSchema.parse(ev.data);
  expect(job).toMatchObject({
    job_id: 'schedule.1',
    owner: { kind: 'schedule', id: 1, user_id: 1 },
    strategy: 'lpt-pack',
  });
  expect(job.input.lots_data).toHaveLength(2);

  // Re-publishing the same event (a retry) is dropped by the stream's duplicate window.
  const before = (await jsm.streams.info(JOBS_STREAM)).state.messages;
  const ack = await publishEvent(jetstream(peer.nc), JOBS_SUBJECT, ev);
  expect(ack.duplicate).toBe(true);
  expect((await jsm.streams.info(JOBS_STREAM)).state.messages).toBe(before);

  // No config service is running: the schedule was still accepted, with a warning.
  expect(logs.some((l) => l.level === 'warn' && /config service unavailable/.test(String(l.msg)))).toBe(true);
});

test('with a config_id and no config service → 503 quickly', async () => {
  const t0 = Date.now();
  const res = await rpc(RPC.schedule.create, { user: alice, body: { ...body('templated'), config_id: 3 } });
  expect(res).toEqual({ status: 503, body: { detail: 'Service unavailable: config' } });
  expect(Date.now() - t0).toBeLessThan(3000);
});

test('a config service responder resolves the template into the stored config', async () => {
  const sub = peer.nc.subscribe(RPC.config.resolve, {
    queue: 'config',
    callback: (_err, msg) => {
      const req = msg.json<{ body: { config_id: number | null; config: Record<string, unknown> | null } }>();
      msg.respond(
        encodeJson({
          status: 200,
          body: { config: { line_count: 2, ...(req.body.config ?? {}) }, template_id: 8 },
        }),
      );
    },
  });
  try {
    const res = await rpc(RPC.schedule.create, {
      user: alice,
      body: { ...body('with template'), config: { clean_hours: 12 } },
    });
    expect(res.status).toBe(202);
    const id = (res.body as { id: number }).id;
    const stored = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: userJobsSubject(alice.id) });
    const job = SolveJobSchema.parse(stored!.json<{ data: unknown }>().data);
    expect(job.owner.id).toBe(id);
    expect(job.input.config).toEqual({ line_count: 2, clean_hours: 12 });
  } finally {
    sub.unsubscribe();
  }
});

test('started + completed lifecycle events (with a chunked solver result) → completed with the full result', async () => {
  const doc = makeResult(40, { makespan: 99.5, lower_bound: 90, gap: 0.105 });
  // Small chunks, so the hand-over takes several requests.
  const chunks = toChunks(doc, 2_000);
  expect(chunks.length).toBeGreaterThan(2);
  const activities = doc.activities;
  const requested: number[] = [];
  const solver: Subscription = peer.nc.subscribe(RPC.solver.result, {
    queue: 'solver',
    callback: (_err, msg) => {
      const { body: req } = msg.json<{ body: { job_id: string; index: number } }>();
      requested.push(req.index);
      if (req.job_id !== 'schedule.1') {
        msg.respond(encodeJson({ status: 404, body: { detail: 'Result not found' } }));
        return;
      }
      msg.respond(encodeJson({ status: 200, body: { job_id: req.job_id, chunk: chunks[req.index] } }));
    },
  });
  try {
    // A garbage message on the filtered subject must not block the consumer.
    await jetstream(peer.nc).publish('fillsched.events.schedule.1.started', 'not json', {
      msgID: 'garbage-1',
    });
    await publishLifecycle('started', 1);
    const running = await waitFor(async () => {
      const r = await rpc(RPC.schedule.get, { user: alice, params: { id: '1' } });
      return (r.body as { status: string }).status === 'running' ? r : null;
    }, 'running');
    expect((running.body as { started_at: string | null }).started_at).not.toBeNull();

    const summary = {
      makespan: 99.5,
      utilization: 0.9,
      changeovers: 1,
      lots_scheduled: 2,
      window_violations: 0,
      kpis: {},
      lower_bound: 90,
      gap: 0.105,
      execution_time: 0.2,
      activity_count: 40,
    };
    await publishLifecycle('completed', 1, { summary });
    // A duplicate delivery of the same event id is dropped by JetStream; a late started is harmless.
    await publishLifecycle('completed', 1, { summary });
    const done = await waitFor(async () => {
      const r = await rpc(RPC.schedule.get, { user: alice, params: { id: '1' } });
      return (r.body as { status: string }).status === 'completed' ? r : null;
    }, 'completed');
    const result = (done.body as { result: Record<string, unknown> & { activities: unknown[] } }).result;
    expect(result.activities).toEqual(activities);
    expect(result).toMatchObject({
      makespan: 99.5,
      lower_bound: 90,
      gap: 0.105,
      per_line: doc.summary.per_line,
    });
    expect(requested).toEqual(chunks.map((c) => c.index));

    // Export over NATS too.
    const csv = await rpc(RPC.schedule.export, {
      user: alice,
      params: { id: '1' },
      query: { format: 'csv' },
    });
    expect(csv.status).toBe(200);
    expect((csv.body as string).split('\r\n')).toHaveLength(activities.length + 2);
    expect(logs.some((l) => l.level === 'error' && /terminated/.test(String(l.msg)))).toBe(true);
    const metrics = await metricsRegistry.getSingleMetricAsString('schedule_lifecycle_events_total');
    expect(metrics).toMatch(/schedule_lifecycle_events_total\{action="ack"\} [1-9]/);
    expect(metrics).toMatch(/schedule_lifecycle_events_total\{action="term"\} [1-9]/);
  } finally {
    solver.unsubscribe();
  }
});

describe('result hand-over with the completed message', () => {
  const summaryOf = (doc: ReturnType<typeof makeResult>) => ({
    makespan: doc.summary.makespan,
    utilization: 0.9,
    changeovers: 1,
    lots_scheduled: 2,
    window_violations: 0,
    kpis: {},
    lower_bound: doc.summary.lower_bound,
    gap: doc.summary.gap,
    execution_time: 0.2,
    activity_count: doc.activities.length,
  });
  let requested: string[] = [];
  let solver: Subscription;
  /** The solver pool's `solver.result`: answers from `held` and records every request. */
  const held = new Map<string, ReturnType<typeof toChunks>>();
  beforeAll(async () => {
    solver = peer.nc.subscribe(RPC.solver.result, {
      queue: 'solver',
      callback: (_err, msg) => {
        const { body: req } = msg.json<{ body: { job_id: string; index: number } }>();
        requested.push(`${req.job_id}#${req.index}`);
        const chunk = held.get(req.job_id)?.[req.index];
        msg.respond(
          encodeJson(
            chunk
              ? { status: 200, body: { job_id: req.job_id, chunk } }
              : { status: 404, body: { detail: 'Result not found' } },
          ),
        );
      },
    });
    await peer.nc.flush();
  });
  afterAll(() => solver.unsubscribe());
  beforeEach(() => {
    requested = [];
  });

  async function created(name: string): Promise<number> {
    const res = await rpc(RPC.schedule.create, { user: alice, body: body(name) });
    expect(res.status).toBe(202);
    return (res.body as { id: number }).id;
  }
  const completedGet = (id: number) =>
    waitFor(async () => {
      const r = await rpc(RPC.schedule.get, { user: alice, params: { id: String(id) } });
      return (r.body as { status: string }).status === 'completed'
        ? (r.body as { result: { activities: unknown[]; makespan: number } })
        : null;
    }, `schedule ${id} completed`);
  const announced = async (id: number) => {
    const subj = ownerStatusSubject('schedule', id, 'completed');
    const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subj });
    return info.state.subjects?.[subj] ?? 0;
  };

  test('an inline result is stored and announced without any solver.result request', async () => {
    const id = await created('inline');
    const doc = makeResult(30, { makespan: 42.5 });
    const chunks = toChunks(doc);
    const inline = inlineResultOf(chunks)!;
    expect(inline).not.toBeNull();
    await publishLifecycle('started', id);
    await publishLifecycle(
      'completed',
      id,
      { summary: summaryOf(doc) },
      { headers: { [RESULT_INLINE_HEADER]: inline } },
    );
    const got = await completedGet(id);
    expect(got.result.activities).toEqual(doc.activities);
    expect(got.result.makespan).toBe(42.5);
    expect(requested).toEqual([]);
    await waitFor(async () => (await announced(id)) === 1, 'announced');
  });

  test('a redelivered inline completed (another message, same event) changes nothing and announces once', async () => {
    const id = await created('inline twice');
    const doc = makeResult(12, { makespan: 10 });
    const inline = inlineResultOf(toChunks(doc))!;
    await publishLifecycle(
      'completed',
      id,
      { summary: summaryOf(doc) },
      { headers: { [RESULT_INLINE_HEADER]: inline } },
    );
    const first = await completedGet(id);
    // Past the stream's duplicate window a re-publication is a second message: applied idempotently.
    const other = makeResult(3, { makespan: 99 });
    await publishLifecycle(
      'completed',
      id,
      { summary: summaryOf(other) },
      { id: `again:${id}`, headers: { [RESULT_INLINE_HEADER]: inlineResultOf(toChunks(other))! } },
    );
    await waitFor(async () => {
      const i = await jsm.consumers.info(EVENTS_STREAM, SCHEDULE_CONSUMER);
      return i.num_pending === 0 && i.num_ack_pending === 0;
    }, 'consumer drained');
    const after = await rpc(RPC.schedule.get, { user: alice, params: { id: String(id) } });
    expect((after.body as { result: unknown }).result).toEqual(first.result);
    expect(await announced(id)).toBe(1);
    expect(requested).toEqual([]);
  });

  test('without the header (a result over the bound) the result is taken over by solver.result', async () => {
    const id = await created('by rpc');
    const doc = makeResult(40, { makespan: 7 });
    held.set(`schedule.${id}`, toChunks(doc, 2_000));
    await publishLifecycle('completed', id, { summary: summaryOf(doc) });
    const got = await completedGet(id);
    expect(got.result.activities).toEqual(doc.activities);
    expect(requested.length).toBe(held.get(`schedule.${id}`)!.length);
  });

  test('an unusable header (a partial document) is logged and the result fetched by solver.result instead', async () => {
    const id = await created('bad header');
    const doc = makeResult(40, { makespan: 8 });
    const chunks = toChunks(doc, 2_000);
    held.set(`schedule.${id}`, chunks);
    await publishLifecycle(
      'completed',
      id,
      { summary: summaryOf(doc) },
      { headers: { [RESULT_INLINE_HEADER]: JSON.stringify(chunks[0]) } },
    );
    const got = await completedGet(id);
    expect(got.result.activities).toEqual(doc.activities);
    expect(requested).toEqual(chunks.map((c) => `schedule.${id}#${c.index}`));
    expect(logs.some((l) => l.level === 'warn' && /inline result unusable/.test(String(l.msg)))).toBe(true);
  });
});

test('delete of a pending schedule → cancellation in KV and on CANCEL_SUBJECT, then gone', async () => {
  const created = await rpc(RPC.schedule.create, { user: alice, body: body('to cancel') });
  const id = (created.body as { id: number }).id;
  const cancels: unknown[] = [];
  const sub = peer.nc.subscribe(CANCEL_SUBJECT, { callback: (_e, m) => void cancels.push(m.json()) });
  await peer.nc.flush();
  try {
    const res = await rpc(RPC.schedule.delete, { user: alice, params: { id: String(id) } });
    expect(res).toEqual({ status: 200, body: { message: 'Schedule deleted successfully' } });
    const kv = await new Kvm(peer.nc).open(CANCELLATIONS_BUCKET);
    const entry = await kv.get(`schedule.${id}`);
    expect(entry).not.toBeNull();
    expect(entry!.json<{ job_id: string }>().job_id).toBe(`schedule.${id}`);
    await waitFor(async () => cancels.length > 0, 'cancel broadcast');
    expect(cancels).toEqual([{ job_id: `schedule.${id}` }]);
    expect((await rpc(RPC.schedule.get, { user: alice, params: { id: String(id) } })).status).toBe(404);

    // The solver's late events for the deleted schedule are acked and ignored.
    await publishLifecycle('started', id);
    const info = await waitFor(async () => {
      const i = await jsm.consumers.info(EVENTS_STREAM, SCHEDULE_CONSUMER);
      return i.num_pending === 0 && i.num_ack_pending === 0 ? i : null;
    }, 'consumer drained');
    expect(info.num_redelivered).toBe(0);
  } finally {
    sub.unsubscribe();
  }
});

test('every route answers over NATS in the queue group', async () => {
  expect((await rpc(RPC.schedule.strategies, { user: alice })).status).toBe(200);
  expect((await rpc(RPC.schedule.list, { user: alice, query: { page_size: '101' } })).status).toBe(422);
  const v = await rpc(RPC.schedule.validate, { user: alice, body: [{ lot_id: 'L1', type: 'A', vials: 10 }] });
  expect(v).toMatchObject({ status: 200, body: { valid: true } });
  // Not JSON at all: the kit answers 400 instead of leaving the requester to time out.
  const raw = await peer.nc.request(RPC.schedule.get, 'nope', { timeout: 5000 });
  expect(decodeJson<RpcReply>(raw.data).status).toBe(400);
});

describe('HighWaterIdAllocator (ids never reused while NATS remembers them)', () => {
  test('a restarted store (counter back at 1) continues after the high-water mark', async () => {
    const first = new HighWaterIdAllocator(new MemoryIdAllocator(), await openCountersBucket(peer.nc));
    expect([await first.next('t1'), await first.next('t1'), await first.next('t2')]).toEqual([1, 2, 1]);
    const restarted = new HighWaterIdAllocator(
      new MemoryIdAllocator(),
      await openCountersBucket(serviceHandle.nc),
    );
    expect([await restarted.next('t1'), await restarted.next('t1')]).toEqual([3, 4]);
  });

  test('a store ahead of NATS (NATS reset, MongoDB kept) wins', async () => {
    const store = new MemoryIdAllocator();
    for (let i = 0; i < 6; i++) await store.next('t3');
    const alloc = new HighWaterIdAllocator(store, await openCountersBucket(peer.nc));
    expect([await alloc.next('t3'), await alloc.next('t3')]).toEqual([7, 8]);
  });

  test('concurrent allocators with separate stores never hand out the same id', async () => {
    const a = new HighWaterIdAllocator(new MemoryIdAllocator(), await openCountersBucket(peer.nc));
    const b = new HighWaterIdAllocator(new MemoryIdAllocator(), await openCountersBucket(serviceHandle.nc));
    const got = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).next('race')));
    expect(new Set(got).size).toBe(30);
    expect(Math.min(...got)).toBe(1);
  });

  test('blocks: two replicas reserving in blocks over separate stores never overlap; a restart skips the rest of a block', async () => {
    const replica = async (nc: typeof peer.nc) =>
      new BlockIdAllocator(new HighWaterIdAllocator(new MemoryIdAllocator(), await openCountersBucket(nc)), {
        blockSize: 5,
      });
    const [a, b] = [await replica(peer.nc), await replica(serviceHandle.nc)];
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).next('blocks')));
    expect(new Set(got).size).toBe(40);
    // Whatever a and b hold in hand, a newcomer starts above every block reserved so far.
    const restarted = await replica(peer.nc);
    expect(await restarted.next('blocks')).toBeGreaterThan(Math.max(...got));
  });
});

test('jobs stream missing → 503 quickly and the schedule is failed with the reason; provisioning heals it', async () => {
  await jsm.streams.delete(JOBS_STREAM);
  try {
    const t0 = Date.now();
    const res = await rpc(RPC.schedule.create, { user: alice, body: body('no queue') });
    expect(res.status).toBe(503);
    expect((res.body as { detail: string }).detail).toMatch(/^Could not enqueue the schedule: /);
    expect(Date.now() - t0).toBeLessThan(4000);
    const list = await rpc(RPC.schedule.list, { user: alice, query: { status: 'failed' } });
    const failed = (list.body as { schedules: Array<{ name: string; error_message: string }> }).schedules;
    expect(failed.find((s) => s.name === 'no queue')?.error_message).toBe(
      (res.body as { detail: string }).detail,
    );
  } finally {
    await provisionStreams(serviceHandle, logger);
  }
  expect((await rpc(RPC.schedule.create, { user: alice, body: body('queue back') })).status).toBe(202);
});

test('a restarted in-memory service does not reuse ids, so its first job is not dropped as a duplicate', async () => {
  const before = await rpc(RPC.schedule.list, { user: alice, query: { sort: '-id', page_size: '1' } });
  const lastId = (before.body as { schedules: Array<{ id: number }> }).schedules[0].id;
  await service.stop();
  // Fresh memory stores and a fresh id counter: what a restart without MongoDB looks like.
  service = await startScheduleService({
    handle: serviceHandle,
    logger,
    schedules: new MemoryScheduleRepository(),
    results: new MemoryResultRepository(),
    ids: new MemoryIdAllocator(),
  });
  const res = await rpc(RPC.schedule.create, { user: alice, body: body('after restart') });
  expect(res.status).toBe(202);
  const id = (res.body as { id: number }).id;
  expect(id).toBeGreaterThan(lastId);
  const stored = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: userJobsSubject(alice.id) });
  expect(stored!.header.get('Nats-Msg-Id')).toBe(`solve.requested:schedule.${id}`);
});
