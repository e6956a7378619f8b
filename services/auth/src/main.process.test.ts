import { RPC } from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  createServiceClient,
  findFreePort,
  startNatsForTests,
  type TestNats,
} from '@fillsched/service-kit';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const CHILD = path.join(__dirname, 'test-support', 'main-child.js');

interface Run {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [CHILD], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
      waiters.forEach((w) => w());
    } catch {
      /* not a log line */
    }
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor(msg, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => l.msg === msg);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(
          () => reject(new Error(`no "${msg}" log line; stderr: ${err.slice(-1000)}`)),
          timeoutMs,
        );
        waiters.push(check);
        check();
        void exited.then(() => setTimeout(check, 50));
      });
    },
  };
}

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
