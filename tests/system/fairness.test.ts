/**
 * Issue 12 item 3 (fairness in the solver pool), on a real nats-server with the solver as its own
 * process (2 slots): user 1 queues a backlog of 2-second jobs, then user 2 submits one small job.
 * Before: the shared FIFO consumer made user 2 wait for the whole backlog. Now a free slot serves
 * the user with the fewest jobs running, so user 2's job starts at the next free slot.
 * Prints the victim's start latency and how many of the backlog's jobs started before it.
 */
import path from 'node:path';
import { EVENTS_SUBJECTS, jobId as makeJobId } from '@fillsched/contracts';
import { NatsJobPublisher, solveRequestedEvent } from '@fillsched/job-owner';
import { connectNats, createLogger, decodeJson, jetstream, type NatsHandle } from '@fillsched/service-kit';
import {
  findRepoRoot,
  spawnServiceProcess,
  startNatsForTests,
  type ServiceProcess,
  type TestNats,
} from '@fillsched/service-kit/testing';

jest.setTimeout(180_000);

const BACKLOG = 12;
let nats: TestNats;
let solver: ServiceProcess;
let client: NatsHandle;
const started = new Map<string, number>(); // job id → ms since epoch of its `started` event
const order: string[] = [];

beforeAll(async () => {
  nats = await startNatsForTests();
  solver = spawnServiceProcess({
    main: path.join(findRepoRoot(__dirname), 'services', 'solver', 'src', 'main.ts'),
    env: { NATS_URL: nats.url, SOLVER_CONCURRENCY: '2', OPS_PORT: '0', LOG_LEVEL: 'info' },
    inheritEnv: false,
    waitTimeoutMs: 90_000,
  });
  await solver.waitFor('solver worker ready');
  client = await connectNats({
    servers: nats.url,
    name: 'fairness-test',
    logger: createLogger('t', 'silent'),
  });
  client.nc.subscribe(EVENTS_SUBJECTS, {
    callback: (_err, msg) => {
      if (!msg.subject.endsWith('.started')) return;
      const ev = decodeJson<{ data?: { job_id?: string } }>(msg.data);
      const job = ev?.data?.job_id;
      if (job && !started.has(job)) {
        started.set(job, Date.now());
        order.push(job);
      }
    },
  });
});

afterAll(async () => {
  await client?.close();
  await solver?.stop();
  await nats?.stop();
});

const lots = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    lot_id: `L${i}`,
    type: `T${i % 7}`,
    vials: 20000 + ((i * 7919) % 90000),
  }));

async function until(probe: () => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!probe()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("one user's backlog does not hold another user's small job", async () => {
  const publisher = new NatsJobPublisher(jetstream(client.nc));
  const job = (id: number, user: number, strategy: string, n: number, limit: number) =>
    solveRequestedEvent({
      source: '/fillsched/test',
      job_id: makeJobId('schedule', id),
      owner: { kind: 'schedule', id, user_id: user },
      strategy,
      input: { lots_data: lots(n), config: { line_count: 3 } },
      time_limit_s: limit,
      time: new Date(),
    });
  // User 1: a backlog of exact-solver jobs that each use their whole 2 s.
  for (let i = 1; i <= BACKLOG; i++) await publisher.publishJob(job(i, 1, 'milp-opt', 60, 2));
  await until(() => order.length >= 2); // both slots busy with user 1's work
  const t0 = Date.now();
  const victim = job(1000, 2, 'smart-pack', 5, 10);
  await publisher.publishJob(victim);
  await until(() => started.has(victim.data.job_id));
  const latencyS = (started.get(victim.data.job_id)! - t0) / 1000;
  const backlogBefore = order.indexOf(victim.data.job_id);
  process.stdout.write(
    `fairness: victim's job started ${latencyS.toFixed(2)} s after submission; ` +
      `${backlogBefore} of user 1's ${BACKLOG} jobs started before it (2 were running at submission)\n`,
  );
  // At most one more of user 1's jobs per slot may start before the victim's (a slot freeing
  // while the victim's job was being published).
  expect(backlogBefore).toBeLessThanOrEqual(4);
});
