import path from 'node:path';
import { RPC } from '@fillsched/contracts';
import { type ServiceClient } from '@fillsched/service-kit';
import {
  startMongoForTests,
  spawnServiceProcess,
  startNatsClientForTests,
  type ServiceProcess,
  type TestNats,
  type TestNatsClient,
} from '@fillsched/service-kit/testing';

jest.setTimeout(60_000);

const spawnService = (env: Record<string, string>): ServiceProcess =>
  spawnServiceProcess({ main: path.join(__dirname, 'main.ts'), env });

let nats: TestNats;
let client: ServiceClient;
let bed: TestNatsClient | undefined;
let svc: ServiceProcess | undefined;

beforeAll(async () => {
  bed = await startNatsClientForTests({ service: 'config', name: 'config-process-test' });
  ({ nats, client } = bed);
});
afterAll(async () => {
  await svc?.stop('SIGKILL');
  await bed?.stop();
});

it('main: starts from env, warns about non-durable storage, serves, is ready, and exits 0 on SIGTERM', async () => {
  svc = spawnService({ NATS_URL: nats.url, OPS_PORT: '0', SHUTDOWN_TIMEOUT_MS: '5000' });
  const ready = await svc.waitForLine((l) => l.msg === 'config service ready');
  expect(svc.lines.some((l) => l.level === 'warn' && /NOT durable/.test(String(l.msg)))).toBe(true);

  const readyz = await fetch(`http://127.0.0.1:${String(ready.ops_port)}/readyz`);
  expect(readyz.status).toBe(200);

  const user = { id: 1, email: 'a@example.com', is_superuser: false };
  const created = await client.request(RPC.config.create, {
    user,
    body: { name: 't', config: { line_count: 2 } },
  });
  expect(created.status).toBe(201);
  const resolved = await client.request(RPC.config.resolve, {
    user,
    body: { config_id: (created.body as { id: number }).id, config: { clean_hours: 1 } },
  });
  expect(resolved.body).toMatchObject({ config: { line_count: 2, clean_hours: 1 } });

  expect(await svc.stop('SIGTERM')).toBe(0);
  expect(svc.lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false });
  svc = undefined;
});

it('main: a bad environment exits 1 naming the variable', async () => {
  svc = spawnService({ NATS_URL: nats.url, SHUTDOWN_TIMEOUT_MS: '-5' });
  const code = await new Promise<number | null>((resolve) => svc!.child.once('exit', resolve));
  expect(code).toBe(1);
  const fatal = JSON.parse(svc.stderr().trim().split('\n').pop()!) as { level: string; problems: unknown[] };
  expect(fatal.level).toBe('fatal');
  expect(fatal.problems).toEqual([expect.objectContaining({ variable: 'SHUTDOWN_TIMEOUT_MS' })]);
  svc = undefined;
});

it('main with MONGO_URL: templates and the default survive a restart; ids continue', async () => {
  const mongo = await startMongoForTests();
  try {
    const user = { id: 9, email: 'm@example.com', is_superuser: false };
    svc = spawnService({ NATS_URL: nats.url, MONGO_URL: mongo.url });
    await svc.waitForLine((l) => l.msg === 'config service ready');
    expect(svc.lines.some((l) => /NOT durable/.test(String(l.msg)))).toBe(false);
    const first = await client.request(RPC.config.create, { user, body: { name: 'kept', config: {} } });
    const id = (first.body as { id: number }).id;
    await client.request(RPC.config.setDefault, { user, params: { id: String(id) } });
    expect(await svc.stop()).toBe(0);

    svc = spawnService({ NATS_URL: nats.url, MONGO_URL: mongo.url });
    await svc.waitForLine((l) => l.msg === 'config service ready');
    expect((await client.request(RPC.config.getDefault, { user })).body).toMatchObject({ id, name: 'kept' });
    const second = await client.request(RPC.config.create, { user, body: { name: 'next', config: {} } });
    expect((second.body as { id: number }).id).toBe(id + 1);
    expect(await svc.stop()).toBe(0);
    svc = undefined;
  } finally {
    await mongo.stop();
  }
});
