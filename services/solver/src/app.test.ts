import { CORRELATION_HEADER, createLogger } from '@fillsched/service-kit';
import {
  RESULT_INLINE_HEADER,
  readInlineResult,
  SolveCancelledSchema,
  SolveCompletedSchema,
  SolveFailedSchema,
  SolveProgressSchema,
  SolveStartedSchema,
  ResultDocumentSchema,
  fromChunks,
  toChunks,
  type CloudEvent,
} from '@fillsched/contracts';
import { normalizeInput, type Instance, type SolveOutput } from '@fillsched/engine';
import { createSolverWorker, DLQ_HEADERS, type SolverWorkerOptions } from './app';
import { MemoryCancellations, MemoryResultStore, RecordingPublisher } from './adapters/memory';
import { InProcessEngine, ThreadEngine } from './engine-runner';
import type { Engine, EngineSolveOptions } from './ports';
import { SMALL_CHUNK_BYTES, makeMeta, makeResultDocument, readAll } from './result-store.contract';
import { FakeJobMessage, jobEventBytes, lotsFixture, solveJob } from './test-support';

jest.setTimeout(30_000);

const silent = createLogger('solver-test', 'silent');

/** An engine whose solve the test controls; normalize is the real one. */
class ScriptedEngine implements Engine {
  normalize = normalizeInput;
  calls: EngineSolveOptions[] = [];
  constructor(
    private readonly impl: (instance: Instance, opts: EngineSolveOptions) => Promise<SolveOutput>,
  ) {}
  solve(instance: Instance, opts: EngineSolveOptions) {
    this.calls.push(opts);
    return this.impl(instance, opts);
  }
}

const realEngine = new InProcessEngine();
const solveForReal = (instance: Instance, opts: EngineSolveOptions) => realEngine.solve(instance, opts);

function setup(engine: Engine, options: SolverWorkerOptions = {}) {
  const store = new MemoryResultStore();
  const publisher = new RecordingPublisher();
  const cancellations = new MemoryCancellations();
  const worker = createSolverWorker(
    { store, publisher, cancellations, engine, logger: silent },
    { instance: 'test-worker', retryDelayMs: () => 1234, ...options },
  );
  return { store, publisher, cancellations, worker };
}

const stageOf = (subject: string) => subject.split('.').pop();

