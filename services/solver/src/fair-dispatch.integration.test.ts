// The fair job consumer against a real nats-server: takes that never wait (no_wait pulls), the
// JetStream acknowledgements of a taken job, and idle slots woken by the owners' queued-job notice.
import {
  EVENT_TYPES,
  JOB_QUEUED_SUBJECT,
  JOBS_STREAM,
  makeEvent,
  userJobsSubject,
  userSolverConsumer,
  userSolverConsumerSpec,
  type SolveJob,
} from '@fillsched/contracts';
import { NatsJobPublisher } from '@fillsched/job-owner';
import { connectNats, createLogger, publishEvent, type NatsHandle } from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { SolverWorker } from './app';
import { createJobTaker, deliveryOf, ringOnQueuedJobs } from './adapters/take';
import type { JobConsumer } from './consumer';
import { Doorbell } from './doorbell';
import { startFairJobConsumer } from './fair-dispatch';
import type { JobMessage } from './ports';
import { provisionSolver } from './provision';
import { solveJob } from './test-support';

jest.setTimeout(60_000);

const logger = createLogger('fair-it', 'silent');
let nats: TestNats;
let handle: NatsHandle;
let jsm: JetStreamManager;

async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function requested(job: SolveJob) {
  return makeEvent({
    type: EVENT_TYPES.solveRequested,
    source: '/fillsched/schedule/it',
    id: `solve.requested:${job.job_id}`,
    data: job,
  });
}

/** Publishes a job on its user's subject as the owners do, without the queued-job notice. */
const enqueueQuietly = (job: SolveJob) =>
  publishEvent(jetstream(handle.nc), userJobsSubject(job.owner.user_id), requested(job));

async function userConsumer(user: number) {
  const { stream, ...config } = userSolverConsumerSpec(user);
  await jsm.consumers.add(stream, config as unknown as Parameters<JetStreamManager['consumers']['add']>[1]);
}

const inQueue = async (user: number) => {
  const info = await jsm.streams.info(JOBS_STREAM, { subjects_filter: userJobsSubject(user) });
  return info.state.subjects?.[userJobsSubject(user)] ?? 0;
};

beforeAll(async () => {
  nats = await startNatsForTests();
  handle = await connectNats({ servers: nats.url, name: 'fair-it', logger });
  await provisionSolver(handle.nc, { logger });
  jsm = await jetstreamManager(handle.nc);
});

afterAll(async () => {
  await handle?.drain();
  await nats?.stop();
});

describe('createJobTaker (a pull that answers at once)', () => {
  it('answers null from an empty consumer instead of waiting for a job', async () => {
    await userConsumer(501);
    // A minute-long request timeout: only a no_wait pull answers this test in time.
    const take = createJobTaker(handle.nc, logger, { timeoutMs: 60_000 });
    await expect(take(JOBS_STREAM, userSolverConsumer(501))).resolves.toBeNull();
  });

  it('hands over a queued job with its delivery info; ack removes it from the work queue', async () => {
    await userConsumer(502);
    const job = solveJob({ scheduleId: 5021, owner: { kind: 'schedule', id: 5021, user_id: 502 } });
    await enqueueQuietly(job);
    const take = createJobTaker(handle.nc, logger);
    const msg = (await take(JOBS_STREAM, userSolverConsumer(502))) as JobMessage;
    expect(msg).not.toBeNull();
    expect(msg.subject).toBe(userJobsSubject(502));
    expect(msg.info.deliveryCount).toBe(1);
    expect(msg.info.streamSequence).toBeGreaterThan(0);
    expect(JSON.parse(new TextDecoder().decode(msg.data)).data.job_id).toBe('schedule.5021');
    msg.working();
    await msg.ack();
    expect(await inQueue(502)).toBe(0);
    await expect(take(JOBS_STREAM, userSolverConsumer(502))).resolves.toBeNull();
  });

  it('nak hands the job back (delivered again, count 2); term ends it without redelivery', async () => {
    await userConsumer(503);
    await enqueueQuietly(solveJob({ scheduleId: 5031, owner: { kind: 'schedule', id: 5031, user_id: 503 } }));
    const take = createJobTaker(handle.nc, logger);
    const first = (await take(JOBS_STREAM, userSolverConsumer(503)))!;
    first.nak();
    const again = await waitFor(() => take(JOBS_STREAM, userSolverConsumer(503)));
    expect(again.info.deliveryCount).toBe(2);
    again.term();
    await waitFor(
      async () => (await jsm.consumers.info(JOBS_STREAM, userSolverConsumer(503))).num_ack_pending === 0,
    );
    await expect(take(JOBS_STREAM, userSolverConsumer(503))).resolves.toBeNull();
  });

  it('a missing consumer is an error (no answer), not an empty queue', async () => {
    const take = createJobTaker(handle.nc, logger, { timeoutMs: 500 });
    // nats-server 2.9 leaves the request unanswered (timeout); current releases answer "no responders"
    await expect(take(JOBS_STREAM, 'solver-u99999')).rejects.toThrow(/timeout|no responders/i);
  });

  it('reads delivery counts from both forms of the ack subject', () => {
    expect(deliveryOf('$JS.ACK.S.C.3.17.9.1700000000000000000.0')).toEqual({
      deliveryCount: 3,
      streamSequence: 17,
    });
    expect(deliveryOf('$JS.ACK.dom.hash.S.C.2.40.11.1700000000000000000.1.tok')).toEqual({
      deliveryCount: 2,
      streamSequence: 40,
    });
    expect(() => deliveryOf('_INBOX.x.y')).toThrow(/not a JetStream delivery/);
  });
});

