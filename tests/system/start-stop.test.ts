// `npm start` as a person uses it (issue 15, item 6): the launcher prints one banner, then the
// services log; Ctrl-C at a terminal sends SIGINT to the whole foreground process group, and the
// launcher must still stop the services first and NATS and the store after them, so no service
// fails to drain NATS, and end with `platform stopped`. Real processes, real nats-server.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

interface Output {
  stdout: string[];
  stderr: string[];
}

function parse(line: string): Record<string, any> | null {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function until(out: string[], pred: (line: string) => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (out.some(pred)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

function canConnect(url: string): Promise<boolean> {
  const u = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

describe('npm start: banner, then Ctrl-C stops services before NATS and the store', () => {
  let launcher: ChildProcess;
  const out: Output = { stdout: [], stderr: [] };
  let exit: Promise<number | null>;

  beforeAll(() => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SOLVERS: '1' };
    // no NATS_URL / MONGO_URL: a private nats-server and the embedded store, as on a fresh machine
    // and no KAFKA_BROKERS: without it `npm start` runs exactly these services (no events bridge)
    for (const k of ['NATS_URL', 'MONGO_URL', 'LOG_FORMAT', 'SERVICE_INSTANCE', 'KAFKA_BROKERS'])
      delete env[k];
    // detached = a new process group with the launcher as leader, like a shell's foreground job
    launcher = spawn(process.execPath, ['scripts/start-platform.js'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: launcher.stdout! }).on('line', (l) => out.stdout.push(l));
    readline.createInterface({ input: launcher.stderr! }).on('line', (l) => out.stderr.push(l));
    exit = new Promise((resolve) => launcher.once('exit', (code) => resolve(code)));
  });

  afterAll(() => {
    // only if a check failed before the clean stop: leave nothing running
    if (launcher.exitCode === null) process.kill(-launcher.pid!, 'SIGKILL');
  });

  let natsUrl = '';

  test('prints one banner with the API, docs, NATS and store before the platform is ready', async () => {
    const ready = (l: string) => parse(l)?.msg === 'platform ready';
    await until(out.stderr, ready, 90_000, 'platform ready');
    const text = out.stderr.join('\n');
    const bannerAt = out.stderr.findIndex((l) => l.includes('Filling Scheduler'));
    expect(bannerAt).toBeGreaterThanOrEqual(0);
    expect(bannerAt).toBeLessThan(out.stderr.findIndex(ready));
    expect(text.split('Filling Scheduler')).toHaveLength(2);
    expect(text).toMatch(/^ {2}API +http:\/\/localhost:\d+\/api\/v1$/m);
    expect(text).toMatch(/^ {2}docs +http:\/\/localhost:\d+\/docs/m);
    expect(text).toMatch(/^ {2}console +http:\/\/localhost:\d+\/console\//m);
    expect(text).toMatch(/^ {2}store +mongodb:\/\/\S+ .*NOT durable/m);
    natsUrl = /^ {2}NATS +(nats:\/\/\S+)/m.exec(text)![1];
    expect(await canConnect(natsUrl)).toBe(true);
  });

  test('services log JSON when piped, with one instance key per line', () => {
    const lines = out.stdout.filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(parse(l)).not.toBeNull();
      expect(l.split('"instance":')).toHaveLength(2);
    }
    expect(lines.some((l) => parse(l)?.msg === 'solver worker ready')).toBe(true);
  });

  test('SIGINT to the process group: services exit first, then NATS and the store, then "platform stopped"', async () => {
    process.kill(-launcher.pid!, 'SIGINT');
    expect(await exit).toBe(0);

    const platformLines = out.stderr.map(parse).filter((j) => j?.service === 'platform');
    const stopped = platformLines.filter((j) => j!.msg === 'stopped').map((j) => j!);
    const names = stopped.map((s) => s.process);
    const infra = ['store', 'nats-server'];
    const services = names.filter((n) => !infra.includes(n));
    expect(services.sort()).toEqual(['auth', 'comparison', 'config', 'gateway', 'schedule', 'solver-1']);
    expect(names[0]).toBe('gateway');
    // the infrastructure is stopped only after every service has exited
    expect(names.slice(-2).sort()).toEqual(infra.sort());
    // each service shut down by itself (exit 0), not killed with its NATS connection gone
    for (const s of stopped.filter((x) => !infra.includes(x.process)))
      expect({ process: s.process, code: s.code, signal: s.signal }).toEqual({
        process: s.process,
        code: 0,
        signal: null,
      });
    expect(platformLines[platformLines.length - 1]!.msg).toBe('platform stopped');

    const failures = out.stdout.map(parse).filter((j) => j && /failed/.test(String(j.msg)));
    expect(failures).toEqual([]);
    expect(out.stdout.join('\n')).not.toMatch(/drain NATS.*failed/);
    expect(await canConnect(natsUrl)).toBe(false);
  });
});
