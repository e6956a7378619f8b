// The worker against a real nats-server: JetStream work queue in, lifecycle/progress events out,
// result chunks over request/reply, cancel over the KV bucket + broadcast, poison to the dead letter.
import {
  CANCEL_SUBJECT,
  DEAD_LETTER_STREAM,
  EVENTS_STREAM,
  EVENT_TYPES,
  JOBS_STREAM,
  JOBS_SUBJECT,
  RESULT_INLINE_HEADER,
  RPC,
  SOLVER_CONSUMER,
  readInlineResult,
  toChunks,
  ResultChunkSchema,
  SolveCompletedSchema,
  fromChunks,
  makeEvent,
  type SolveJob,
} from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  createServiceClient,
  encodeJson,
  publishEvent,
  serveRequests,
  type NatsHandle,
  type Responder,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { createSolverWorker, DLQ_HEADERS, type SolverWorker } from './app';
import { MemoryResultStore } from './adapters/memory';
import { JetStreamPublisher, KvCancellations } from './adapters/nats';
import { startJobConsumer, type JobConsumer } from './consumer';
import { ThreadEngine } from './engine-runner';
import { provisionSolver } from './provision';
import { lotsFixture, solveJob } from './test-support';

jest.setTimeout(60_000);

const logger = createLogger('solver-it', 'silent');

let nats: TestNats;
let handle: NatsHandle;
let js: JetStreamClient;
let kv: KV;
let engine: ThreadEngine;
let store: MemoryResultStore;
let worker: SolverWorker;
let consumer: JobConsumer;
let responder: Responder;
let cancelSub: Subscription;
const seen: Array<{ subject: string; data: Record<string, any>; inline: string }> = [];
let watchSub: Subscription;

