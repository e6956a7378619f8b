// The BUILT worker as real processes: SIGKILL while it holds a job → another worker completes it
// exactly once; SIGTERM while it holds a job → it releases the job, exits 0, and nothing is lost.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import {
  EVENTS_STREAM,
  EVENT_TYPES,
  JOBS_STREAM,
  JOBS_SUBJECT,
  lifecycleSubject,
  makeEvent,
} from '@fillsched/contracts';
import { publishEvent } from '@fillsched/service-kit';
import {
  startMongoForTests,
  startNatsForTests,
  type TestMongo,
  type TestNats,
} from '@fillsched/service-kit/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import mongoose from 'mongoose';
import { RESULTS_COLLECTION } from './adapters/mongoose';
import { lotsFixture, solveJob } from './test-support';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'services', 'solver', 'dist', 'main.js');

let nats: TestNats;
let mongo: TestMongo;
let nc: NatsConnection;
const events: Array<{ subject: string; data: any }> = [];
const procs: ChildProcess[] = [];
const opsPorts = new Map<ChildProcess, number>();

/** Starts `node dist/main.js`; resolves once it logs that it is consuming. */
function startWorker(name: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NATS_URL: nats.url,
      MONGO_URL: mongo.url,
      OPS_PORT: '0',
      SERVICE_INSTANCE: name,
      SOLVER_ACK_WAIT_S: '5', // redelivery after 5 s instead of 30 s
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready: ${stderr.slice(-2000)}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code}): ${stderr.slice(-2000)}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"ops server listening"')) opsPorts.set(child, JSON.parse(line).port);
      if (line.includes('"solver worker ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

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
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A job that keeps the engine busy for ~6 s (milp-opt uses its whole budget on 40 lots, 3 lines). */
async function submitSlowJob(scheduleId: number): Promise<void> {
  const job = solveJob({ scheduleId, strategy: 'milp-opt', time_limit_s: 6 });
  job.input.lots_data = lotsFixture(40);
  job.input.config = { line_count: 3 };
  const event = makeEvent({
    type: EVENT_TYPES.solveRequested,
    source: '/fillsched/schedule',
    id: `${job.job_id}:requested`,
    data: job,
  });
  await publishEvent(jetstream(nc), JOBS_SUBJECT, event);
}

const stage = (id: number, s: string) =>
  events.filter((e) => e.subject === `fillsched.events.schedule.${id}.${s}`);

async function storedResults(jobId: string): Promise<number> {
  const conn = await mongoose
    .createConnection(mongo.url, {
      dbName: 'fillsched_solver',
      directConnection: true,
      serverMonitoringMode: 'poll',
    })
    .asPromise();
  try {
    return await conn.collection(RESULTS_COLLECTION).countDocuments({ job_id: jobId });
  } finally {
    await conn.close();
  }
}

async function completedInStream(id: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const subject = lifecycleSubject('schedule', id, 'completed');
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

beforeAll(async () => {
  // Test what ships: bring dist up to date (a no-op when it already is).
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'services/solver'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `building services/solver failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`,
    );
  }
  [nats, mongo] = await Promise.all([startNatsForTests(), startMongoForTests()]);
  nc = await connect({ servers: nats.url });
  nc.subscribe('fillsched.events.>', {
    callback: (_err, m) => events.push({ subject: m.subject, data: m.json() }),
  });
  await nc.flush();
});

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(procs.map(exited));
  await nc?.close();
  await Promise.all([nats?.stop(), mongo?.stop()]);
});

test('SIGKILL while holding a job: another worker completes it exactly once', async () => {
  const first = await startWorker('crash-1');
  await submitSlowJob(201);
  await waitFor(() => stage(201, 'started').length > 0, 20_000, 'started');
  await new Promise((r) => setTimeout(r, 1000)); // well into the solve
  first.kill('SIGKILL');
  expect((await exited(first)).signal).toBe('SIGKILL');
  expect(stage(201, 'completed')).toHaveLength(0);

  const second = await startWorker('crash-2');
  const [done] = await waitFor(
    () => stage(201, 'completed').length > 0 && stage(201, 'completed'),
    60_000,
    'completed after redelivery',
  );
  expect(done.data.data.worker).toBe('crash-2');
  expect(done.data.data.summary.lots_scheduled).toBe(40);
  expect(stage(201, 'started').map((e) => e.data.data.attempt)).toEqual([1, 2]);
  expect(stage(201, 'failed')).toHaveLength(0);

  expect(await storedResults('schedule.201')).toBe(1);
  expect(await completedInStream(201)).toBe(1);
  const jsm = await jetstreamManager(nc);
  expect((await jsm.streams.info(JOBS_STREAM)).state.messages).toBe(0);

  // an idle worker shuts down cleanly
  second.kill('SIGTERM');
  expect(await exited(second)).toEqual({ code: 0, signal: null });
});

test('SIGTERM while holding a job: the job is released at once, the worker exits 0, another finishes it', async () => {
  const worker = await startWorker('term-1', { SHUTDOWN_TIMEOUT_MS: '1000' });
  await submitSlowJob(202);
  await waitFor(() => stage(202, 'started').some((e) => e.data.data.worker === 'term-1'), 20_000, 'started');
  const t0 = Date.now();
  worker.kill('SIGTERM');
  expect(await exited(worker)).toEqual({ code: 0, signal: null });
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(stage(202, 'completed')).toHaveLength(0);
  expect(stage(202, 'failed')).toHaveLength(0);

  const t1 = Date.now();
  const next = await startWorker('term-2');
  const [done] = await waitFor(
    () => stage(202, 'completed').length > 0 && stage(202, 'completed'),
    60_000,
    'completed by the next worker',
  );
  expect(done.data.data.worker).toBe('term-2');
  // nak'ed, not abandoned: picked up without waiting for ack_wait, so done in about one solve
  expect(Date.now() - t1).toBeLessThan(20_000);
  expect(await storedResults('schedule.202')).toBe(1);
  expect(await completedInStream(202)).toBe(1);

  // the ops server of the worker that finished it
  const ops = `http://127.0.0.1:${opsPorts.get(next)}`;
  const ready = await fetch(`${ops}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ checks: { nats: true, mongo: true, consuming: true } });
  const metrics = await (await fetch(`${ops}/metrics`)).text();
  expect(metrics).toMatch(/^jobs_in_flight 0$/m);
  expect(metrics).toMatch(/^solver_jobs_processed_total\{outcome="completed"\} 1$/m);
  expect(metrics).toMatch(
    /^solver_solve_duration_seconds_count\{strategy="milp-opt",outcome="completed"\} 1$/m,
  );
});
