// scripts/dead-letters.js (the operators' command of docs/operations.md) against a real
// nats-server: dead letters written by the solver's own publisher are listed, shown and replayed
// onto the work queue, once per dead letter, and removed with --delete.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEAD_LETTER_STREAM, JOBS_STREAM } from '@fillsched/contracts';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamPublisher } from '../../services/solver/src/adapters/nats';
import { DLQ_HEADERS } from '../../services/solver/src/app';
import { provisionSolver } from '../../services/solver/src/provision';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'dead-letters.js');

// Each CLI call is a node process connecting to NATS: seconds on a loaded machine.
jest.setTimeout(60_000);

let nats: TestNats;
let nc: NatsConnection;

function cli(...args: string[]) {
  const res = spawnSync(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: nats.url },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = res.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { status: res.status, lines, stderr: res.stderr };
}

beforeAll(async () => {
  // The script loads the built contracts (npm test builds first; a lone jest run may not have).
  if (!fs.existsSync(path.join(ROOT, 'packages', 'contracts', 'dist', 'index.js'))) {
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-b', 'packages/contracts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    if (tsc.status !== 0) throw new Error(`building packages/contracts failed: ${tsc.stdout}${tsc.stderr}`);
  }
  nats = await startNatsForTests();
  nc = await connect({ servers: nats.url });
  await provisionSolver(nc);
  const publisher = new JetStreamPublisher(jetstream(nc));
  const job = (id: number) =>
    new TextEncoder().encode(JSON.stringify({ job_id: `schedule.${id}`, note: 'solve job payload' }));
  await publisher.deadLetter({
    data: job(1),
    msgId: 'dlq:1:5',
    headers: {
      [DLQ_HEADERS.reason]: 'store unavailable on the last delivery',
      [DLQ_HEADERS.subject]: 'fillsched.jobs.solve',
      [DLQ_HEADERS.deliveries]: '5',
      [DLQ_HEADERS.jobId]: 'schedule.1',
      'Fillsched-Correlation-Id': 'corr-1',
    },
  });
  await publisher.deadLetter({
    data: new TextEncoder().encode('not json at all'),
    msgId: 'dlq:2:1',
    headers: { [DLQ_HEADERS.reason]: 'poison: unparseable', [DLQ_HEADERS.deliveries]: '1' },
  });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

it('lists and shows the dead letters with their reasons', () => {
  const list = cli('list');
  expect(list.status).toBe(0);
  expect(list.lines).toEqual([
    expect.objectContaining({
      seq: 1,
      job_id: 'schedule.1',
      deliveries: 5,
      reason: 'store unavailable on the last delivery',
    }),
    expect.objectContaining({
      seq: 2,
      job_id: null,
      reason: 'poison: unparseable',
      original_subject: 'fillsched.jobs.solve',
    }),
  ]);
  const show = cli('show', '1');
  expect(show.status).toBe(0);
  expect(show.lines[0]).toMatchObject({
    seq: 1,
    payload: { job_id: 'schedule.1' },
    headers: { 'Fillsched-Correlation-Id': 'corr-1' },
  });
  expect(cli('show', '99').status).toBe(1);
});

it('replays a dead letter onto the work queue once, keeping its headers, and --delete removes it', async () => {
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(JOBS_STREAM)).state.messages;
  const first = cli('replay', '1');
  expect(first.status).toBe(0);
  expect(first.lines[0]).toMatchObject({
    seq: 1,
    job_id: 'schedule.1',
    replayed: true,
    duplicate: false,
    deleted: false,
  });
  // The same replay again is dropped by the jobs stream's duplicate window (msgID replay:<seq>).
  const again = cli('replay', '1', '--delete');
  expect(again.lines[0]).toMatchObject({ replayed: true, duplicate: true, deleted: true });
  expect((await jsm.streams.info(JOBS_STREAM)).state.messages).toBe(before + 1);

  const queued = await jsm.streams.getMessage(JOBS_STREAM, { seq: first.lines[0].jobs_seq });
  expect(JSON.parse(new TextDecoder().decode(queued!.data))).toMatchObject({ job_id: 'schedule.1' });
  expect(queued!.header.get('Fillsched-Correlation-Id')).toBe('corr-1');
  expect(queued!.header.get('Fillsched-Replay-Of')).toBe('1');
  expect(queued!.header.has(DLQ_HEADERS.reason)).toBe(false);

  // Gone from the dead letters; a replay of a missing one fails loudly.
  expect(cli('list').lines.map((l) => l.seq)).toEqual([2]);
  expect((await jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(1);
  const missing = cli('replay', '1');
  expect(missing.status).toBe(1);
  expect(missing.lines[0]).toMatchObject({ replayed: false, error: 'no such dead letter' });
});

it('refuses a command it does not know', () => {
  expect(cli('purge').status).toBe(2);
  expect(cli('replay').status).toBe(2);
});