async function waitFor<T>(
  fn: () => T | undefined | null | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function submit(job: SolveJob | Record<string, unknown>, correlationid = 'corr-it') {
  const event = makeEvent({
    type: EVENT_TYPES.solveRequested,
    source: '/fillsched/schedule',
    id: `${String(job.job_id)}:requested`,
    correlationid,
    data: job,
  });
  await publishEvent(js, JOBS_SUBJECT, event);
}

const eventsOf = (kindId: string) =>
  seen.filter(
    (e) =>
      e.subject.startsWith(`fillsched.events.${kindId}.`) || e.subject === `fillsched.progress.${kindId}`,
  );

beforeAll(async () => {
  nats = await startNatsForTests();
  handle = await connectNats({ servers: nats.url, name: 'solver-it', logger });
  kv = await provisionSolver(handle.nc, { logger });
  js = jetstream(handle.nc);
  engine = new ThreadEngine();
  store = new MemoryResultStore();
  worker = createSolverWorker(
    { store, publisher: new JetStreamPublisher(js), cancellations: new KvCancellations(kv), engine, logger },
    { instance: 'it-worker' },
  );
  watchSub = handle.nc.subscribe('fillsched.>', {
    callback: (_err, m: Msg) => {
      if (m.subject.startsWith('fillsched.events.') || m.subject.startsWith('fillsched.progress.'))
        seen.push({ subject: m.subject, data: m.json(), inline: m.headers?.get(RESULT_INLINE_HEADER) ?? '' });
    },
  });
  cancelSub = handle.nc.subscribe(CANCEL_SUBJECT, {
    callback: (_e, m) => worker.handleCancelMessage(m.data),
  });
  responder = serveRequests(handle, logger, {
    subject: RPC.solver.result,
    queue: 'solver',
    handler: (req) => worker.resultChunk(req),
  });
  await handle.nc.flush();
  consumer = await startJobConsumer({ js, worker, concurrency: 1, logger, pullExpiresMs: 1000 });
});

afterAll(async () => {
  await consumer?.stop();
  await worker?.stop(1000);
  await responder?.stop();
  cancelSub?.unsubscribe();
  watchSub?.unsubscribe();
  await handle?.drain();
  await engine?.close();
  await nats?.stop();
});

test('provisioning is idempotent and creates the solver consumer and the KV bucket', async () => {
  await provisionSolver(handle.nc, { logger }); // second start: no error
  const jsm = await jetstreamManager(handle.nc);
  const info = await jsm.consumers.info(JOBS_STREAM, SOLVER_CONSUMER);
  expect(info.config.ack_policy).toBe('explicit');
  expect(info.config.max_deliver).toBe(5);
  expect(info.config.ack_wait).toBe(30_000_000_000);
  expect((await jsm.streams.info(JOBS_STREAM)).config.retention).toBe('workqueue');
  expect(await kv.status()).toMatchObject({ bucket: 'fillsched-cancellations' });
  expect((await jsm.streams.info(JOBS_STREAM)).config.num_replicas).toBe(1);
  // NATS_STREAM_REPLICAS reaches the server: 3 replicas cannot be placed on a single server.
  await expect(provisionSolver(handle.nc, { logger, replicas: 3 })).rejects.toThrow(
    /3 stream replicas need a NATS cluster/,
  );
});

test('a 15-lot job: started → progress → completed on the event subjects, then the result over RPC', async () => {
  const job = solveJob({ scheduleId: 101, strategy: 'smart-pack' });
  job.input.lots_data = lotsFixture(15);
  await submit(job);
  const completed = await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.101.completed'),
    20_000,
    'completed',
  );
  const mine = eventsOf('schedule.101');
  const stages = mine.map((e) =>
    e.subject.startsWith('fillsched.progress.') ? 'progress' : e.subject.split('.').pop(),
  );
  expect(stages[0]).toBe('started');
  expect(stages[stages.length - 1]).toBe('completed');
  expect(stages.filter((s) => s === 'progress').length).toBeGreaterThan(0);
  expect(new Set(stages.slice(1, -1))).toEqual(new Set(['progress']));
  expect(completed.data.type).toBe(EVENT_TYPES.solveCompleted);
  expect(completed.data.correlationid).toBe('corr-it');
  const summary = SolveCompletedSchema.parse(completed.data.data).summary;
  expect(summary.lots_scheduled).toBe(15);

  // durable copies: the events stream holds exactly one completed for this schedule
  const jsm = await jetstreamManager(handle.nc);
  const subj = 'fillsched.events.schedule.101.completed';
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subj });
  expect(info.state.subjects?.[subj]).toBe(1);

  // take the result over chunk by chunk over RPC, as an owner does
  const client = createServiceClient(handle, 'solver', { timeoutMs: 5000 });
  const head = await client.request(RPC.solver.result, { body: { job_id: 'schedule.101' } });
  expect(head.status).toBe(200);
  const first = ResultChunkSchema.parse((head.body as { chunk: unknown }).chunk);
  const chunks = [first];
  for (let index = 1; index < first.count; index++) {
    const reply = await client.request(RPC.solver.result, { body: { job_id: 'schedule.101', index } });
    chunks.push(ResultChunkSchema.parse((reply.body as { chunk: unknown }).chunk));
  }
  const doc = fromChunks(chunks);
  expect(doc.summary).toMatchObject(summary);
  expect(doc.activities).toHaveLength(summary.activity_count);

  // A 15-lot result is one small chunk: it rode with `completed` in the header, exactly as stored,
  // and the event itself (what the mirror and the relays see) carries the summary only.
  expect(readInlineResult(completed.inline)).toEqual({ kind: 'ok', chunks });
  expect(completed.data.data).not.toHaveProperty('activities');
  expect(JSON.stringify(completed.data)).not.toContain('"activities"');
  const missing = await client.request(RPC.solver.result, { body: { job_id: 'schedule.nope' } });
  expect(missing).toMatchObject({ status: 404, body: { detail: 'Result not found' } });
  const bad = await client.request(RPC.solver.result, { body: { job_id: 'schedule.101', index: 'x' } });
  expect(bad.status).toBe(422);

  // the work queue is empty again: the job was acknowledged (and the ack confirmed)
  expect((await jsm.streams.info(JOBS_STREAM)).state.messages).toBe(0);
});

test('cancel during a run over NATS (KV + broadcast) → cancelled within 1 s, nothing stored', async () => {
  const job = solveJob({ scheduleId: 102, strategy: 'milp-opt', time_limit_s: 20 });
  job.input.lots_data = lotsFixture(40);
  job.input.config = { line_count: 3 };
  await submit(job);
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.102.started'),
    10_000,
    'started',
  );
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  await kv.put('schedule.102', encodeJson({ cancelled_at: new Date().toISOString() }));
  handle.nc.publish(CANCEL_SUBJECT, encodeJson({ job_id: 'schedule.102' }));
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.102.cancelled'),
    5_000,
    'cancelled',
  );
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(await store.chunk('schedule.102', 0)).toBeNull();
  expect(seen.some((e) => e.subject === 'fillsched.events.schedule.102.completed')).toBe(false);

  // a job already in the KV bucket when claimed is skipped at once
  await kv.put('schedule.103', encodeJson({}));
  await submit(solveJob({ scheduleId: 103 }));
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.103.cancelled'),
    10_000,
    'cancelled 103',
  );
  expect(seen.some((e) => e.subject === 'fillsched.events.schedule.103.started')).toBe(false);
});