describe('job handler', () => {
  let threads: ThreadEngine;
  beforeAll(() => {
    threads = new ThreadEngine();
  });
  afterAll(async () => {
    await threads.close();
  });

  test('happy path (engine in a worker thread): started → progress → completed, one stored result, ack', async () => {
    const { store, publisher, worker } = setup(threads);
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 5 }), 'corr-happy'));
    expect(await worker.handleJob(msg)).toBe('completed');
    expect(msg.disposition()).toBe('ack');

    const subjects = publisher.events.map((e) => e.subject);
    expect(subjects[0]).toBe('fillsched.events.schedule.5.started');
    expect(subjects[subjects.length - 1]).toBe('fillsched.events.schedule.5.completed');
    const progress = publisher.events.filter((e) => e.subject === 'fillsched.progress.schedule.5');
    expect(progress.length).toBeGreaterThan(0);
    expect(subjects.length).toBe(progress.length + 2); // nothing else in between

    const [started] = publisher.events;
    expect(started.event.id).toBe('schedule.5:started:1');
    expect(started.event.correlationid).toBe('corr-happy');
    expect(SolveStartedSchema.parse(started.event.data)).toMatchObject({
      job_id: 'schedule.5',
      attempt: 1,
      worker: 'test-worker',
    });
    for (const p of progress) {
      expect(p.event.type).toBe('com.fillsched.solve.progress');
      SolveProgressSchema.parse(p.event.data);
    }
    const completed = publisher.events[publisher.events.length - 1].event as CloudEvent<unknown>;
    expect(completed.id).toBe('schedule.5:completed');
    const data = SolveCompletedSchema.parse(completed.data);
    expect(data.summary.lots_scheduled).toBe(15);

    expect(store.count()).toBe(1);
    const doc = fromChunks((await readAll(store, 'schedule.5'))!);
    expect(doc.activities).toHaveLength(data.summary.activity_count);
    expect(doc.summary).toMatchObject(data.summary);
    expect(doc.summary.per_line).toHaveLength(doc.summary.kpis.lines as number);
    expect(doc.summary.explanations).toBeDefined();
    expect(ResultDocumentSchema.safeParse(doc).error).toBeUndefined();
    expect(store.stored('schedule.5')!.meta.owner).toEqual({ kind: 'schedule', id: 5, user_id: 42 });
  });

  test('the thread engine gives the same schedule as the in-process one (same seed)', async () => {
    const job = solveJob({ scheduleId: 6, seed: 7 });
    const a = setup(threads);
    const b = setup(realEngine);
    await a.worker.handleJob(new FakeJobMessage(jobEventBytes(job)));
    await b.worker.handleJob(new FakeJobMessage(jobEventBytes(job)));
    const pa = fromChunks((await readAll(a.store, 'schedule.6'))!);
    const pb = fromChunks((await readAll(b.store, 'schedule.6'))!);
    expect(pa.activities).toEqual(pb.activities);
  });

  test('prestart: the kept-warm threads start (and warm up) before any job, and a job reuses one', async () => {
    const engine = new ThreadEngine({ maxIdle: 2 });
    try {
      engine.prestart();
      expect(engine.threads()).toBe(2);
      const { worker, store } = setup(engine);
      await worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 8 }))));
      expect(fromChunks((await readAll(store, 'schedule.8'))!).activities.length).toBeGreaterThan(0);
      expect(engine.threads()).toBe(2);
    } finally {
      await engine.close();
    }
  });

  test('progress is throttled to at most 4 per second plus the last one, in order', async () => {
    const engine = new ScriptedEngine(async (instance, opts) => {
      for (let i = 1; i <= 40; i++) {
        opts.onProgress({
          phase: 'search',
          percent: i * 2.5,
          best_makespan: 100 - i,
          lower_bound: 50,
          message: `step ${i}`,
        });
        await new Promise((r) => setTimeout(r, 25)); // 40 updates over ~1 s
      }
      return solveForReal(instance, { ...opts, onProgress: () => undefined });
    });
    const { publisher, worker } = setup(engine);
    const t0 = Date.now();
    await worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 8 }))));
    const seconds = (Date.now() - t0) / 1000;
    const progress = publisher.events.filter((e) => e.subject.startsWith('fillsched.progress.'));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 1);
    const percents = progress.map((p) => (p.event.data as { percent: number }).percent);
    expect([...percents].sort((x, y) => x - y)).toEqual(percents);
    expect(percents[percents.length - 1]).toBe(100); // the last update is never dropped
    expect(stageOf(publisher.events[publisher.events.length - 1].subject)).toBe('completed');
  });

  test('the correlation id comes from the NATS header when the event has none', async () => {
    const { publisher, worker } = setup(realEngine);
    const bytes = jobEventBytes(solveJob({ scheduleId: 9 }), null);
    const msg = new FakeJobMessage(bytes, { headers: { [CORRELATION_HEADER]: 'from-header' } });
    await worker.handleJob(msg);
    expect(publisher.events.every((e) => e.event.correlationid === 'from-header')).toBe(true);
  });

  test('every log line of a job carries its correlation id (also from the engine thread callbacks)', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = { write: (s: string) => void lines.push(JSON.parse(s)) };
    const logger = createLogger('solver-test', 'debug', sink);
    const engine = new ScriptedEngine(solveForReal);
    const worker = createSolverWorker(
      {
        store: new MemoryResultStore(),
        publisher: new RecordingPublisher(),
        cancellations: new MemoryCancellations(),
        engine,
        logger,
      },
      {},
    );
    await worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 90 }), 'corr-logs')));
    const bad = solveJob({ scheduleId: 91 });
    bad.input.lots_data = [];
    await worker.handleJob(new FakeJobMessage(jobEventBytes(bad, 'corr-bad')));
    const ofJob = (id: string) => lines.filter((l) => l.job_id === id);
    expect(ofJob('schedule.90').length).toBeGreaterThanOrEqual(2);
    expect(ofJob('schedule.90').every((l) => l.correlation_id === 'corr-logs')).toBe(true);
    expect(ofJob('schedule.91').length).toBeGreaterThanOrEqual(1);
    expect(ofJob('schedule.91').every((l) => l.correlation_id === 'corr-bad')).toBe(true);
  });

  test('heartbeats: working() is called while a job runs', async () => {
    const engine = new ScriptedEngine(async (instance, opts) => {
      await new Promise((r) => setTimeout(r, 350));
      return solveForReal(instance, opts);
    });
    const { worker } = setup(engine, { workingIntervalMs: 50 });
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 10 })));
    await worker.handleJob(msg);
    expect(msg.workings).toBeGreaterThanOrEqual(4);
    const after = msg.workings;
    await new Promise((r) => setTimeout(r, 150));
    expect(msg.workings).toBe(after); // stopped with the job
  });

  test('time limits: job value wins, else config, else the default; all capped', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { worker } = setup(engine, { defaultTimeLimitS: 11, maxTimeLimitS: 20 });
    await worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 11, time_limit_s: 3 }))));
    await worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 12 }))));
    await worker.handleJob(
      new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 13, time_limit_s: 999 }))),
    );
    const cfg = solveJob({ scheduleId: 14 });
    cfg.input.config = { time_limit_s: 4, seed: 99 };
    await worker.handleJob(new FakeJobMessage(jobEventBytes(cfg)));
    expect(engine.calls.map((c) => c.timeLimitS)).toEqual([3, 11, 20, 4]);
    expect(engine.calls[3].seed).toBe(99);
  });
});

