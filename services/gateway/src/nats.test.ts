import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import WebSocket from 'ws';
import {
  KV_SPECS,
  PROGRESS_STREAM,
  RATE_LIMIT_BUCKET,
  REVOCATIONS_BUCKET,
  RPC,
  STREAM_SPECS,
  SCHEDULE_STATUS_EVENTS,
  lifecycleSubject,
  makeEvent,
  ownerStatusSubject,
  progressSubject,
} from '@fillsched/contracts';
import {
  connectNats,
  ensureStreams,
  publishEvent,
  serveRequests,
  type NatsHandle,
  type RpcRequest,
  type StreamSpec,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { openOrCreateBucket } from './adapters/revocations';
import { createGatewayApp } from './app';
import { KvCounterStore } from './ratelimit';
import { makeKeyPair, signToken, silentLogger } from './test/helpers';
import { natsPorts, type NatsPorts } from './wiring';

jest.setTimeout(30_000);

const key = makeKeyPair('k1');
const logger = silentLogger();
let nats: TestNats;
let svc: NatsHandle; // the fake downstream services' connection
const seen: Array<{ subject: string; req: RpcRequest; correlationId: string }> = [];
let scheduleStatus = 'running';

interface Instance {
  url: string;
  wsUrl: string;
  handle: NatsHandle;
  wired: NatsPorts;
  close(): Promise<void>;
}
const instances: Instance[] = [];

async function startGateway(opts: { rateLimit?: number; serviceTimeoutMs?: number } = {}): Promise<Instance> {
  const handle = await connectNats({
    servers: nats.url,
    name: 'gateway-test',
    logger,
    reconnectTimeWait: 100,
  });
  const wired = natsPorts(handle, logger, {
    serviceTimeoutMs: opts.serviceTimeoutMs ?? 1000,
    rateLimitPerMinute: opts.rateLimit ?? 1000,
  });
  const gateway = createGatewayApp({ ...wired.ports, options: {} });
  const server = http.createServer(gateway.app);
  const ws = gateway.attachWebSockets(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const deadline = Date.now() + 5000;
  while (!gateway.readiness.every((c) => c.check() === true) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const inst: Instance = {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    handle,
    wired,
    async close() {
      await ws.close();
      await wired.stop();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await handle.close();
    },
  };
  instances.push(inst);
  return inst;
}

beforeAll(async () => {
  nats = await startNatsForTests();
  svc = await connectNats({ servers: nats.url, name: 'fake-services', logger });
  await ensureStreams(svc.nc, { streams: Object.values(STREAM_SPECS) as unknown as StreamSpec[] });
  const record = (subject: string) => async (req: RpcRequest, ctx: { correlationId: string }) => {
    seen.push({ subject, req, correlationId: ctx.correlationId });
    return { status: 200, body: { user: req.user } };
  };
  serveRequests(svc, logger, {
    subject: RPC.auth.keys,
    queue: 'auth',
    handler: async () => ({
      status: 200,
      body: { keys: [{ kid: key.kid, alg: 'RS256', public_key_pem: key.publicKey }] },
    }),
  });
  serveRequests(svc, logger, { subject: RPC.auth.me, queue: 'auth', handler: record(RPC.auth.me) });
  serveRequests(svc, logger, {
    subject: RPC.schedule.strategies,
    queue: 'schedule',
    handler: record(RPC.schedule.strategies),
  });
  serveRequests(svc, logger, {
    subject: RPC.schedule.get,
    queue: 'schedule',
    handler: async (req) => ({
      status: 200,
      body: { id: Number(req.params?.id), status: scheduleStatus, name: 'S', strategy: 'smart-pack' },
    }),
  });
  // config.get never answers in time → 504
  serveRequests(svc, logger, {
    subject: RPC.config.get,
    queue: 'config',
    handler: () => new Promise((r) => setTimeout(() => r({ status: 200, body: {} }), 3000)),
  });
});

afterAll(async () => {
  for (const i of instances.splice(0)) await i.close().catch(() => undefined);
  await svc?.close();
  await nats?.stop();
});

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('gateway over a real NATS', () => {
  it('fetches the signing keys over NATS, forwards the user and propagates the correlation id', async () => {
    const gw = await startGateway();
    expect(gw.wired.keys.ready()).toBe(true);
    const res = await fetch(`${gw.url}/api/v1/auth/me`, {
      headers: { ...auth(signToken(key, { sub: '5' })), 'X-Correlation-Id': 'corr-42' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { id: 5, email: 'user@example.com', is_superuser: false } });
    expect(seen.find((s) => s.subject === RPC.auth.me)?.correlationId).toBe('corr-42');
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('no responders → 503 at once; a slow service → 504 at the timeout', async () => {
    const gw = instances[0];
    const t0 = Date.now();
    const a = await fetch(`${gw.url}/api/v1/compare/1`, { headers: auth(signToken(key)) });
    expect(a.status).toBe(503);
    expect(await a.json()).toEqual({ detail: 'Service unavailable: comparison' });
    expect(Date.now() - t0).toBeLessThan(500);
    const t1 = Date.now();
    const b = await fetch(`${gw.url}/api/v1/config/1`, { headers: auth(signToken(key)) });
    expect(b.status).toBe(504);
    expect(await b.json()).toEqual({ detail: 'Service timeout: config' });
    expect(Date.now() - t1).toBeLessThan(2500);
  });

  it('revocations from the KV bucket reject tokens at once, also those revoked before start (replay)', async () => {
    const kv = await openOrCreateBucket(svc.nc, REVOCATIONS_BUCKET, KV_SPECS.revocations.ttlMs);
    await kv.put('sid.early', JSON.stringify({ revoked_at: new Date().toISOString(), exp: 0 }));
    const gw = await startGateway();
    expect(gw.wired.revocations.ready()).toBe(true);
    const early = signToken(key, { sid: 'early' });
    expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: auth(early) })).status).toBe(401);

    const late = signToken(key, { sid: 'late' });
    expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: auth(late) })).status).toBe(200);
    await kv.put('sid.late', '{}');
    const deadline = Date.now() + 2000;
    let status = 200;
    while (status !== 401 && Date.now() < deadline) {
      status = (await fetch(`${gw.url}/api/v1/auth/me`, { headers: auth(late) })).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(401);
  });

  it('two gateway instances share one rate-limit counter in KV', async () => {
    const a = await startGateway({ rateLimit: 5 });
    const b = await startGateway({ rateLimit: 5 });
    const token = signToken(key, { sub: '77' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await fetch(`${a.url}/api/v1/strategies`, { headers: auth(token) })).status);
    await a.wired.rateLimiter.flush();
    for (let i = 0; i < 3; i++)
      statuses.push((await fetch(`${b.url}/api/v1/strategies`, { headers: auth(token) })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    await b.wired.rateLimiter.flush();
    const kv = await new Kvm(svc.nc).open(RATE_LIMIT_BUCKET);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const mine = keys.filter((k) => k.endsWith('.u77'));
    expect(mine).toHaveLength(1);
    expect(Number((await kv.get(mine[0]))!.string())).toBe(5);
  });

  it('compare-and-set increments lose nothing under concurrency', async () => {
    const kv1 = await openOrCreateBucket(svc.nc, RATE_LIMIT_BUCKET, KV_SPECS.rateLimit.ttlMs);
    const other = await connectNats({ servers: nats.url, name: 'other', logger });
    try {
      const kv2 = await new Kvm(other.nc).open(RATE_LIMIT_BUCKET);
      const s1 = new KvCounterStore(kv1, 100);
      const s2 = new KvCounterStore(kv2, 100);
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? s1 : s2).add('cas.test', 1)));
      expect(await s1.read('cas.test')).toBe(30);
    } finally {
      await other.close();
    }
  });

  it('relays progress and completion published as CloudEvents on JetStream to a WebSocket', async () => {
    const gw = instances[0];
    const js = jetstream(svc.nc);
    const id = 31;
    const base = {
      job_id: `schedule.${id}`,
      owner: { kind: 'schedule', id, user_id: 5 },
      strategy: 'smart-pack',
    };
    const progress = (percent: number) =>
      makeEvent({
        type: 'com.fillsched.solve.progress',
        source: 'test',
        data: {
          ...base,
          phase: 'packing',
          percent,
          best_makespan: 300,
          lower_bound: 280,
          message: `p${percent}`,
        },
      });
    scheduleStatus = 'running';
    await publishEvent(js, progressSubject('schedule', id), progress(25));
    await publishEvent(js, progressSubject('schedule', id), progress(45));

    const ws = new WebSocket(`${gw.wsUrl}/api/v1/ws/schedule/${id}?token=${signToken(key, { sub: '5' })}`);
    const messages: Array<Record<string, unknown>> = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(messages.length).toBeGreaterThanOrEqual(n);
    };
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await waitFor(1);
    expect(messages[0]).toMatchObject({ type: 'progress', progress: 45, step: 'packing', message: 'p45' });

    await publishEvent(js, progressSubject('schedule', id), progress(80));
    await waitFor(2);
    expect(messages[1]).toMatchObject({ type: 'progress', progress: 80 });
    // The last-value stream keeps one message per subject.
    const stored = await (
      await import('@nats-io/jetstream')
    )
      .jetstreamManager(svc.nc)
      .then((m) => m.streams.getMessage(PROGRESS_STREAM, { last_by_subj: progressSubject('schedule', id) }));
    expect(stored?.json<{ data: { percent: number } }>().data.percent).toBe(80);

    const summary = {
      makespan: 300,
      utilization: 0.9,
      changeovers: 2,
      lots_scheduled: 15,
      window_violations: 0,
      kpis: { total_production_time: 300 },
      lower_bound: 280,
      gap: 0.07,
      execution_time: 0.4,
      activity_count: 40,
    };
    const status = (st: 'completed' | 'failed', extra: Record<string, unknown>) =>
      makeEvent({
        type: SCHEDULE_STATUS_EVENTS[st],
        source: 'test',
        id: `schedule.${st}:${id}`,
        data: {
          schedule_id: id,
          user_id: 5,
          job_id: base.job_id,
          status: st,
          started_at: null,
          completed_at: null,
          error_message: null,
          error_code: null,
          summary: null,
          ...extra,
        },
      });
    // The solver's `completed` is for the schedule service; clients hear the service's own event.
    await publishEvent(
      js,
      lifecycleSubject('schedule', id, 'completed'),
      makeEvent({ type: 'com.fillsched.solve.completed', source: 'test', data: { ...base, summary } }),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(2);
    scheduleStatus = 'completed';
    await publishEvent(js, ownerStatusSubject('schedule', id, 'completed'), status('completed', { summary }));
    await waitFor(3);
    expect(messages[2]).toMatchObject({
      type: 'complete',
      progress: 100,
      result: { schedule_id: id, makespan: 300, kpis: { utilization: 0.9, total_production_time: 300 } },
    });
    expect(await closed).toBe(1000);

    // A late client gets the final message at once (from the lifecycle stream while the service lags).
    scheduleStatus = 'running';
    const late = new WebSocket(`${gw.wsUrl}/api/v1/ws/schedule/${id}?token=${signToken(key, { sub: '5' })}`);
    const first = await new Promise<Record<string, unknown>>((r) =>
      late.once('message', (d) => r(JSON.parse(d.toString()) as Record<string, unknown>)),
    );
    expect(first).toMatchObject({ type: 'complete', result: { schedule_id: id } });
  });

  it('a failed run is relayed as an error with its code', async () => {
    const gw = instances[0];
    const js = jetstream(svc.nc);
    const id = 32;
    scheduleStatus = 'running';
    const ws = new WebSocket(`${gw.wsUrl}/api/v1/ws/schedule/${id}?token=${signToken(key, { sub: '5' })}`);
    await new Promise((r) => ws.once('open', r));
    await new Promise((r) => setTimeout(r, 100));
    const msg = new Promise<Record<string, unknown>>((r) =>
      ws.once('message', (d) => r(JSON.parse(d.toString()) as Record<string, unknown>)),
    );
    await publishEvent(
      js,
      ownerStatusSubject('schedule', id, 'failed'),
      makeEvent({
        type: SCHEDULE_STATUS_EVENTS.failed,
        source: 'test',
        id: `schedule.failed:${id}`,
        data: {
          schedule_id: id,
          user_id: 5,
          job_id: `schedule.${id}`,
          status: 'failed',
          started_at: null,
          completed_at: null,
          error_message: 'Invalid lot data: duplicate lot_id found',
          error_code: 'VALIDATION_ERROR',
          summary: null,
        },
      }),
    );
    expect(await msg).toMatchObject({
      type: 'error',
      code: 'VALIDATION_ERROR',
      message: 'Invalid lot data: duplicate lot_id found',
    });
  });

  it('NATS down → 503 within the breaker path, never a hang; recovers when NATS is back', async () => {
    const gw = instances[0];
    const token = signToken(key, { sub: '5' });
    const port = nats.port;
    await nats.stop();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/api/v1/strategies`, { headers: auth(token) });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    nats = await startNatsForTests({ port });
    await ensureStreams(svc.nc, { streams: Object.values(STREAM_SPECS) as unknown as StreamSpec[] }).catch(
      () => undefined,
    );
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await fetch(`${gw.url}/api/v1/strategies`, { headers: auth(token) })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
