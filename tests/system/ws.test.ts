// System test of the multiplexed WebSocket /api/v1/ws (issue 11): every service as its own process,
// three gateway replicas on one NATS. Resume across gateway restarts with the example client, the
// recovery bound, heartbeats, every protection limit and the slow-consumer attack.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import WebSocket from 'ws';
import { WsServerMessageSchema } from '@fillsched/contracts';
import { ApiClient, lotsFromCsv, sharedPath, waitUntil } from './client';
import { startGateway, type GatewayProcess } from './gateways';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(240_000);

/** Publications kept per channel on every replica (the recovery bound), small enough to pass. */
const HISTORY = { WS_HISTORY_SIZE: '12' };
/** Small limits on the platform's own gateway, to reach each one quickly. */
const LIMITED = {
  WS_HEARTBEAT_MS: '1000',
  WS_SOCKETS_PER_USER: '4',
  WS_SUBSCRIPTIONS_PER_SOCKET: '3',
  WS_INBOUND_PER_SECOND: '20',
  WS_MAX_FRAME_BYTES: '4096',
  ...HISTORY,
};
/** Gateway B: no inbound rate to speak of and a small send buffer: only the buffer cap protects it. */
const BUFFER_ONLY = { WS_INBOUND_PER_SECOND: '1000000', WS_MAX_BUFFERED_BYTES: '65536', ...HISTORY };

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'ws-client.mjs');

const LOTS = [
  { lot_id: 'A', product: 'X', quantity: 100000 },
  { lot_id: 'B', product: 'Y', quantity: 250000 },
  { lot_id: 'C', product: 'X', quantity: 50000 },
  { lot_id: 'D', product: 'Z', quantity: 80000 },
];

/** Server messages that did not match WsServerMessageSchema (checked after every test). */
const offContract: string[] = [];
afterEach(() => expect(offContract.splice(0)).toEqual([]));