describe('poison input', () => {
  test('not JSON: dead letter with the reason, term, no event (no job id to tell)', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { publisher, worker } = setup(engine);
    const msg = new FakeJobMessage(new TextEncoder().encode('{"specversion": "1.0", oops'), { seq: 77 });
    expect(await worker.handleJob(msg)).toBe('poison');
    expect(msg.disposition()).toBe('term');
    expect(publisher.events).toEqual([]);
    expect(publisher.deadLetters).toHaveLength(1);
    const dl = publisher.deadLetters[0];
    expect(new TextDecoder().decode(dl.data)).toBe('{"specversion": "1.0", oops');
    expect(dl.headers[DLQ_HEADERS.reason]).toMatch(/not JSON/);
    expect(dl.headers[DLQ_HEADERS.subject]).toBe('fillsched.jobs.solve');
    expect(dl.msgId).toBe('dlq:77:1');
    expect(engine.calls).toHaveLength(0);
  });

  test('wrong shape with a readable id and owner: failed VALIDATION_ERROR + dead letter + term', async () => {
    const { publisher, worker } = setup(realEngine);
    const job = { ...solveJob({ scheduleId: 20 }), input: { config: {} } }; // no lots_data
    const msg = new FakeJobMessage(jobEventBytes(job));
    expect(await worker.handleJob(msg)).toBe('poison');
    expect(msg.disposition()).toBe('term');
    expect(publisher.events).toHaveLength(1);
    const { subject, event } = publisher.events[0];
    expect(subject).toBe('fillsched.events.schedule.20.failed');
    expect(event.id).toBe('schedule.20:failed');
    const data = SolveFailedSchema.parse(event.data);
    expect(data.error.code).toBe('VALIDATION_ERROR');
    expect(data.error.message).toMatch(/input\.lots_data/);
    expect(publisher.deadLetters[0].headers[DLQ_HEADERS.jobId]).toBe('schedule.20');
  });

  test('a CloudEvent of another type is poison', async () => {
    const { publisher, worker } = setup(realEngine);
    const bytes = jobEventBytes(solveJob({ scheduleId: 21 }));
    const event = JSON.parse(new TextDecoder().decode(bytes));
    event.type = 'com.fillsched.something.else';
    const msg = new FakeJobMessage(new TextEncoder().encode(JSON.stringify(event)));
    expect(await worker.handleJob(msg)).toBe('poison');
    expect((publisher.events[0].event.data as { error: { message: string } }).error.message).toMatch(
      /unexpected event type/,
    );
  });

  test('input the engine rejects: failed with the engine message, dead letter, term, nothing solved', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { publisher, worker, store } = setup(engine);
    const job = solveJob({ scheduleId: 22 });
    job.input.lots_data = [{ lot_id: 'X1', type: 'A', vials: -5 }];
    const msg = new FakeJobMessage(jobEventBytes(job));
    expect(await worker.handleJob(msg)).toBe('poison');
    expect(msg.disposition()).toBe('term');
    const data = SolveFailedSchema.parse(publisher.events[0].event.data);
    expect(data.error.code).toBe('VALIDATION_ERROR');
    expect(data.error.message).toMatch(/lots_data\.0\.vials/);
    expect(publisher.deadLetters).toHaveLength(1);
    expect(engine.calls).toHaveLength(0);
    expect(store.count()).toBe(0);
  });

  test('if the failure cannot be recorded (NATS down) the poison job is retried, then terminated on the last delivery', async () => {
    const { publisher, worker } = setup(realEngine, { maxDeliver: 3 });
    publisher.failWith = new Error('no responders');
    const first = new FakeJobMessage(new TextEncoder().encode('garbage'), { deliveryCount: 1 });
    expect(await worker.handleJob(first)).toBe('requeued');
    expect(first.naks).toEqual([1234]);
    const last = new FakeJobMessage(new TextEncoder().encode('garbage'), { deliveryCount: 3 });
    expect(await worker.handleJob(last)).toBe('poison');
    expect(last.disposition()).toBe('term');
  });
});

