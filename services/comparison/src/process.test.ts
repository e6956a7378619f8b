import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { RPC } from '@fillsched/contracts';
import { publishEvent, type NatsHandle, type ServiceClient } from '@fillsched/service-kit';
import {
  startMongoForTests,
  spawnServiceProcess,
  startNatsClientForTests,
  type ServiceProcess,
  type TestNats,
  type TestNatsClient,
} from '@fillsched/service-kit/testing';
import { lifecycleEvent } from './testing-fakes';

jest.setTimeout(60_000);

const spawnService = (env: Record<string, string>): ServiceProcess =>
  spawnServiceProcess({ main: path.join(__dirname, 'main.ts'), env });

let nats: TestNats;
let conn: NatsHandle;
let client: ServiceClient;
let bed: TestNatsClient | undefined;
let svc: ServiceProcess | undefined;

beforeAll(async () => {
  bed = await startNatsClientForTests({ service: 'comparison', name: 'comparison-process-test' });
  ({ nats, conn, client } = bed);
});
afterAll(async () => {
  await svc?.stop('SIGKILL');
  await bed?.stop();
});

it('main: starts from env, warns about non-durable storage, serves, is ready, and exits 0 on SIGTERM', async () => {
  svc = spawnService({ NATS_URL: nats.url, OPS_PORT: '0', SHUTDOWN_TIMEOUT_MS: '5000' });
  const ready = await svc.waitForLine((l) => l.msg === 'comparison service ready');
  expect(svc.lines.some((l) => l.level === 'warn' && /non-durable/.test(String(l.msg)))).toBe(true);

  const readyz = await fetch(`http://127.0.0.1:${String(ready.ops_port)}/readyz`);
  expect(readyz.status).toBe(200);

  const user = { id: 1, email: 'a@example.com', is_superuser: false };
  const created = await client.request(RPC.comparison.create, {
    user,
    body: {
      name: 'p',
      lots_data: [{ lot_id: 'L1', type: 'A', vials: 1000 }],
      strategies: ['smart-pack', 'lpt-pack'],
    },
  });
  expect(created.status).toBe(202);

  expect(await svc.stop('SIGTERM')).toBe(0);
  const msgs = svc.lines.map((l) => l.msg);
  expect(msgs).toContain('shutdown complete');
  expect(svc.lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false });
  svc = undefined;
});

it('main: a bad environment exits 1 naming the variable', async () => {
  svc = spawnService({ NATS_URL: nats.url, OPS_PORT: 'not-a-port' });
  const code = await new Promise<number | null>((resolve) => svc!.child.once('exit', resolve));
  expect(code).toBe(1);
  const fatal = JSON.parse(svc.stderr().trim().split('\n').pop()!) as { level: string; problems: unknown[] };
  expect(fatal.level).toBe('fatal');
  expect(fatal.problems).toEqual([expect.objectContaining({ variable: 'OPS_PORT' })]);
  svc = undefined;
});

it('main with MONGO_URL: comparisons survive a restart, ids continue, events are applied after it', async () => {
  const mongo = await startMongoForTests();
  try {
    const user = { id: 9, email: 'm@example.com', is_superuser: false };
    const body = {
      name: 'kept',
      lots_data: [{ lot_id: 'L1', type: 'A', vials: 1000 }],
      strategies: ['cfs-pack', 'hybrid-pack'],
    };
    svc = spawnService({ NATS_URL: nats.url, MONGO_URL: mongo.url });
    await svc.waitForLine((l) => l.msg === 'comparison service ready');
    expect(svc.lines.some((l) => /non-durable/.test(String(l.msg)))).toBe(false);
    const first = await client.request(RPC.comparison.create, { user, body });
    expect(first.status).toBe(202);
    const id = (first.body as { id: number }).id;
    expect(await svc.stop()).toBe(0);

    // While the service is down the solver pool reports both strategies; the durable consumer keeps them.
    const js = jetstream(conn.nc);
    for (const [stage, strategy] of [
      ['completed', 'cfs-pack'],
      ['failed', 'hybrid-pack'],
    ] as const) {
      const e = lifecycleEvent(stage, id, strategy, { userId: user.id });
      await publishEvent(js, e.subject, e.event);
    }

    svc = spawnService({ NATS_URL: nats.url, MONGO_URL: mongo.url });
    await svc.waitForLine((l) => l.msg === 'comparison service ready');
    const deadline = Date.now() + 10_000;
    let got = await client.request(RPC.comparison.get, { user, params: { id: String(id) } });
    while ((got.body as { status: string }).status !== 'completed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      got = await client.request(RPC.comparison.get, { user, params: { id: String(id) } });
    }
    expect(got.body).toMatchObject({ name: 'kept', status: 'completed', best_strategy: 'cfs-pack' });
    const second = await client.request(RPC.comparison.create, { user, body });
    expect((second.body as { id: number }).id).toBe(id + 1);
    expect(await svc.stop()).toBe(0);
    svc = undefined;
  } finally {
    await mongo.stop();
  }
});