interface Socket {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  next(pred: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  send(msg: unknown): void;
}

function open(base: string, token: string | null, opts: WebSocket.ClientOptions = {}): Promise<Socket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws${token ? `?token=${token}` : ''}`, opts);
  const messages: any[] = [];
  const waiters: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void }> = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw));
    // Every server message has the shape contracts defines.
    const shape = WsServerMessageSchema.safeParse(m);
    if (!shape.success) offContract.push(`${String(raw)}: ${shape.error.message}`);
    messages.push(m);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const socket: Socket = {
    ws,
    messages,
    closed,
    send: (msg) => ws.send(JSON.stringify(msg)),
    next: (pred, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const seen = messages.find(pred);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error('timed out waiting for a message')), timeoutMs);
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
    ws.once('close', () => resolve(socket));
  });
}

describe('one WebSocket for live updates', () => {
  let platform: any;
  let gwA: GatewayProcess;
  let gwB: GatewayProcess;
  let alice: ApiClient;
  let bob: ApiClient;
  let mallory: ApiClient;

  beforeAll(async () => {
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      solvers: 1,
      stdio: 'ignore',
      env: LIMITED,
    });
    [gwA, gwB] = await Promise.all([
      startGateway(platform.natsUrl, {
        natsUser: platform.natsUsers?.gateway,
        name: 'gateway-a',
        env: HISTORY,
      }),
      startGateway(platform.natsUrl, {
        natsUser: platform.natsUsers?.gateway,
        name: 'gateway-b',
        env: BUFFER_ONLY,
      }),
    ]);
    alice = new ApiClient(platform.gatewayUrl);
    bob = new ApiClient(platform.gatewayUrl);
    mallory = new ApiClient(platform.gatewayUrl);
    await alice.registerAndLogin('alice-ws@example.com');
    await bob.registerAndLogin('bob-ws@example.com');
    await mallory.registerAndLogin('mallory-ws@example.com');
  });

  afterAll(async () => {
    await gwA?.stop();
    await gwB?.stop();
    await platform?.stop();
  });

  const createSchedule = async (client: ApiClient, name: string) => {
    const r = await client.request('POST', '/schedule', { name, lots_data: LOTS, strategy: 'smart-pack' });
    expect(r.status).toBe(202);
    return r.body.id as number;
  };
  const completed = (client: ApiClient, id: number) =>
    waitUntil(
      async () => (await client.request('GET', `/schedule/${id}`)).body.status === 'completed',
      60_000,
      `schedule ${id} completed`,
    );

  test('a foreign or missing channel is refused for that subscription alone; the socket stays', async () => {
    const bobs = await createSchedule(bob, 'bob-private');
    const s = await open(platform.gatewayUrl, alice.token);
    s.send({ type: 'subscribe', channel: `schedule:${bobs}` });
    const foreign = await s.next((m) => m.type === 'error');
    expect(foreign).toEqual({
      type: 'error',
      code: 'not_found',
      message: 'Channel not found',
      channel: `schedule:${bobs}`,
    });
    s.send({ type: 'subscribe', channel: 'compare:999999' });
    const missing = await s.next((m) => m.type === 'error' && m.channel === 'compare:999999');
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe(foreign.message);
    s.send({ type: 'subscribe', channel: 'nope:1' });
    const bad = await s.next((m) => m.type === 'error' && m.code === 'bad_request');
    expect(bad.message).toMatch(/channel must be/);
    s.send({ type: 'ping' });
    await s.next((m) => m.type === 'pong');
    s.send({ type: 'subscribe', channel: 'user' });
    const sub = await s.next((m) => m.type === 'subscribed');
    expect(sub).toMatchObject({ channel: 'user', recovered: false });
    expect(typeof sub.epoch).toBe('string');
    s.send({ type: 'unsubscribe', channel: 'user' });
    await s.next((m) => m.type === 'unsubscribed');
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
  });

  test('a comparison reaches its compare channel and the user channel', async () => {
    const s = await open(gwB.url, alice.token);
    s.send({ type: 'subscribe', channel: 'user' });
    await s.next((m) => m.type === 'subscribed' && m.channel === 'user');
    const r = await alice.request('POST', '/compare', {
      name: 'ws-compare',
      lots_data: LOTS,
      strategies: ['smart-pack', 'lpt-pack'],
    });
    expect(r.status).toBe(202);
    const channel = `compare:${r.body.id}`;
    s.send({ type: 'subscribe', channel });
    const done = await s.next(
      (m) => m.type === 'publication' && m.channel === channel && m.data.type === 'complete',
      60_000,
    );
    expect(done.data.result).toMatchObject({ comparison_id: r.body.id });
    expect(done.data.result.results).toHaveLength(2);
    const onUser = await s.next(
      (m) => m.channel === 'user' && m.data?.comparison_id === r.body.id && m.data.type === 'complete',
      20_000,
    );
    expect(onUser.data.result.best_strategy).toBe(done.data.result.best_strategy);
    s.ws.close();
  });

  test('resume across gateway restarts (two replicas, example client): nothing missing, in order', async () => {
    // The reference lots (a longer solve), so the first schedule is likely still running across restarts.
    const long = await alice.request('POST', '/schedule', {
      name: 'resume-1',
      lots_data: lotsFromCsv(sharedPath('data/lots/lots.csv')),
      strategy: 'smart-pack',
      config: { line_count: 1 },
    });
    expect(long.status).toBe(202);
    const first: number = long.body.id;
    // The example client as its own process, given both replicas.
    const client = spawn(
      process.execPath,
      [EXAMPLE, `${gwA.url},${gwB.url}`, '-', 'user', `schedule:${first}`],
      { env: { ...process.env, TOKEN: alice.token!, WS_CLIENT_MAX_BACKOFF_MS: '500' } },
    );
    const got: any[] = [];
    const subscribedAt = new Map<string, { offset: number; epoch: string }>();
    const resumed: any[] = [];
    const opens: string[] = [];
    readline.createInterface({ input: client.stderr! }).on('line', (l) => {
      if (l.startsWith('open ')) opens.push(l.slice(5));
    });
    readline.createInterface({ input: client.stdout! }).on('line', (line) => {
      const m = JSON.parse(line);
      if (m.type === 'subscribed') {
        if (!subscribedAt.has(m.channel)) subscribedAt.set(m.channel, { offset: m.offset, epoch: m.epoch });
        else resumed.push(m);
      }
      if (m.type === 'publication') got.push(m);
    });
    const exited = new Promise((r) => client.once('exit', r));
    await waitUntil(async () => subscribedAt.size === 2, 20_000, 'both subscribed');

    // Both replicas go away while the schedule runs and another one runs start to end: the client
    // is disconnected throughout, so all of that arrives through resume alone.
    await Promise.all([gwA.stop(), gwB.stop()]);
    const second = await createSchedule(alice, 'resume-2');
    await completed(alice, second);
    gwA = await startGateway(platform.natsUrl, {
      natsUser: platform.natsUsers?.gateway,
      port: gwA.port,
      name: 'gateway-a',
      env: HISTORY,
    });
    await waitUntil(async () => resumed.length >= 2, 20_000, 'the client to resume on A');
    // A goes away again; the client moves to a restarted B.
    gwB = await startGateway(platform.natsUrl, {
      natsUser: platform.natsUsers?.gateway,
      port: gwB.port,
      name: 'gateway-b',
      env: BUFFER_ONLY,
    });
    await gwA.stop();
    const third = await createSchedule(alice, 'resume-3');
    await completed(alice, first);
    await completed(alice, third);
    gwA = await startGateway(platform.natsUrl, {
      natsUser: platform.natsUsers?.gateway,
      port: gwA.port,
      name: 'gateway-a',
      env: HISTORY,
    });
    const done = (ch: string, pred: (d: any) => boolean) => got.some((m) => m.channel === ch && pred(m.data));
    await waitUntil(
      async () =>
        done(`schedule:${first}`, (d) => d.type === 'complete') &&
        done('user', (d) => d.schedule_id === third && d.type === 'complete'),
      60_000,
      'the client to see every completion',
    );
    client.kill('SIGINT');
    await exited;
    expect(resumed.length).toBeGreaterThanOrEqual(4);
    for (const r of resumed) expect(r.recovered).toBe(true);
    expect(opens.length).toBeGreaterThanOrEqual(3);

    // The reference: each channel's history since the client's first position, read afresh.
    const ref = await open(gwB.url, alice.token);
    for (const ch of ['user', `schedule:${first}`]) {
      ref.send({ type: 'subscribe', channel: ch, since: subscribedAt.get(ch) });
      const sub = await ref.next((m) => m.type === 'subscribed' && m.channel === ch);
      expect(sub.recovered).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const ch of ['user', `schedule:${first}`]) {
      const expected = ref.messages.filter((m) => m.type === 'publication' && m.channel === ch);
      // After the first position; a first subscribe may have started with the current state at it.
      const received = got.filter((m) => m.channel === ch && m.offset > subscribedAt.get(ch)!.offset);
      expect(received.map((m) => m.offset)).toEqual(expected.map((m) => m.offset));
      expect(received).toEqual(expected);
    }
    ref.ws.close();
    const sched = got.filter((m) => m.channel === `schedule:${first}`).map((m) => m.data);
    // Progress (the solver's phases, `started` when the schedule service reports running), then complete.
    for (const d of sched.slice(0, -1)) expect(d.type).toBe('progress');
    expect(sched[sched.length - 1]).toMatchObject({ type: 'complete', result: { schedule_id: first } });
    const user = got.filter((m) => m.channel === 'user').map((m) => `${m.data.schedule_id}:${m.data.type}`);
    // The first schedule may have started before the user channel was subscribed; the others not.
    for (const id of [second, third])
      expect(user).toEqual(expect.arrayContaining([`${id}:progress`, `${id}:complete`]));
  });

  test('beyond the kept history or from another epoch: recovered false with the current state', async () => {
    const id = await createSchedule(alice, 'bound');
    await completed(alice, id);
    const s = await open(gwA.url, alice.token);
    s.send({ type: 'subscribe', channel: 'user' });
    const subscribed = await s.next((m) => m.type === 'subscribed');
    const { epoch } = subscribed;
    const mark = { offset: subscribed.offset, epoch };
    // More lifecycle publications than the channel keeps (12) happen while the client is away.
    s.send({ type: 'unsubscribe', channel: 'user' });
    await s.next((m) => m.type === 'unsubscribed');
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createSchedule(alice, `bound-${i}`));
    for (const i of ids) await completed(alice, i);
    await new Promise((r) => setTimeout(r, 500));
    const sent = s.messages.length;
    s.send({ type: 'subscribe', channel: 'user', since: mark });
    const beyond = await s.next((m) => m.type === 'subscribed' && s.messages.indexOf(m) >= sent);
    expect(beyond).toMatchObject({ channel: 'user', recovered: false, epoch });
    // Another epoch: the channel's current state (its last publication), not recovered.
    const channel = `schedule:${id}`;
    s.send({ type: 'subscribe', channel, since: { offset: 0, epoch: 'another-epoch' } });
    expect(await s.next((m) => m.type === 'subscribed' && m.channel === channel)).toMatchObject({
      recovered: false,
      epoch,
    });
    const state = await s.next((m) => m.type === 'publication' && m.channel === channel);
    expect(state.data).toMatchObject({ type: 'complete', result: { schedule_id: id } });
    s.send({ type: 'unsubscribe', channel });
    await s.next((m) => m.type === 'unsubscribed');
    // Within the bound (from the position just received) it recovers.
    const before = s.messages.length;
    s.send({ type: 'subscribe', channel, since: { offset: state.offset, epoch } });
    const again = await s.next((m) => m.type === 'subscribed' && s.messages.indexOf(m) >= before);
    expect(again.recovered).toBe(true);
    s.ws.close();
  });

  test('heartbeat: a client that never answers pings is closed with 4001', async () => {
    const s = await open(platform.gatewayUrl, alice.token, { autoPong: false });
    const closed = await s.closed;
    expect(closed.code).toBe(4001);
  });

  test('every limit gives its documented close or error', async () => {
    // bad token: 4401
    expect((await (await open(platform.gatewayUrl, 'not-a-token')).closed).code).toBe(4401);
    // frame size: 1009
    const big = await open(platform.gatewayUrl, alice.token);
    big.ws.send('x'.repeat(5000));
    expect((await big.closed).code).toBe(1009);
    // not a command: 4400
    const junk = await open(platform.gatewayUrl, alice.token);
    await new Promise((r) => setTimeout(r, 200));
    junk.ws.send('hello');
    expect((await junk.closed).code).toBe(4400);
    // subscriptions per socket: error, socket stays
    const subs = await open(platform.gatewayUrl, alice.token);
    for (const ch of ['user', 'schedule:1', 'schedule:2', 'schedule:3'])
      subs.send({ type: 'subscribe', channel: ch });
    const tooMany = await subs.next((m) => m.code === 'too_many_subscriptions');
    expect(tooMany.channel).toBe('schedule:3');
    // inbound messages per second: 4429
    for (let i = 0; i < 25; i++) subs.send({ type: 'ping' });
    expect((await subs.closed).code).toBe(4429);
    // sockets per user: the 5th socket gets 4003
    const four = await Promise.all([0, 1, 2, 3].map(() => open(platform.gatewayUrl, bob.token)));
    await new Promise((r) => setTimeout(r, 300));
    const fifth = await open(platform.gatewayUrl, bob.token);
    expect((await fifth.closed).code).toBe(4003);
    for (const s of four) s.ws.close();
    // the guide's per-resource socket has the same protection
    const id = await createSchedule(bob, 'legacy-limits');
    const legacy = new WebSocket(bob.wsUrl('schedule', id));
    const legacyClosed = new Promise<number>((r) => legacy.on('close', (c) => r(c)));
    legacy.on('error', () => undefined);
    await new Promise((r) => legacy.once('open', r));
    legacy.send('y'.repeat(5000));
    expect(await legacyClosed).toBe(1009);
    const chatty = new WebSocket(bob.wsUrl('schedule', id));
    const chattyClosed = new Promise<number>((r) => chatty.on('close', (c) => r(c)));
    chatty.on('error', () => undefined);
    await new Promise((r) => chatty.once('open', r));
    for (let i = 0; i < 25; i++) chatty.send(JSON.stringify({ type: 'ping' }));
    expect(await chattyClosed).toBe(4429);
  });

  test('slow-consumer attack: attackers are closed, another user keeps being served', async () => {
    const ATTACKERS = 6;
    const FRAMES = 100_000;
    const attackers = await Promise.all(
      Array.from({ length: ATTACKERS }, () => open(gwB.url, mallory.token)),
    );
    const victim = new ApiClient(gwB.url);
    victim.token = bob.token;
    const statuses: number[] = [];
    const victimLoop = (async () => {
      for (let i = 0; i < 40; i++) {
        statuses.push((await victim.request('GET', '/auth/me')).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    for (const a of attackers) {
      (a.ws as any)._socket.pause(); // never reads
      const frame = JSON.stringify({ type: 'ping' });
      for (let i = 0; i < FRAMES; i++) a.ws.send(frame);
    }
    await victimLoop;
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Reading again: each attacker gets what was buffered, then the 4002 close.
    for (const a of attackers) (a.ws as any)._socket.resume();
    const codes = await Promise.all(attackers.map((a) => a.closed.then((c) => c.code)));
    for (const code of codes) expect([4002, 1006]).toContain(code);
    expect(codes).toContain(4002);
  });
});