describe('cancellation', () => {
  test('cancelled before start (KV): cancelled event, ack, engine never runs, nothing stored', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { publisher, worker, store, cancellations } = setup(engine);
    cancellations.ids.add('schedule.30');
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 30 })));
    expect(await worker.handleJob(msg)).toBe('cancelled');
    expect(msg.disposition()).toBe('ack');
    expect(publisher.events.map((e) => e.subject)).toEqual(['fillsched.events.schedule.30.cancelled']);
    expect(publisher.events[0].event.id).toBe('schedule.30:cancelled');
    SolveCancelledSchema.parse(publisher.events[0].event.data);
    expect(engine.calls).toHaveLength(0);
    expect(store.count()).toBe(0);
  });

  test('cancel during a real run (worker thread, milp-opt) stops within 1 s and stores nothing', async () => {
    const threads = new ThreadEngine();
    try {
      const { publisher, worker, store } = setup(threads);
      const job = solveJob({ scheduleId: 31, strategy: 'milp-opt', time_limit_s: 20 });
      job.input.lots_data = lotsFixture(40);
      job.input.config = { line_count: 3 };
      const msg = new FakeJobMessage(jobEventBytes(job));
      const outcome = worker.handleJob(msg);
      // wait until it is solving (started published), then a little more
      for (let i = 0; i < 100 && !publisher.events.some((e) => stageOf(e.subject) === 'started'); i++)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 700));
      expect(worker.runningJobs()).toEqual(['schedule.31']);
      const t0 = Date.now();
      worker.handleCancelMessage(new TextEncoder().encode(JSON.stringify({ job_id: 'schedule.31' })));
      expect(await outcome).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(msg.disposition()).toBe('ack');
      expect(stageOf(publisher.events[publisher.events.length - 1].subject)).toBe('cancelled');
      expect(publisher.events.some((e) => stageOf(e.subject) === 'completed')).toBe(false);
      expect(store.count()).toBe(0);
      expect(worker.runningJobs()).toEqual([]);
    } finally {
      await threads.close();
    }
  });

  test('an engine that ignores the abort is terminated after the grace period', async () => {
    const busy = new ThreadEngine({
      abortGraceMs: 200,
      script: {
        file: `require('node:worker_threads').parentPort.on('message', (m) => {
          if (m.type !== 'solve') return;
          const end = Date.now() + 20000; while (Date.now() < end) {} // never looks at messages
        });`,
        options: { eval: true },
      },
    });
    try {
      const { publisher, worker, store } = setup(busy);
      const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 32 })));
      const outcome = worker.handleJob(msg);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      expect(worker.cancel('schedule.32')).toBe(1);
      expect(await outcome).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(busy.threads()).toBe(0); // the stuck thread is gone
      expect(stageOf(publisher.events[publisher.events.length - 1].subject)).toBe('cancelled');
      expect(store.count()).toBe(0);
    } finally {
      await busy.close();
    }
  });

  test('a cancel for another job or a malformed cancel message changes nothing', async () => {
    let release!: () => void;
    const engine = new ScriptedEngine(async (instance, opts) => {
      await new Promise<void>((r) => (release = r));
      return solveForReal(instance, opts);
    });
    const { worker } = setup(engine);
    const outcome = worker.handleJob(new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 33 }))));
    while (engine.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(worker.cancel('schedule.999')).toBe(0);
    worker.handleCancelMessage(new TextEncoder().encode('not json'));
    worker.handleCancelMessage(new TextEncoder().encode('{"id": 1}'));
    expect(engine.calls[0].signal.aborted).toBe(false);
    release();
    expect(await outcome).toBe('completed');
  });
});

