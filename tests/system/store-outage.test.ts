/**
 * Issue 12 item 5 (store outage): the config service as its own process on a real MongoDB wire
 * server that is stopped and started again on the same port, behind the gateway over a real NATS.
 * Before: every database-backed call answered 504 after 5 s and /health stayed 200. Now: 503 with
 * Retry-After within about a second, the service's /readyz and the gateway's /health not ready,
 * and both recover by themselves when the store is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import {
  findFreePort,
  findRepoRoot,
  spawnServiceProcess,
  startNatsForTests,
  type ServiceProcess,
  type TestNats,
} from '@fillsched/service-kit/testing';

jest.setTimeout(180_000);

const ROOT = findRepoRoot(__dirname);
let nats: TestNats;
let mongoPort: number;
let mongo: ChildProcess | undefined;
const procs: ServiceProcess[] = [];
let gatewayUrl: string;
let opsUrl: string;
let token: string;

/** The embedded MongoDB wire server on a fixed port, so a restart is the same store address. */
async function startMongo(port: number): Promise<ChildProcess> {
  const root = findRepoRoot();
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'mongo-wire-server.mjs')], {
    cwd: root,
    env: { ...process.env, MONGO_WIRE_PORT: String(port), MONGO_WIRE_EXIT_ON_STDIN_CLOSE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mongo wire server not ready')), 60_000);
    child.once('exit', (code) => reject(new Error(`mongo wire server exited ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"url"')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function stopMongo(): Promise<void> {
  const child = mongo;
  mongo = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL'); // the store vanishes, as in a crash or a network cut
  await exited;
}

const listConfigs = () =>
  fetch(`${gatewayUrl}/api/v1/configs`, { headers: { Authorization: `Bearer ${token}` } });

async function timed(): Promise<{ status: number; ms: number; retryAfter: string | null }> {
  const t0 = performance.now();
  const res = await listConfigs();
  await res.arrayBuffer();
  return {
    status: res.status,
    ms: Math.round(performance.now() - t0),
    retryAfter: res.headers.get('retry-after'),
  };
}

/** Polls until `probe` is true; returns the seconds it took. */
async function until(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  while (!(await probe())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
  return (Date.now() - t0) / 1000;
}
const status = async (url: string) => (await fetch(url)).status;

/** A service's src/main.ts as its own process (from the TypeScript sources). */
async function service(name: string, env: Record<string, string>, ready: string): Promise<ServiceProcess> {
  const p = spawnServiceProcess({
    main: path.join(ROOT, 'services', name, 'src', 'main.ts'),
    env: { NATS_URL: nats.url, LOG_LEVEL: 'info', ...env },
    inheritEnv: false,
    waitTimeoutMs: 90_000,
  });
  procs.push(p);
  await p.waitFor(ready);
  return p;
}

beforeAll(async () => {
  nats = await startNatsForTests();
  mongoPort = await findFreePort();
  mongo = await startMongo(mongoPort);
  const [opsPort, gatewayPort] = [await findFreePort(), await findFreePort()];
  opsUrl = `http://127.0.0.1:${opsPort}`;
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  // auth on its in-memory store (not part of this outage); config on the store that goes away.
  await service('auth', { OPS_PORT: '0' }, 'auth service ready');
  await service(
    'config',
    { MONGO_URL: `mongodb://127.0.0.1:${mongoPort}/`, OPS_PORT: String(opsPort) },
    'config service ready',
  );
  await service(
    'gateway',
    { PORT: String(gatewayPort), HOST: '127.0.0.1', OPS_PORT: '0' },
    'gateway listening',
  );
  const credentials = { email: 'outage@example.com', password: 'Steady-Plan-2026!' };
  await until(async () => (await status(`${gatewayUrl}/health`).catch(() => 0)) === 200);
  const reg = await fetch(`${gatewayUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  expect(reg.status).toBe(201);
  const login = await fetch(`${gatewayUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: credentials.email, password: credentials.password }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
  await stopMongo();
  await nats?.stop();
});

test('store down → fast 503 with Retry-After, not ready; store back → recovers by itself', async () => {
  expect((await timed()).status).toBe(200);
  expect(await status(`${gatewayUrl}/health`)).toBe(200);

  await stopMongo();
  const during: Array<{ status: number; ms: number; retryAfter: string | null }> = [];
  for (let i = 0; i < 5; i++) during.push(await timed());
  process.stdout.write(`store outage: API during the outage ${JSON.stringify(during)}\n`);
  const readyzDownS = await until(async () => (await status(`${opsUrl}/readyz`)) === 503);
  const healthDownS = await until(async () => (await status(`${gatewayUrl}/health`)) === 503);
  const health = (await (await fetch(`${gatewayUrl}/health`)).json()) as { checks: Record<string, boolean> };

  mongo = await startMongo(mongoPort);
  const recoverS = await until(async () => (await listConfigs()).status === 200);
  const readyzUpS = await until(async () => (await status(`${opsUrl}/readyz`)) === 200);
  const healthUpS = await until(async () => (await status(`${gatewayUrl}/health`)) === 200);

  process.stdout.write(
    `store outage: /readyz 503 after ${readyzDownS} s, /health 503 after ` +
      `${healthDownS} s; store back: API 200 after ${recoverS} s, /readyz +${readyzUpS} s, /health +${healthUpS} s\n`,
  );
  for (const r of during) {
    expect(r.status).toBe(503); // never the 504 of a timeout
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(r.ms).toBeLessThan(5000); // answered, not left to the gateway's 5 s timeout
  }
  expect(health.checks.config_store).toBe(false);
  expect(health.checks.nats).toBe(true);
});
