import { randomBytes } from 'node:crypto';
// System test (issue 8): a client that sends GET right after it received `complete` reads
// `completed` with the full result — at the input limits (20,000 lots on 100 lines with downtime)
// and with a slow store (every byte MongoDB sends passes a proxy that holds it back). Every service
// runs as its own process against a real nats-server and the embedded MongoDB wire server.
import net from 'node:net';
import WebSocket from 'ws';
import { ApiClient } from './client';
import { inputLimitLines, inputLimitLots } from './create-load';

const { startPlatform, startMongoWire } = require('../../scripts/platform');
const { ACTIVITIES_PAGE_MAX: PAGE, RESULT_CHUNK_MAX_BYTES } = require('@fillsched/contracts');
const { BSON, MongoClient } = require('mongoose').mongo;
/** Where the solver (its idempotency state) and the schedule service keep result chunks. */
const RESULT_COLLECTIONS = [
  ['fillsched_solver', 'solve_results'],
  ['fillsched_solver', 'solve_result_chunks'],
  ['fillsched_schedule', 'schedule_results'],
  ['fillsched_schedule', 'schedule_result_chunks'],
] as const;

jest.setTimeout(600_000);

/** A TCP proxy in front of MongoDB that delays every chunk the server sends by `delayMs`, in order. */
function slowProxy(target: URL, delayMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let chain = Promise.resolve();
    upstream.on('data', (chunk) => {
      chain = chain
        .then(() => new Promise((r) => setTimeout(r, delayMs)))
        .then(() => {
          if (!client.destroyed) client.write(chunk);
        });
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `mongodb://127.0.0.1:${port}${target.pathname}`,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    }),
  );
}

/** Opens the WebSocket and, the moment `complete` arrives, sends three GETs at once. */
function getsRightAfterComplete(client: ApiClient, id: number, timeoutMs: number) {
  return new Promise<{ complete: any; gets: { status: number; body: any }[] }>((resolve, reject) => {
    const ws = new WebSocket(client.wsUrl('schedule', id));
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no complete within the timeout'));
    }, timeoutMs);
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`schedule failed: ${msg.code} ${msg.message}`));
      }
      if (msg.type !== 'complete') return;
      clearTimeout(timer);
      // As a client of a large schedule reads it (the whole document would not fit one reply in time):
      // the schedule without activities, then the activities page by page.
      Promise.all(
        [1, 2, 3].map(() => client.request('GET', `/schedule/${id}?include_activities=false`)),
      ).then((gets) => resolve({ complete: msg, gets }), reject);
    });
    ws.on('error', reject);
  });
}

describe('complete means readable', () => {
  let platform: any;
  let mongo: any;
  let proxy: { url: string; close: () => Promise<void> } | undefined;
  let client: ApiClient;

  beforeAll(async () => {
    mongo = await startMongoWire();
    proxy = await slowProxy(new URL(mongo.url), 10);
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      solvers: 1,
      mongoUrl: proxy.url,
      stdio: 'ignore',
      // a store given by URL is taken as durable: auth seals its signing key under this key
      env: { RATE_LIMIT_PER_MINUTE: '100000', AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    });
    client = new ApiClient(platform.gatewayUrl);
    await client.registerAndLogin('bulk@example.com');
  });

  afterAll(async () => {
    await platform?.stop();
    await proxy?.close();
    await mongo?.stop();
  });

  test('20,000 lots on 100 lines with downtime, slow store: GET after `complete` shows completed with every activity', async () => {
    const created = await client.request('POST', '/schedule', {
      name: 'at the limits',
      lots_data: inputLimitLots(),
      strategy: 'lpt-pack',
      config: { lines: inputLimitLines(), time_limit_s: 5 },
      start_time: '2026-01-01T06:00:00',
    });
    expect(created.status).toBe(202);
    const id = created.body.id;

    const { complete, gets } = await getsRightAfterComplete(client, id, 540_000);
    expect(complete.result).toMatchObject({ schedule_id: id, lots_scheduled: 20_000 });
    for (const got of gets) {
      expect(got.status).toBe(200);
      expect(got.body.status).toBe('completed');
      expect(got.body.result).not.toBeNull();
      expect(got.body.result.makespan).toBe(complete.result.makespan);
      expect(got.body.result.activity_count).toBeGreaterThan(20_000);
    }
    // …and every activity is there.
    const total = gets[0].body.result.activity_count;
    const activities: { kind: string; lot_id?: string }[] = [];
    while (activities.length < total) {
      const page = await client.request(
        'GET',
        `/schedule/${id}/activities?offset=${activities.length}&limit=${PAGE}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(total);
      expect(page.body.items.length).toBeGreaterThan(0);
      activities.push(...page.body.items);
    }
    const fills = activities.filter((a) => a.kind === 'FILL');
    expect(new Set(fills.map((a) => a.lot_id)).size).toBe(20_000);
    expect(activities.some((a) => a.kind === 'DOWNTIME')).toBe(true);

    // No stored result document comes near MongoDB's 16 MB: the solver's and the owner's chunks alike.
    const conn = await new MongoClient(mongo.url).connect();
    try {
      const largest: Record<string, number> = {};
      for (const [db, name] of RESULT_COLLECTIONS) {
        const docs = await conn.db(db).collection(name).find({}).toArray();
        largest[name] = Math.max(0, ...docs.map((d) => BSON.calculateObjectSize(d)));
      }
      // The figures the report quotes (largest document per collection, bytes of BSON).
      process.stdout.write(`20,000-lot plan, ${total} activities: ${JSON.stringify(largest)}\n`);
      for (const [, name] of RESULT_COLLECTIONS)
        expect(largest[name]).toBeLessThan(2 * RESULT_CHUNK_MAX_BYTES);
      expect(largest.solve_results).toBeGreaterThan(0);
      expect(largest.schedule_results).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
  });
});
