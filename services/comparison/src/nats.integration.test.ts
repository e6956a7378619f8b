import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import {
  CANCEL_SUBJECT,
  CANCELLATIONS_BUCKET,
  EVENT_TYPES,
  JOBS_STREAM,
  tooManyJobs,
  userJobsSubject,
  MESSAGES,
  RPC,
  comparisonFinishedSubject,
  type CloudEvent,
  type SolveJob,
} from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  createServiceClient,
  MemoryIdAllocator,
  publishEvent,
  serveRequests,
  type NatsHandle,
  type Responder,
  type RpcUser,
  type ServiceClient,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { MemoryComparisonRepository } from './adapters/memory';
import { startComparisonService, type ComparisonService } from './service';
import { lifecycleEvent } from './testing-fakes';

jest.setTimeout(30_000);

const logger = createLogger('comparison-it', 'silent');
const alice: RpcUser = { id: 1, email: 'a@example.com', is_superuser: false };

let server: TestNats;
let serviceConn: NatsHandle;
let clientConn: NatsHandle;
let service: ComparisonService;
let client: ServiceClient;
let fakeConfig: Responder | undefined;

const body = (over: Record<string, unknown> = {}) => ({
  name: 'cmp',
  lots_data: [
    { lot_id: 'L1', type: 'A', vials: 20000 },
    { lot_id: 'L2', type: 'B', vials: 10000 },
  ],
  strategies: ['smart-pack', 'lpt-pack', 'spt-pack'],
  config: { line_count: 2 },
  ...over,
});

