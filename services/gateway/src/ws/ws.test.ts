import WebSocket from 'ws';
import {
  EVENTS_STREAM,
  MESSAGES,
  PROGRESS_STREAM,
  RPC,
  LIFECYCLE,
  SCHEDULE_STATUS_EVENTS,
  comparisonFinishedSubject,
  lifecycleSubject,
  makeEvent,
  ownerStatusSubject,
  progressSubject,
  type AnnouncedScheduleStatus,
} from '@fillsched/contracts';
import { makeKeyPair, signToken, startTestGateway, type TestGateway } from '../test/helpers';

const key = makeKeyPair();
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [key], options: { wsAuthTimeoutMs: 300, wsHeartbeatMs: 150 } });
  token = signToken(key, { sub: '7' });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.services.handlers.clear();
  gw.events.stored.clear();
});

interface Client {
  ws: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  next(): Promise<Record<string, unknown>>;
}

function connect(path: string, opts: { protocols?: string[]; autoPong?: boolean } = {}): Client {
  const ws = new WebSocket(`${gw.wsUrl}${path}`, opts.protocols ?? [], { autoPong: opts.autoPong ?? true });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<(m: Record<string, unknown>) => void> = [];
  let read = 0;
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w(messages[read]));
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    messages,
    closed,
    next() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no message; got ${JSON.stringify(messages)}`)),
          3000,
        );
        const take = () => {
          clearTimeout(timer);
          resolve(messages[read++]);
        };
        if (messages.length > read) take();
        else waiters.push(take);
      });
    },
  };
}

const opened = (c: Client) =>
  new Promise<void>((resolve, reject) => {
    c.ws.once('open', () => resolve());
    c.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });

const owner = (id: number, kind: 'schedule' | 'comparison' = 'schedule') => ({ kind, id, user_id: 7 });
const base = (id: number, strategy = 'smart-pack', kind: 'schedule' | 'comparison' = 'schedule') => ({
  job_id: kind === 'schedule' ? `schedule.${id}` : `comparison.${id}.${strategy}`,
  owner: owner(id, kind),
  strategy,
});
const progressEvent = (
  id: number,
  percent: number,
  kind: 'schedule' | 'comparison' = 'schedule',
  strategy = 'smart-pack',
) =>
  makeEvent({
    type: 'com.fillsched.solve.progress',
    source: 'solver',
    data: {
      ...base(id, strategy, kind),
      phase: 'planning',
      percent,
      best_makespan: 120.5,
      lower_bound: 100,
      message: `at ${percent}`,
    },
  });
const summary = {
  makespan: 450.5,
  utilization: 0.85,
  changeovers: 12,
  lots_scheduled: 50,
  window_violations: 0,
  kpis: { total_production_time: 450.5, average_line_utilization: 0.85 },
  lower_bound: 440,
  gap: 0.02,
  execution_time: 1.5,
  activity_count: 120,
};
/** The schedule service's own status event, as it publishes it once its store shows the status. */
const statusEvent = (id: number, status: AnnouncedScheduleStatus, extra: Record<string, unknown> = {}) =>
  makeEvent({
    type: SCHEDULE_STATUS_EVENTS[status],
    source: '/fillsched/schedule/test',
    id: `schedule.${status}:${id}`,
    data: {
      schedule_id: id,
      user_id: 7,
      job_id: `schedule.${id}`,
      status,
      started_at: null,
      completed_at: null,
      error_message: null,
      error_code: null,
      summary: null,
      ...extra,
    },
  });
const scheduleReply =
  (id: number, status: string, extra: Record<string, unknown> = {}) =>
  () => ({
    status: 200,
    body: {
      id,
      name: 'S',
      strategy: 'smart-pack',
      status,
      created_at: '2026-01-01T00:00:00',
      error_message: null,
      ...extra,
    },
  });

describe('authentication of WebSocket connections', () => {
  it('a bad token → close 1008', async () => {
    const c = connect('/api/v1/ws/schedule/1?token=garbage');
    expect(await c.closed).toEqual({ code: 1008, reason: MESSAGES.credentials });
  });

  it('no token and no auth message within the timeout → 1008', async () => {
    const c = connect('/api/v1/ws/schedule/1');
    expect((await c.closed).code).toBe(1008);
  });

  it('an expired or revoked token → 1008', async () => {
    expect(
      (await connect(`/api/v1/ws/schedule/1?token=${signToken(key, { expiresInS: -60 })}`).closed).code,
    ).toBe(1008);
    gw.revocations.revoke('sid.revokedSession');
    const revoked = signToken(key, { sid: 'revokedSession' });
    expect((await connect(`/api/v1/ws/schedule/1?token=${revoked}`).closed).code).toBe(1008);
  });

  it('token as Sec-WebSocket-Protocol "bearer, <token>" (bearer echoed) and as a first auth message', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(1, 'running'));
    const viaProtocol = connect('/api/v1/ws/schedule/1', { protocols: ['bearer', token] });
    await opened(viaProtocol);
    expect(viaProtocol.ws.protocol).toBe('bearer');
    const viaMessage = connect('/api/v1/ws/schedule/1');
    await opened(viaMessage);
    viaMessage.ws.send(JSON.stringify({ type: 'auth', token }));
    await new Promise((r) => setTimeout(r, 400)); // past the auth timeout: still open
    expect(viaMessage.ws.readyState).toBe(WebSocket.OPEN);
    expect(
      gw.services.calls.filter((c) => c.subject === RPC.schedule.get).map((c) => c.request.user),
    ).toEqual([
      { id: 7, email: 'user@example.com', is_superuser: false },
      { id: 7, email: 'user@example.com', is_superuser: false },
    ]);
    viaProtocol.ws.close();
    viaMessage.ws.close();
  });

  it("another user's or an unknown schedule → close 4404 'Schedule not found'", async () => {
    gw.services.on(RPC.schedule.get, () => ({ status: 404, body: { detail: MESSAGES.scheduleNotFound } }));
    const c = connect(`/api/v1/ws/schedule/9?token=${token}`);
    expect(await c.closed).toEqual({ code: 4404, reason: 'Schedule not found' });
    const bad = connect(`/api/v1/ws/compare/abc?token=${token}`);
    expect(await bad.closed).toEqual({ code: 4404, reason: 'Comparison not found' });
  });

  it('an unknown WebSocket path is refused with HTTP 404', async () => {
    const c = connect(`/api/v1/ws/other/1?token=${token}`);
    await expect(opened(c)).rejects.toThrow('HTTP 404');
  });
});

describe('schedule progress relay', () => {
  it('late connect after completion → complete at once, then close 1000', async () => {
    gw.services.on(
      RPC.schedule.get,
      scheduleReply(5, 'completed', {
        completed_at: '2026-01-01T01:00:00',
        result: { makespan: 450.5, utilization: 0.85, kpis: { total_production_time: 450.5 } },
      }),
    );
    const c = connect(`/api/v1/ws/schedule/5?token=${token}`);
    expect(await c.next()).toEqual({
      type: 'complete',
      progress: 100,
      message: 'Schedule completed successfully!',
      result: { schedule_id: 5, makespan: 450.5, kpis: { utilization: 0.85, total_production_time: 450.5 } },
      timestamp: '2026-01-01T01:00:00',
    });
    expect((await c.closed).code).toBe(1000);
  });

  it('late connect after a failure → error with the code of the stored failed event', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(6, 'failed', { error_message: 'boom' }));
    gw.events.store(
      EVENTS_STREAM,
      ownerStatusSubject('schedule', 6, 'failed'),
      statusEvent(6, 'failed', { error_code: 'ENGINE_ERROR', error_message: 'boom' }),
    );
    const c = connect(`/api/v1/ws/schedule/6?token=${token}`);
    expect(await c.next()).toMatchObject({ type: 'error', code: 'ENGINE_ERROR', message: 'boom' });
    expect((await c.closed).code).toBe(1000);
  });

  it("mid-run connect → latest progress first, then live progress, then complete from the owner's event", async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(8, 'running'));
    gw.events.store(PROGRESS_STREAM, progressSubject('schedule', 8), progressEvent(8, 40));
    const c = connect(`/api/v1/ws/schedule/8?token=${token}`);
    const first = await c.next();
    // The same event arriving live (published while we read the snapshot) is not sent twice.
    gw.events.publish(
      progressSubject('schedule', 8),
      gw.events.stored.get(`${PROGRESS_STREAM}|${progressSubject('schedule', 8)}`),
    );
    expect(first).toMatchObject({
      type: 'progress',
      step: 'planning',
      progress: 40,
      message: 'at 40',
      best_makespan: 120.5,
      lower_bound: 100,
    });
    expect(typeof first.timestamp).toBe('string');
    gw.events.publish(progressSubject('schedule', 8), progressEvent(8, 60));
    expect(await c.next()).toMatchObject({ type: 'progress', progress: 60 });
    // The solver's own `completed` is not what a schedule's clients hear: only its owner's is.
    gw.events.publish(
      lifecycleSubject('schedule', 8, 'completed'),
      makeEvent({ type: LIFECYCLE.completed.type, source: 's', data: { ...base(8), summary } }),
    );
    const done = statusEvent(8, 'completed', { summary });
    gw.events.publish(ownerStatusSubject('schedule', 8, 'completed'), done);
    const complete = await c.next();
    const gets = gw.services.calls.filter(
      (x) => x.subject === RPC.schedule.get && x.request.params?.id === '8',
    );
    expect(gets).toHaveLength(1); // the snapshot only: no polling
    expect(complete).toMatchObject({
      type: 'complete',
      progress: 100,
      message: 'Schedule completed successfully!',
      result: { schedule_id: 8, makespan: 450.5, kpis: { utilization: 0.85, total_production_time: 450.5 } },
      timestamp: done.time,
    });
    expect((await c.closed).code).toBe(1000);
  });

  it('failed → error with the event code; cancelled → error CANCELLED', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(10, 'running'));
    const a = connect(`/api/v1/ws/schedule/10?token=${token}`);
    await opened(a);
    await new Promise((r) => setTimeout(r, 50));
    gw.events.publish(
      ownerStatusSubject('schedule', 10, 'failed'),
      statusEvent(10, 'failed', { error_code: 'VALIDATION_ERROR', error_message: 'duplicate lot_id' }),
    );
    expect(await a.next()).toMatchObject({
      type: 'error',
      code: 'VALIDATION_ERROR',
      message: 'duplicate lot_id',
    });
    expect((await a.closed).code).toBe(1000);

    gw.services.on(RPC.schedule.get, scheduleReply(11, 'running'));
    const b = connect(`/api/v1/ws/schedule/11?token=${token}`);
    await opened(b);
    await new Promise((r) => setTimeout(r, 50));
    gw.events.publish(ownerStatusSubject('schedule', 11, 'cancelled'), statusEvent(11, 'cancelled'));
    expect(await b.next()).toMatchObject({ type: 'error', code: 'CANCELLED' });
  });

  it('a completion that happened before the subscription is found in the event stream', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(12, 'running')); // the schedule service lags behind
    gw.events.store(
      EVENTS_STREAM,
      ownerStatusSubject('schedule', 12, 'completed'),
      statusEvent(12, 'completed', { summary }),
    );
    const c = connect(`/api/v1/ws/schedule/12?token=${token}`);
    expect(await c.next()).toMatchObject({ type: 'complete', result: { schedule_id: 12 } });
  });

  it('sockets watching one schedule share one subscription per subject, released when the last leaves', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(20, 'running'));
    const before = gw.events.subs.size;
    const a = connect(`/api/v1/ws/schedule/20?token=${token}`);
    const b = connect(`/api/v1/ws/schedule/20?token=${token}`);
    await Promise.all([opened(a), opened(b)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.gateway.hub.memberCount('schedule.20')).toBe(2);
    expect(gw.events.subs.size - before).toBe(2);
    gw.events.publish(progressSubject('schedule', 20), progressEvent(20, 10));
    expect(await a.next()).toMatchObject({ progress: 10 });
    expect(await b.next()).toMatchObject({ progress: 10 });
    a.ws.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 30));
    expect(gw.gateway.hub.memberCount('schedule.20')).toBe(1);
    b.ws.close();
    await b.closed;
    await new Promise((r) => setTimeout(r, 30));
    expect(gw.events.subs.size).toBe(before);
  });

  it('a peer that stops answering pings is terminated', async () => {
    gw.services.on(RPC.schedule.get, scheduleReply(21, 'running'));
    const c = connect(`/api/v1/ws/schedule/21?token=${token}`, { autoPong: false });
    await opened(c);
    expect((await c.closed).code).toBe(1006);
  });
});

describe('comparison progress relay', () => {
  it('relays per-strategy progress with the strategy and completes on comparison.finished', async () => {
    gw.services.on(RPC.comparison.get, () => ({
      status: 200,
      body: { id: 3, name: 'C', strategies: ['smart-pack', 'lpt-pack'], status: 'running' },
    }));
    const c = connect(`/api/v1/ws/compare/3?token=${token}`);
    await opened(c);
    await new Promise((r) => setTimeout(r, 50));
    gw.events.publish(progressSubject('comparison', 3), progressEvent(3, 30, 'comparison', 'lpt-pack'));
    expect(await c.next()).toMatchObject({ type: 'progress', progress: 30, strategy: 'lpt-pack' });
    gw.events.publish(
      lifecycleSubject('comparison', 3, 'completed'),
      makeEvent({
        type: LIFECYCLE.completed.type,
        source: 's',
        data: { ...base(3, 'lpt-pack', 'comparison'), summary },
      }),
    );
    expect(await c.next()).toMatchObject({
      type: 'progress',
      step: 'strategy_completed',
      strategy: 'lpt-pack',
      progress: 100,
    });
    gw.events.publish(
      lifecycleSubject('comparison', 3, 'failed'),
      makeEvent({
        type: LIFECYCLE.failed.type,
        source: 's',
        data: { ...base(3, 'smart-pack', 'comparison'), error: { code: 'ENGINE_ERROR', message: 'x' } },
      }),
    );
    expect(await c.next()).toMatchObject({
      type: 'progress',
      step: 'strategy_failed',
      strategy: 'smart-pack',
    });
    const results = [{ strategy: 'lpt-pack', status: 'completed', makespan: 450.5 }];
    gw.events.publish(
      comparisonFinishedSubject(3),
      makeEvent({
        type: 'com.fillsched.comparison.finished',
        source: 'comparison',
        data: { comparison_id: 3, user_id: 7, status: 'completed', best_strategy: 'lpt-pack', results },
      }),
    );
    expect(await c.next()).toMatchObject({
      type: 'complete',
      progress: 100,
      result: { comparison_id: 3, best_strategy: 'lpt-pack', results },
    });
    expect((await c.closed).code).toBe(1000);
  });

  it('late connect to a finished comparison → complete from the get reply', async () => {
    gw.services.on(RPC.comparison.get, () => ({
      status: 200,
      body: {
        id: 4,
        status: 'completed',
        best_strategy: 'smart-pack',
        results: [{ strategy: 'smart-pack' }],
      },
    }));
    const c = connect(`/api/v1/ws/compare/4?token=${token}`);
    expect(await c.next()).toMatchObject({
      type: 'complete',
      result: { comparison_id: 4, best_strategy: 'smart-pack', results: [{ strategy: 'smart-pack' }] },
    });
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 and refuses new upgrades', async () => {
    const own = await startTestGateway({ keys: [key] });
    own.services.on(RPC.schedule.get, scheduleReply(1, 'running'));
    const c = new WebSocket(`${own.wsUrl}/api/v1/ws/schedule/1?token=${token}`);
    const closed = new Promise<number>((r) => c.on('close', (code) => r(code)));
    await new Promise((r) => c.once('open', r));
    await new Promise((r) => setTimeout(r, 50));
    await own.close();
    expect(await closed).toBe(1001);
  });
});
