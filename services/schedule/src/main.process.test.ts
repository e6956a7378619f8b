/**
 * src/main.ts as its own process (from the TypeScript sources): env validation, readiness, and
 * the SIGTERM sequence answering a request in flight before exiting 0.
 */
import path from 'node:path';
import { RPC } from '@fillsched/contracts';
import { connectNats, createLogger, decodeJson, encodeJson, type RpcReply } from '@fillsched/service-kit';
import {
  findFreePort,
  spawnServiceProcess,
  startNatsForTests,
  type ServiceProcess,
  type TestNats,
} from '@fillsched/service-kit/testing';

const MAIN = path.join(__dirname, 'main.ts');

/** The service as its own process, seeing only PATH and `env`. */
const run = (env: Record<string, string>): ServiceProcess =>
  spawnServiceProcess({ main: MAIN, env, inheritEnv: false, waitTimeoutMs: 30_000 });

let nats: TestNats;
beforeAll(async () => {
  nats = await startNatsForTests();
});
afterAll(() => nats?.stop());

test('a bad variable stops the process with a message naming it', async () => {
  const r = run({ NATS_URL: nats.url, OPS_PORT: 'eighty' });
  expect(await r.exited).toBe(1);
  const fatal = JSON.parse(r.stderr().trim().split('\n').pop()!) as { level: string; msg: string };
  expect(fatal.level).toBe('fatal');
  expect(fatal.msg).toContain('OPS_PORT');
}, 30_000);

test('ready with non-durable storage; SIGTERM answers the request in flight, then exits 0', async () => {
  const opsPort = await findFreePort();
  const r = run({ NATS_URL: nats.url, OPS_PORT: String(opsPort) });
  const handle = await connectNats({
    servers: nats.url,
    name: 'process-test',
    logger: createLogger('schedule-process-test', 'silent'),
  });
  try {
    await r.waitFor('schedule service ready');
    expect(r.lines.some((l) => l.level === 'warn' && /non-durable/.test(String(l.msg)))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status).toBe(200);

    // A slow config service keeps a create in flight while SIGTERM arrives.
    let resolveCalls = 0;
    handle.nc.subscribe(RPC.config.resolve, {
      callback: (_e, msg) => {
        resolveCalls++;
        setTimeout(
          () => msg.respond(encodeJson({ status: 200, body: { config: {}, template_id: null } })),
          700,
        );
      },
    });
    await handle.nc.flush();
    const pending = handle.nc.request(
      RPC.schedule.create,
      encodeJson({
        user: { id: 1, email: 'a@example.com', is_superuser: false },
        body: { name: 'in flight', lots_data: [{ lot_id: 'L1', type: 'A', vials: 100, priority: 0 }] },
      }),
      { timeout: 10_000 },
    );
    while (resolveCalls === 0) await new Promise((res) => setTimeout(res, 10));
    r.child.kill('SIGTERM');
    const reply = decodeJson<RpcReply>((await pending).data);
    expect(reply.status).toBe(202);
    expect(await r.exited).toBe(0);
    expect(r.lines.some((l) => l.msg === 'shutdown complete' && l.failed === false)).toBe(true);
  } finally {
    r.child.kill('SIGKILL');
    await handle.close();
  }
}, 60_000);
