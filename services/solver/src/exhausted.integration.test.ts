// Issue 12 item 4 against a real nats-server: a job taken five times by workers that all died
// (never acked) is announced as `failed`, copied to the dead-letter stream and removed from the
// work queue by a live worker, without being solved.
import {
  DEAD_LETTER_STREAM,
  EVENT_TYPES,
  JOBS_STREAM,
  JOBS_SUBJECT,
  SOLVER_CONSUMER,
  SolveFailedSchema,
  makeEvent,
} from '@fillsched/contracts';
import { connectNats, createLogger, publishEvent, type NatsHandle } from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { createSolverWorker, DLQ_HEADERS } from './app';
import { MemoryResultStore } from './adapters/memory';
import { JetStreamPublisher, KvCancellations } from './adapters/nats';
import { listenForExhaustedJobs } from './exhausted';
import type { Engine } from './ports';
import { provisionSolver } from './provision';
import { solveJob } from './test-support';

jest.setTimeout(60_000);

const logger = createLogger('solver-exhausted-it', 'silent');
let nats: TestNats;
let handle: NatsHandle;
let advisories: Subscription;
let events: Subscription;
const failed: Array<{ subject: string; data: unknown }> = [];

const neverSolves: Engine = {
  normalize: () => {
    throw new Error('an exhausted job must not be solved');
  },
  solve: () => Promise.reject(new Error('an exhausted job must not be solved')),
};

beforeAll(async () => {
  nats = await startNatsForTests();
  handle = await connectNats({ servers: nats.url, name: 'exhausted-it', logger });
  const kv = await provisionSolver(handle.nc, { logger, ackWaitS: 1 });
  const js = jetstream(handle.nc);
  const worker = createSolverWorker(
    {
      store: new MemoryResultStore(),
      publisher: new JetStreamPublisher(js),
      cancellations: new KvCancellations(kv),
      engine: neverSolves,
      logger,
    },
    { instance: 'survivor' },
  );
  advisories = listenForExhaustedJobs({
    nc: handle.nc,
    jsm: await jetstreamManager(handle.nc),
    worker,
    logger,
    queue: 'solver',
  });
  events = handle.nc.subscribe('fillsched.events.>', {
    callback: (_e, m: Msg) => {
      if (m.subject.endsWith('.failed')) failed.push({ subject: m.subject, data: m.json() });
    },
  });
});

afterAll(async () => {
  advisories?.unsubscribe();
  events?.unsubscribe();
  await handle?.close();
  await nats?.stop();
});

test('five deliveries to workers that died → failed with a clear message, dead letter, queue empty', async () => {
  const js = jetstream(handle.nc);
  const jsm = await jetstreamManager(handle.nc);
  const job = solveJob({ scheduleId: 77 });
  await publishEvent(
    js,
    JOBS_SUBJECT,
    makeEvent({
      type: EVENT_TYPES.solveRequested,
      source: 'test',
      id: `solve.requested:${job.job_id}`,
      data: job,
    }),
  );
  // Five workers take the job in turn and die holding it (no ack, no nak): ack_wait (1 s) runs out each time.
  const consumer = await js.consumers.get(JOBS_STREAM, SOLVER_CONSUMER);
  for (let delivery = 1; delivery <= 5; delivery++) {
    const m = await consumer.next({ expires: 5000 });
    expect(m?.info.deliveryCount).toBe(delivery);
  }
  // Live workers keep pulling (a pull consumer's redeliveries, and so the server's max-deliveries
  // check, happen while a pull waits); none gets the job again.
  const deadline = Date.now() + 15_000;
  while (failed.length === 0 && Date.now() < deadline) {
    const again = await consumer.next({ expires: 1000 });
    expect(again).toBeNull();
  }
  expect(failed).toHaveLength(1);
  expect(failed[0].subject).toBe('fillsched.events.schedule.77.failed');
  const data = SolveFailedSchema.parse((failed[0].data as { data: unknown }).data);
  expect(data.error.message).toMatch(/gave up after 5 deliveries: every worker that took the job stopped/);

  // `failed` is published before the dead-letter copy: wait for the copy too.
  let dlq = null;
  while (!dlq && Date.now() < deadline)
    dlq = await jsm.streams
      .getMessage(DEAD_LETTER_STREAM, { last_by_subj: 'fillsched.dlq.solve' })
      .catch(() => null);
  expect(dlq?.header?.get(DLQ_HEADERS.jobId)).toBe('schedule.77');
  for (;;) {
    const info = await jsm.streams.info(JOBS_STREAM);
    if (info.state.messages === 0) break;
    if (Date.now() > deadline) throw new Error('the exhausted job is still in the work queue');
    await new Promise((r) => setTimeout(r, 50));
  }
});