describe('startFairJobConsumer woken by the queued-job notice', () => {
  let consumer: JobConsumer | undefined;
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });

  it('an idle slot sleeps through a job queued without notice and takes it when the doorbell rings', async () => {
    const handled: string[] = [];
    const worker = {
      handleJob: async (msg: JobMessage) => {
        handled.push(JSON.parse(new TextDecoder().decode(msg.data)).data.job_id);
        await msg.ack();
        return 'completed' as const;
      },
    } as unknown as SolverWorker;
    const doorbell = new Doorbell();
    consumer = await startFairJobConsumer({
      jsm,
      take: createJobTaker(handle.nc, logger),
      doorbell,
      worker,
      concurrency: 1,
      logger,
      idleWaitMs: 60_000, // only a ring wakes it within the test
    });
    await waitFor(() => doorbell.waiting() === 1);
    await enqueueQuietly(solveJob({ scheduleId: 5041, owner: { kind: 'schedule', id: 5041, user_id: 504 } }));
    await handle.nc.flush();
    expect(doorbell.waiting()).toBe(1);
    expect(await inQueue(504)).toBe(1);
    expect(handled).toEqual([]);
    doorbell.ring();
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual(['schedule.5041']);
    expect(await inQueue(504)).toBe(0);
  });

  it("the owners' publisher sends the notice: a job queued through it is taken at once", async () => {
    const handled: string[] = [];
    const worker = {
      handleJob: async (msg: JobMessage) => {
        handled.push(JSON.parse(new TextDecoder().decode(msg.data)).data.job_id);
        await msg.ack();
        return 'completed' as const;
      },
    } as unknown as SolverWorker;
    const doorbell = new Doorbell();
    const listening = ringOnQueuedJobs(handle.nc, doorbell);
    const notices: string[] = [];
    const spy = handle.nc.subscribe(JOB_QUEUED_SUBJECT, { callback: (_e, m) => notices.push(m.string()) });
    await handle.nc.flush();
    try {
      consumer = await startFairJobConsumer({
        jsm,
        take: createJobTaker(handle.nc, logger),
        doorbell,
        worker,
        concurrency: 2,
        logger,
        idleWaitMs: 60_000,
      });
      await waitFor(() => doorbell.waiting() === 2);
      const publisher = new NatsJobPublisher(jetstream(handle.nc), { notify: handle.nc });
      for (const [id, user] of [
        [5051, 505],
        [5061, 506],
        [5052, 505],
      ])
        await publisher.publishJob(
          requested(solveJob({ scheduleId: id, owner: { kind: 'schedule', id, user_id: user } })),
        );
      await waitFor(() => handled.length === 3);
      expect(new Set(handled)).toEqual(new Set(['schedule.5051', 'schedule.5061', 'schedule.5052']));
      expect(notices.map((n) => JSON.parse(n))).toContainEqual({ job_id: 'schedule.5061', user_id: 506 });
      // a duplicate publish (an owner's retry) stores nothing new and rings nobody
      const before = notices.length;
      await publisher.publishJob(
        requested(solveJob({ scheduleId: 5061, owner: { kind: 'schedule', id: 5061, user_id: 506 } })),
      );
      await handle.nc.flush();
      expect(notices.length).toBe(before);
    } finally {
      spy.unsubscribe();
      listening.unsubscribe();
    }
  });
});