describe('redelivery and failures', () => {
  test('a redelivered job whose result exists re-publishes completed (same id) without solving', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { publisher, worker, store } = setup(engine);
    await store.save(
      makeMeta('schedule.40', { owner: { kind: 'schedule', id: 40, user_id: 42 } }),
      toChunks(makeResultDocument(4)),
    );
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 40 })), { deliveryCount: 2 });
    expect(await worker.handleJob(msg)).toBe('republished');
    expect(msg.disposition()).toBe('ack');
    expect(engine.calls).toHaveLength(0);
    expect(publisher.events).toHaveLength(1);
    const { subject, event } = publisher.events[0];
    expect(subject).toBe('fillsched.events.schedule.40.completed');
    expect(event.id).toBe('schedule.40:completed');
    const data = SolveCompletedSchema.parse(event.data);
    expect(data.summary.activity_count).toBe(4);
    expect(data.summary.lower_bound).toBe(3);
    expect(store.count()).toBe(1);
  });

  test('an engine exception publishes failed ENGINE_ERROR, acks, and the next job is still served', async () => {
    let calls = 0;
    const engine = new ScriptedEngine(async (instance, opts) => {
      if (++calls === 1) throw new Error('boom in the engine');
      return solveForReal(instance, opts);
    });
    const { publisher, worker, store } = setup(engine);
    const bad = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 50 })));
    expect(await worker.handleJob(bad)).toBe('failed');
    expect(bad.disposition()).toBe('ack');
    const failed = publisher.events.find((e) => stageOf(e.subject) === 'failed')!;
    expect(failed.event.id).toBe('schedule.50:failed');
    expect(SolveFailedSchema.parse(failed.event.data).error).toEqual({
      code: 'ENGINE_ERROR',
      message: 'boom in the engine',
    });
    expect(store.count()).toBe(0);

    const good = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 51 })));
    expect(await worker.handleJob(good)).toBe('completed');
    expect(store.count()).toBe(1);
  });

  test('a crashing engine thread fails the job and the next job gets a fresh thread', async () => {
    const crashing = new ThreadEngine({
      script: {
        file: `require('node:worker_threads').parentPort.on('message', (m) => { if (m.type === 'solve') process.exit(3); });`,
        options: { eval: true },
      },
    });
    try {
      const { publisher, worker } = setup(crashing);
      for (const id of [52, 53]) {
        const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: id })));
        expect(await worker.handleJob(msg)).toBe('failed');
        expect(msg.disposition()).toBe('ack');
      }
      const messages = publisher.events
        .filter((e) => stageOf(e.subject) === 'failed')
        .map((e) => (e.event.data as { error: { message: string } }).error.message);
      expect(messages).toEqual([
        expect.stringMatching(/exited with code 3/),
        expect.stringMatching(/exited with code 3/),
      ]);
    } finally {
      await crashing.close();
    }
  });

  test('a solve exceeding the watchdog is aborted and fails', async () => {
    const engine = new ScriptedEngine(
      (_i, opts) =>
        new Promise((_, reject) => opts.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const { publisher, worker } = setup(engine, { watchdogMs: () => 100 });
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 54 })));
    expect(await worker.handleJob(msg)).toBe('failed');
    const data = SolveFailedSchema.parse(publisher.events[publisher.events.length - 1].event.data);
    expect(data.error.message).toMatch(/did not finish/);
  });

  test('the store being down naks with backoff, no ack (an inline result was announced with it: the retry repeats its id)', async () => {
    const { publisher, worker, store } = setup(realEngine);
    jest.spyOn(store, 'save').mockRejectedValueOnce(new Error('MongoNetworkError: connection refused'));
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 60 })), { deliveryCount: 2 });
    expect(await worker.handleJob(msg)).toBe('requeued');
    expect(msg.disposition()).toBe('nak');
    expect(msg.naks).toEqual([1234]);
    // A 15-lot result rides inline, so its store write and `completed` went side by side: the owner
    // has the whole result from the event; the solver's store missed it, so the job is retried.
    const first = publisher.events.filter((e) => stageOf(e.subject) === 'completed');
    expect(first).toHaveLength(1);
    expect(readInlineResult(first[0].headers?.[RESULT_INLINE_HEADER]).kind).toBe('ok');
    expect(publisher.events.some((e) => stageOf(e.subject) === 'failed')).toBe(false);

    // the redelivery succeeds; its `completed` has the same id (the stream drops it as a duplicate)
    const again = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 60 })), { deliveryCount: 3 });
    expect(await worker.handleJob(again)).toBe('completed');
    expect(store.count()).toBe(1);
    const both = publisher.events.filter((e) => stageOf(e.subject) === 'completed');
    expect(both.map((e) => e.event.id)).toEqual([first[0].event.id, first[0].event.id]);
  });

  test('on the last delivery a transient failure publishes failed, dead-letters and terms', async () => {
    const { publisher, worker, store } = setup(realEngine, { maxDeliver: 5 });
    jest.spyOn(store, 'save').mockRejectedValue(new Error('MongoNetworkError: connection refused'));
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 61 })), { deliveryCount: 5 });
    expect(await worker.handleJob(msg)).toBe('dead_lettered');
    expect(msg.disposition()).toBe('term');
    const failed = publisher.events.find((e) => stageOf(e.subject) === 'failed')!;
    expect(SolveFailedSchema.parse(failed.event.data).error.message).toMatch(
      /gave up after 5 deliveries.*connection refused/,
    );
    expect(publisher.deadLetters).toHaveLength(1);
    expect(publisher.deadLetters[0].headers[DLQ_HEADERS.deliveries]).toBe('5');
  });

  test('the cancellations KV being unreachable naks the job instead of solving blindly', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { worker, cancellations } = setup(engine);
    jest.spyOn(cancellations, 'isCancelled').mockRejectedValueOnce(new Error('TimeoutError'));
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 62 })));
    expect(await worker.handleJob(msg)).toBe('requeued');
    expect(engine.calls).toHaveLength(0);
  });
});

