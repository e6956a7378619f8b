import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { installShutdown } from './shutdown';
import { captureLogger } from './test-support/capture';

jest.setTimeout(30000);

interface ChildResult {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  elapsedMs: number;
}

/** Starts the fixture, waits for READY, sends the signals, collects its JSON log lines. */
function runChild(mode: string, signals: NodeJS.Signals[]): Promise<ChildResult> {
  const child = spawn(process.execPath, [path.join(__dirname, 'test-support', 'shutdown-child.js'), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalledAt = 0;
  return new Promise((resolve, reject) => {
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit: ${out}\n${err}`));
    }, 20000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      const before = out;
      out += d;
      if (!before.includes('READY') && out.includes('READY')) {
        signalledAt = Date.now();
        signals.forEach((s, i) => setTimeout(() => child.kill(s), i * 30));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(kill);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, elapsedMs: Date.now() - signalledAt });
    });
  });
}

describe('installShutdown (in a child process)', () => {
  it('on SIGTERM: onBegin, then every step in order, then exit 0; repeated signals are ignored', async () => {
    const r = await runChild('ok', ['SIGTERM', 'SIGTERM', 'SIGINT']);
    expect(r.code).toBe(0);
    const events = r.lines
      .filter((l) => l.event)
      .map((l) => (l.event === 'step-start' ? `step:${String(l.name)}` : String(l.event)));
    expect(events).toEqual([
      'on-begin',
      'step:stop-consuming',
      'step:drain-nats',
      'step:close-mongo',
      'step:close-http',
    ]);
    expect(r.lines.filter((l) => l.msg === 'shutdown started')).toHaveLength(1);
    expect(r.lines.filter((l) => l.msg === 'shutdown already in progress').length).toBeGreaterThanOrEqual(1);
    expect(r.lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ failed: false });
  });

  it('exits 1 when the sequence exceeds its timeout', async () => {
    const r = await runChild('hang', ['SIGTERM']);
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(r.lines.some((l) => l.msg === 'shutdown timed out; exiting')).toBe(true);
    expect(r.lines.some((l) => l.name === 'close-mongo')).toBe(false);
  });

  it('runs the remaining steps after a failing one and exits 1', async () => {
    const r = await runChild('fail', ['SIGINT']);
    expect(r.code).toBe(1);
    expect(r.lines.some((l) => l.msg === 'shutdown step failed' && l.step === 'close-mongo')).toBe(true);
    expect(r.lines.some((l) => l.name === 'close-http')).toBe(true);
  });
});

describe('installShutdown (in process)', () => {
  it('shutdown() is idempotent and uses the injected exit', async () => {
    const { logger } = captureLogger('sd');
    const exits: number[] = [];
    const order: string[] = [];
    const sd = installShutdown({
      logger,
      timeoutMs: 1000,
      signals: [],
      exit: (c) => exits.push(c),
      steps: [{ name: 'a', run: async () => void order.push('a') }],
    });
    await Promise.all([sd.shutdown('test'), sd.shutdown('again')]);
    sd.uninstall();
    expect(order).toEqual(['a']);
    expect(exits).toEqual([0]);
  });
});

describe('installProcessErrorHandlers', () => {
  it('logs an unhandled rejection and keeps running; an uncaught exception is fatal (exit 1)', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, 'test-support', 'errors-child.js')], {
      encoding: 'utf8',
      timeout: 20000,
    });
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(r.status).toBe(1);
    expect(lines.map((l) => l.msg ?? l.event)).toEqual([
      'unhandled promise rejection',
      'still-alive',
      'uncaught exception',
    ]);
    expect(lines[0]).toMatchObject({ level: 'error', err: { message: 'nobody caught me' } });
    expect(lines[2]).toMatchObject({ level: 'fatal', err: { message: 'boom' } });
  });
});
