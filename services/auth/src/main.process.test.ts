import { RPC } from '@fillsched/contracts';
import { connectNats, createLogger, createServiceClient } from '@fillsched/service-kit';
import {
  findFreePort,
  spawnServiceProcess,
  startNatsForTests,
  type ServiceProcess,
  type TestNats,
} from '@fillsched/service-kit/testing';
import path from 'node:path';

const MAIN = path.join(__dirname, 'main.ts');

/** The service as its own process, seeing only PATH and `env`. */
const run = (env: Record<string, string>): ServiceProcess =>
  spawnServiceProcess({ main: MAIN, env, inheritEnv: false });

describe('auth main process', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startNatsForTests();
  });
  afterAll(() => nats?.stop());

  it('exits 1 naming a bad variable', async () => {
    const r = run({ NATS_URL: nats.url, REFRESH_TOKEN_EXPIRE_DAYS: 'week' });
    expect(await r.exited).toBe(1);
    const fatal = JSON.parse(r.stderr().trim().split('\n').pop()!) as { level: string; msg: string };
    expect(fatal.level).toBe('fatal');
    expect(fatal.msg).toContain('REFRESH_TOKEN_EXPIRE_DAYS');
  }, 30_000);

  it('serves, warns about non-durable storage, and on SIGTERM answers in-flight requests before exiting 0', async () => {
    const opsPort = await findFreePort();
    const r = run({ NATS_URL: nats.url, OPS_PORT: String(opsPort) });
    try {
      await r.waitFor('auth service ready');
      expect(r.lines.some((l) => l.level === 'warn' && String(l.msg).includes('NOT durable'))).toBe(true);
      const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      expect(ready.status).toBe(200);

      const logger = createLogger('auth-process-test', 'silent');
      const handle = await connectNats({ servers: nats.url, name: 'process-test', logger });
      const client = createServiceClient(handle, 'auth', { timeoutMs: 5000 });
      const body = { email: 'proc@example.com', password: 'SecurePass123!' };
      expect((await client.request(RPC.auth.register, { body })).status).toBe(201);

      // Logins are slow (argon2); fire a few, then SIGTERM while they run: every one is answered.
      const logins = Array.from({ length: 4 }, () =>
        client.request(RPC.auth.login, { body: { username: body.email, password: body.password } }),
      );
      await new Promise((res) => setTimeout(res, 5));
      r.child.kill('SIGTERM');
      const replies = await Promise.all(logins);
      expect(replies.map((x) => x.status)).toEqual([200, 200, 200, 200]);
      expect(await r.exited).toBe(0);
      expect(r.lines.some((l) => l.msg === 'shutdown complete' && l.failed === false)).toBe(true);
      client.close();
      await handle.close();
    } finally {
      r.child.kill('SIGKILL');
    }
  }, 60_000);
});