describe('shutdown', () => {
  test('a running job that outlasts the grace period is released (nak), with no final event', async () => {
    const engine = new ScriptedEngine(
      (_i, opts) =>
        new Promise((_, reject) => opts.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const { publisher, worker, store } = setup(engine);
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 70 })));
    const outcome = worker.handleJob(msg);
    while (engine.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await worker.stop(100);
    expect(await outcome).toBe('released');
    expect(msg.disposition()).toBe('nak');
    expect(msg.naks).toEqual([undefined]); // at once, for another worker
    expect(publisher.events.map((e) => stageOf(e.subject))).toEqual(['started']);
    expect(store.count()).toBe(0);

    const late = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 71 })));
    expect(await worker.handleJob(late)).toBe('released');
    expect(late.disposition()).toBe('nak');
  });

  test('a running job that finishes within the grace period completes normally', async () => {
    const engine = new ScriptedEngine(async (instance, opts) => {
      await new Promise((r) => setTimeout(r, 150));
      return solveForReal(instance, opts);
    });
    const { worker, store } = setup(engine);
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 72 })));
    const outcome = worker.handleJob(msg);
    while (engine.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await worker.stop(10_000);
    expect(await outcome).toBe('completed');
    expect(msg.disposition()).toBe('ack');
    expect(store.count()).toBe(1);
  });
});