/** A stand-in config service answering resolve like the real one: template {clean_hours: 6} under request keys. */
function startFakeConfig(): Responder {
  return serveRequests(clientConn, logger, {
    subject: RPC.config.resolve,
    queue: 'config',
    handler: async (req) => {
      const b = req.body as { config_id?: number | null; config?: Record<string, unknown> | null };
      if (b.config_id === 404) return { status: 404, body: { detail: MESSAGES.configNotFound } };
      return { status: 200, body: { config: { clean_hours: 6, ...(b.config ?? {}) }, template_id: 5 } };
    },
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = await startNatsForTests();
  serviceConn = await connectNats({ servers: server.url, name: 'comparison-it', logger });
  clientConn = await connectNats({ servers: server.url, name: 'comparison-it-client', logger });
  service = await startComparisonService({
    handle: serviceConn,
    logger,
    comparisons: new MemoryComparisonRepository(),
    ids: new MemoryIdAllocator(),
    configTimeoutMs: 1000,
  });
  client = createServiceClient(clientConn, 'comparison', { timeoutMs: 5000 });
});

afterAll(async () => {
  client?.close();
  await fakeConfig?.stop();
  await service?.stop();
  await clientConn?.close();
  await serviceConn?.close();
  await server?.stop();
});

it('create → one job per strategy in FILLSCHED_JOBS; lifecycle events → completed + comparison.finished', async () => {
  fakeConfig = startFakeConfig();
  const created = await client.request(RPC.comparison.create, { user: alice, body: body() });
  expect(created.status).toBe(202);
  const id = (created.body as { id: number }).id;
  expect(created.body).toMatchObject({ status: 'pending', started_at: null, completed_at: null });

  // The jobs, with deterministic ids, the owner and the resolved config.
  const jsm = await jetstreamManager(clientConn.nc);
  const info = await jsm.streams.info(JOBS_STREAM);
  expect(info.state.messages).toBe(3);
  const jobs: CloudEvent<SolveJob>[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(JOBS_STREAM, { seq });
    expect(m!.subject).toBe(userJobsSubject(alice.id)); // its user's subject: fair scheduling
    expect(m!.header.get('Nats-Msg-Id')).toBe(
      `solve.requested:comparison.${id}.${body().strategies[jobs.length]}`,
    );
    jobs.push(m!.json<CloudEvent<SolveJob>>());
  }
  expect(jobs.map((j) => j.data.job_id)).toEqual([
    `comparison.${id}.smart-pack`,
    `comparison.${id}.lpt-pack`,
    `comparison.${id}.spt-pack`,
  ]);
  for (const j of jobs) {
    expect(j.type).toBe(EVENT_TYPES.solveRequested);
    expect(j.data.owner).toEqual({ kind: 'comparison', id, user_id: alice.id });
    expect(j.data.input.config).toEqual({ clean_hours: 6, line_count: 2 });
  }

  // Watch for the aggregate event, then play the solver pool: out of order, with a duplicate and a failure.
  const finished: CloudEvent[] = [];
  const sub = clientConn.nc.subscribe(comparisonFinishedSubject(id), {
    callback: (_err, msg) => {
      finished.push(msg.json<CloudEvent>());
    },
  });
  const js = jetstream(clientConn.nc);
  const emit = async (e: ReturnType<typeof lifecycleEvent>) => publishEvent(js, e.subject, e.event);
  await emit(lifecycleEvent('started', id, 'lpt-pack'));
  await emit(lifecycleEvent('completed', id, 'lpt-pack', { summary: { makespan: 50 } }));
  await emit(lifecycleEvent('completed', id, 'smart-pack', { summary: { makespan: 40 } }));
  await emit(lifecycleEvent('started', id, 'smart-pack'));

  const running = await waitFor(async () => {
    const r = await client.request(RPC.comparison.get, { user: alice, params: { id: String(id) } });
    const b = r.body as { status: string; results: { status: string }[] };
    return b.results[0].status === 'completed' && b.results[1].status === 'completed' ? b : undefined;
  }, 'two completed strategies');
  expect(running.status).toBe('running');

  await emit(lifecycleEvent('failed', id, 'spt-pack', { error: 'out of memory' }));
  const done = await waitFor(async () => {
    const r = await client.request(RPC.comparison.get, { user: alice, params: { id: String(id) } });
    const b = r.body as { status: string };
    return b.status === 'completed' ? r.body : undefined;
  }, 'completion');
  expect(done).toMatchObject({
    best_strategy: 'smart-pack',
    results: [
      { strategy: 'smart-pack', status: 'completed', makespan: 40 },
      { strategy: 'lpt-pack', status: 'completed', makespan: 50 },
      { strategy: 'spt-pack', status: 'failed', error_message: 'out of memory' },
    ],
  });

  await waitFor(async () => (finished.length > 0 ? true : undefined), 'comparison.finished');
  expect(finished[0]).toMatchObject({
    id: `comparison.finished:${id}`,
    type: EVENT_TYPES.comparisonFinished,
    data: { comparison_id: id, status: 'completed', best_strategy: 'smart-pack' },
  });
  // Our own finished event comes back through the consumer's filter and is ignored without a loop.
  await new Promise((r) => setTimeout(r, 300));
  expect(finished).toHaveLength(1);
  sub.unsubscribe();

  const listed = await client.request(RPC.comparison.list, {
    user: alice,
    query: { page: '1', page_size: '10' },
  });
  expect(listed.body).toMatchObject({ total: 1, page: 1, page_size: 10 });
});

it('delete of a running comparison puts every unfinished job into the cancellations KV and broadcasts', async () => {
  const created = await client.request(RPC.comparison.create, {
    user: alice,
    body: body({ strategies: ['smart-pack', 'cfs-pack'] }),
  });
  const id = (created.body as { id: number }).id;
  const js = jetstream(clientConn.nc);
  const done = lifecycleEvent('completed', id, 'smart-pack');
  await publishEvent(js, done.subject, done.event);
  await waitFor(async () => {
    const r = await client.request(RPC.comparison.get, { user: alice, params: { id: String(id) } });
    return (r.body as { results: { status: string }[] }).results[0].status === 'completed' ? true : undefined;
  }, 'smart-pack completed');

  const broadcasts: string[] = [];
  const sub = clientConn.nc.subscribe(CANCEL_SUBJECT, {
    callback: (_err, msg) => {
      broadcasts.push(msg.json<{ job_id: string }>().job_id);
    },
  });
  await clientConn.nc.flush();
  const del = await client.request(RPC.comparison.delete, { user: alice, params: { id: String(id) } });
  expect(del).toEqual({ status: 200, body: { message: 'Comparison deleted successfully' } });
  await clientConn.nc.flush();
  await waitFor(async () => (broadcasts.length > 0 ? true : undefined), 'cancel broadcast');
  expect(broadcasts).toEqual([`comparison.${id}.cfs-pack`]);
  sub.unsubscribe();

  const kv = await new Kvm(clientConn.nc).open(CANCELLATIONS_BUCKET);
  expect(await kv.get(`comparison.${id}.cfs-pack`)).not.toBeNull();
  expect(await kv.get(`comparison.${id}.smart-pack`)).toBeNull();
  expect((await client.request(RPC.comparison.get, { user: alice, params: { id: String(id) } })).status).toBe(
    404,
  );
});

it('config service down: the request config alone without config_id, 503 with it; 404 passes through', async () => {
  await fakeConfig?.stop();
  fakeConfig = undefined;
  const ok = await client.request(RPC.comparison.create, { user: alice, body: body() });
  expect(ok.status).toBe(202);
  const down = await client.request(RPC.comparison.create, { user: alice, body: body({ config_id: 3 }) });
  expect(down).toEqual({ status: 503, body: { detail: MESSAGES.serviceUnavailable('config') } });

  fakeConfig = startFakeConfig();
  await clientConn.nc.flush();
  const missing = await client.request(RPC.comparison.create, {
    user: alice,
    body: body({ config_id: 404 }),
  });
  expect(missing).toEqual({ status: 404, body: { detail: MESSAGES.configNotFound } });
});

it('invalid input → 422 over NATS with the guide message for a bad strategy', async () => {
  const r = await client.request(RPC.comparison.create, {
    user: alice,
    body: body({ strategies: ['smart-pack', 'quantum'] }),
  });
  expect(r.status).toBe(422);
  expect((r.body as { detail: { loc: unknown[]; msg: string }[] }).detail[0]).toMatchObject({
    loc: ['body', 'strategies', 1],
    msg: expect.stringMatching(/^Invalid strategy: must be one of \[smart-pack, /),
  });
});

it('a restarted non-durable store reusing comparison ids: the stream drops the jobs and create says so', async () => {
  // A second replica with its own fresh in-memory store hands out id 1 again.
  const fresh = await startComparisonService({
    handle: serviceConn,
    logger,
    comparisons: new MemoryComparisonRepository(),
    ids: new MemoryIdAllocator(),
    configTimeoutMs: 1000,
  });
  try {
    // Alice's earlier jobs were taken by solvers (nobody consumes here): under her job limit again.
    const jsm = await jetstreamManager(clientConn.nc);
    await jsm.streams.purge(JOBS_STREAM, { filter: userJobsSubject(alice.id) });
    const r = await fresh.app.handlers.create({ user: alice, body: body() });
    expect(r).toEqual({ status: 503, body: { detail: 'Could not enqueue the comparison jobs' } });
    const out = await fresh.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(out.body).toMatchObject({ status: 'failed', best_strategy: null });
    for (const e of (out.body as { results: { error_message: string }[] }).results)
      expect(e.error_message).toMatch(/already used/);
  } finally {
    await fresh.stop();
  }
});

it('comparison jobs count toward the per-user job limit, with schedules (issue 12 item 3)', async () => {
  // A user of their own: nothing consumes the jobs here, so they stay queued in FILLSCHED_JOBS.
  const mallory: RpcUser = { id: 4242, email: 'm@example.com', is_superuser: false };
  fakeConfig ??= startFakeConfig();
  const six = ['smart-pack', 'lpt-pack', 'spt-pack', 'cfs-pack', 'hybrid-pack', 'milp-opt'];
  const statuses: number[] = [];
  let refusal: unknown;
  for (let i = 0; i < 15; i++) {
    const r = await client.request(RPC.comparison.create, { user: mallory, body: body({ strategies: six }) });
    statuses.push(r.status);
    if (r.status === 429) refusal ??= r.body;
  }
  const jsm = await jetstreamManager(clientConn.nc);
  const subject = userJobsSubject(mallory.id);
  const queued = (await jsm.streams.info(JOBS_STREAM, { subjects_filter: subject })).state.subjects?.[
    subject
  ];
  process.stdout.write(
    `comparison quota: 15 comparisons of 6 strategies → accepted ${statuses.filter((s) => s === 202).length}, ` +
      `jobs queued ${queued}\n`,
  );
  // Before: 15 accepted = 90 jobs. Now: the first (6 jobs); the second would make 12 > 10.
  expect(statuses).toEqual([202, ...Array(14).fill(429)]);
  expect(queued).toBe(6);
  expect(refusal).toEqual({ detail: tooManyJobs(6, 6) });
  // Four more jobs fit: a 4-strategy comparison is accepted, then nothing more.
  const four = await client.request(RPC.comparison.create, {
    user: mallory,
    body: body({ strategies: six.slice(0, 4) }),
  });
  expect(four.status).toBe(202);
  const two = await client.request(RPC.comparison.create, {
    user: mallory,
    body: body({ strategies: ['smart-pack', 'lpt-pack'] }),
  });
  expect(two).toEqual({ status: 429, body: { detail: tooManyJobs(10, 2) } });
});