test('poison input → failed + a copy in the dead-letter stream with the reason; the worker keeps serving', async () => {
  const bad = {
    ...solveJob({ scheduleId: 104 }),
    input: { lots_data: [{ lot_id: 'A', type: 'X', vials: 0 }] },
  };
  await submit(bad);
  const failed = await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.104.failed'),
    10_000,
    'failed',
  );
  expect(failed.data.data.error.code).toBe('VALIDATION_ERROR');
  const jsm = await jetstreamManager(handle.nc);
  const dl = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { last_by_subj: 'fillsched.dlq.solve' });
  expect(dl!.header.get(DLQ_HEADERS.jobId)).toBe('schedule.104');
  expect(dl!.header.get(DLQ_HEADERS.reason)).toMatch(/vials/);
  expect(dl!.json<{ data: { job_id: string } }>().data.job_id).toBe('schedule.104');

  // terminated for good: nothing left pending on the consumer (no redelivery after ack_wait)
  const consumerInfo = await jsm.consumers.info(JOBS_STREAM, SOLVER_CONSUMER);
  expect(consumerInfo.num_ack_pending).toBe(0);
  expect(consumerInfo.num_pending).toBe(0);

  await submit(solveJob({ scheduleId: 105 }));
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.105.completed'),
    20_000,
    'next job',
  );
});

test('one job at a time: while a job runs, the next one stays in the stream (no prefetch)', async () => {
  const slow = solveJob({ scheduleId: 106, strategy: 'milp-opt', time_limit_s: 2 });
  slow.input.lots_data = lotsFixture(40);
  slow.input.config = { line_count: 3 };
  await submit(slow);
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.106.started'),
    10_000,
    'started',
  );
  await submit(solveJob({ scheduleId: 107 }));
  await new Promise((r) => setTimeout(r, 300));
  const jsm = await jetstreamManager(handle.nc);
  const info = await jsm.consumers.info(JOBS_STREAM, SOLVER_CONSUMER);
  expect(info.num_ack_pending).toBe(1);
  expect(info.num_pending).toBe(1);
  expect(seen.some((e) => e.subject === 'fillsched.events.schedule.107.started')).toBe(false);
  await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.107.completed'),
    20_000,
    '107',
  );
  const order = seen
    .filter((e) => /^fillsched\.events\.schedule\.10[67]\.(started|completed)$/.test(e.subject))
    .map((e) => e.subject.replace('fillsched.events.schedule.', ''));
  expect(order).toEqual(['106.started', '106.completed', '107.started', '107.completed']);
});

test('a redelivered job whose result is stored: completed again with the stored result inline, no solve', async () => {
  const job = solveJob({ scheduleId: 108 });
  const doc = {
    summary: {
      makespan: 7,
      utilization: 0.5,
      changeovers: 0,
      lots_scheduled: 1,
      window_violations: 0,
      kpis: {},
      per_line: [],
      lower_bound: 7,
      gap: 0,
      execution_time: 0.01,
      activity_count: 1,
    },
    activities: [
      {
        kind: 'FILL',
        line: 1,
        lot_id: 'STORED',
        start: '2025-01-01T00:00:00',
        end: '2025-01-01T07:00:00',
        duration: 420,
        duration_hours: 7,
      },
    ],
  };
  const chunks = toChunks(doc);
  await store.save(
    { job_id: job.job_id, owner: job.owner, strategy: job.strategy, created_at: new Date() },
    chunks,
  );
  await submit(job);
  const completed = await waitFor(
    () => seen.find((e) => e.subject === 'fillsched.events.schedule.108.completed'),
    20_000,
    'completed',
  );
  expect(readInlineResult(completed.inline)).toEqual({
    kind: 'ok',
    chunks: JSON.parse(JSON.stringify(chunks)),
  });
  expect(eventsOf('schedule.108').map((e) => e.subject.split('.').pop())).toEqual(['completed']);
});