describe('result chunks (RPC.solver.result)', () => {
  test('200 with a stored chunk as it is: the head carries the summary and its count', async () => {
    const { worker, store } = setup(realEngine);
    const chunks = toChunks(makeResultDocument(12), SMALL_CHUNK_BYTES);
    await store.save(makeMeta('schedule.80'), chunks);
    const head = await worker.resultChunk({ body: { job_id: 'schedule.80' } });
    expect(head).toEqual({ status: 200, body: { job_id: 'schedule.80', chunk: chunks[0] } });
    const second = await worker.resultChunk({ body: { job_id: 'schedule.80', index: 1 } });
    expect(second).toEqual({ status: 200, body: { job_id: 'schedule.80', chunk: chunks[1] } });
  });

  test('unknown job → 404 Result not found; a chunk past the count → 404 Result chunk not found', async () => {
    const { worker, store } = setup(realEngine);
    expect(await worker.resultChunk({ body: { job_id: 'schedule.404' } })).toEqual({
      status: 404,
      body: { detail: 'Result not found' },
    });
    await store.save(makeMeta('schedule.81'), toChunks(makeResultDocument(2)));
    expect(await worker.resultChunk({ body: { job_id: 'schedule.81', index: 1 } })).toEqual({
      status: 404,
      body: { detail: 'Result chunk not found' },
    });
  });

  test('a bad body → 422 with FastAPI details naming the field', async () => {
    const { worker } = setup(realEngine);
    const noId = await worker.resultChunk({ body: { index: 0 } });
    expect(noId.status).toBe(422);
    expect((noId.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'job_id']);
    const negative = await worker.resultChunk({ body: { job_id: 'x', index: -1 } });
    expect(negative.status).toBe(422);
    expect((negative.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'index']);
    const fractional = await worker.resultChunk({ body: { job_id: 'x', index: 1.5 } });
    expect(fractional.status).toBe(422);
  });
});

describe('deliveries exhausted (every worker that took the job died)', () => {
  test('failed with a clear message + dead letter + removed, without solving', async () => {
    const engine = new ScriptedEngine(solveForReal);
    const { publisher, worker } = setup(engine);
    const msg = new FakeJobMessage(jobEventBytes(solveJob({ scheduleId: 40 }), 'corr-dead'), {
      deliveryCount: 5,
      seq: 12,
    });
    expect(await worker.handleExhausted(msg)).toBe('dead_lettered');
    expect(msg.disposition()).toBe('term');
    expect(engine.calls).toHaveLength(0);
    expect(publisher.events).toHaveLength(1);
    const { subject, event } = publisher.events[0];
    expect(subject).toBe('fillsched.events.schedule.40.failed');
    expect(event.correlationid).toBe('corr-dead');
    const data = SolveFailedSchema.parse(event.data);
    expect(data.error.message).toMatch(/gave up after 5 deliveries: every worker that took the job stopped/);
    expect(publisher.deadLetters).toHaveLength(1);
    expect(publisher.deadLetters[0].headers[DLQ_HEADERS.jobId]).toBe('schedule.40');
    // Same id as the last delivery's own dead letter would have had: one copy either way.
    expect(publisher.deadLetters[0].msgId).toBe('dlq:12:5');
  });

  test('an unreadable exhausted job is dead-lettered as poison', async () => {
    const { publisher, worker } = setup(realEngine);
    const msg = new FakeJobMessage(new TextEncoder().encode('nope'), { deliveryCount: 5 });
    expect(await worker.handleExhausted(msg)).toBe('poison');
    expect(publisher.deadLetters).toHaveLength(1);
  });
});
