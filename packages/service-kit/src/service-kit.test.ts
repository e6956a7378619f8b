import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { createServiceClient } from './client';
import { connectNats, type NatsHandle } from './nats';
import { captureLogger } from './test-support/capture';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(30000);

/** The example service (test-support/example-service.ts) as a real process: the wiring end to end. */
describe('example service wiring', () => {
  let nats: TestNats;
  let gw: NatsHandle;
  let child: ChildProcess | undefined;
  const { logger } = captureLogger('gw');

  beforeAll(async () => {
    nats = await startNatsForTests();
    gw = await connectNats({ servers: nats.url, name: 'gw', logger });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await gw?.close();
    await nats?.stop();
  });

  function start(env: Record<string, string>) {
    const c = spawn(
      process.execPath,
      [
        '-r',
        path.join(__dirname, 'test-support', 'swc-register.js'),
        path.join(__dirname, 'test-support', 'example-service.ts'),
      ],
      {
        env: { ...process.env, NATS_URL: nats.url, OPS_PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: Array<Record<string, unknown>> = [];
    readline.createInterface({ input: c.stdout! }).on('line', (l) => {
      if (l.startsWith('{')) lines.push(JSON.parse(l));
    });
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    return { child: c, lines, exited, stderr: () => stderr };
  }

  it('refuses to start with a missing variable, naming it', async () => {
    const svc = start({ GREETING: '' });
    expect(await svc.exited).toBe(1);
    const line = JSON.parse(svc.stderr().trim().split('\n').pop()!);
    expect(line.level).toBe('fatal');
    expect(line.msg).toContain('GREETING');
  });

  it('serves, reports ready, and on SIGTERM turns not-ready, finishes the in-flight request and exits 0', async () => {
    const svc = start({ GREETING: 'Hello' });
    child = svc.child;
    const deadline = Date.now() + 15000;
    while (!svc.lines.some((l) => l.ready) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const opsPort = svc.lines.find((l) => l.ready)!.opsPort as number;

    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect(ready.status).toBe(200);
    const client = createServiceClient(gw, 'example', { timeoutMs: 5000 });
    try {
      expect(await client.request('example.rpc.greet', { params: { name: 'Ada' } })).toEqual({
        status: 200,
        body: { greeting: 'Hello, Ada' },
      });

      const inflight = client.request('example.rpc.greet', {
        params: { name: 'slow' },
        query: { delayMs: '400' },
      });
      await new Promise((r) => setTimeout(r, 100));
      svc.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
      // The ops server closes last, so /readyz is still answering, with 503.
      const draining = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      expect(draining.status).toBe(503);
      expect((await draining.json()).failing).toContain('not_draining');
      // Acknowledged work is not lost: the request accepted before SIGTERM is answered.
      expect(await inflight).toEqual({ status: 200, body: { greeting: 'Hello, slow' } });
      expect(await svc.exited).toBe(0);
      expect(svc.lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false });
      child = undefined;
    } finally {
      client.close();
    }
  });
});
