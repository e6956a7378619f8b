/**
 * Test helpers: real NATS and MongoDB wire servers as child processes. Always pair with
 * `afterAll(() => server.stop())`; children are also killed when the test process exits, so a
 * failing or aborted test does not leak servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { createServiceClient, type ServiceClient } from './client';
import { createLogger } from './logging';
import { connectNats, type NatsHandle } from './nats';
import type { RpcReply, RpcRequest } from './rpc';

// Synchronous last-resort cleanup when the test process exits without calling stop()
// (a crash, process.exit, an aborted run): kill the servers and remove their temp dirs.
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;
function onProcessExit(fn: () => void): () => void {
  exitCleanups.add(fn);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const cleanup of exitCleanups) {
        try {
          cleanup();
        } catch {
          /* best effort */
        }
      }
    });
  }
  return () => exitCleanups.delete(fn);
}

function track(child: ChildProcess, dir?: string): () => void {
  const unregister = onProcessExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  child.once('exit', () => {
    if (!dir) unregister(); // a dir still needs removing, by stop() or at exit
  });
  return unregister;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestNats {
  url: string;
  port: number;
  storeDir: string;
  stop(): Promise<void>;
}

/** The part of tests/peers/nats.js used here (that module decides which nats-server binary runs). */
interface NatsPeer {
  start(opts: { port?: number; readyTimeoutMs?: number }): Promise<TestNats>;
}

function natsPeer(): NatsPeer {
  // Loaded at run time from the repo: the peer harness lives outside this package.
  return require(path.join(findRepoRoot(), 'tests', 'peers', 'nats.js')) as NatsPeer;
}

/**
 * Starts a private nats-server with JetStream on a free (or the given) port in a fresh temp
 * dir. Pass `port` to restart a stopped server at the same address (reconnect tests). The binary
 * is the one the NATS peer chooses for this run: $FILLSCHED_NATS_SERVER (set by `npm test` for its
 * pass against the current release), else Debian's floor on PATH.
 */
export async function startNatsForTests(
  opts: { port?: number; readyTimeoutMs?: number } = {},
): Promise<TestNats> {
  const server = await natsPeer().start({ port: opts.port, readyTimeoutMs: opts.readyTimeoutMs });
  return { url: server.url, port: server.port, storeDir: server.storeDir, stop: () => server.stop() };
}

/** Walks up from this file to the repo root (the folder holding scripts/mongo-wire-server.mjs). */
export function findRepoRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'scripts', 'mongo-wire-server.mjs'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`scripts/mongo-wire-server.mjs not found above ${start}`);
    dir = parent;
  }
}

/** Which MongoDB wire server a test runs against. */
export type MongoKind = 'embedded' | 'mongodb' | 'ferretdb';

export interface TestMongo {
  /** Includes a fresh database name, so tests sharing a server do not see each other's data. */
  url: string;
  dbName: string;
  /** True when running against MONGO_URL (a real MongoDB) rather than a server started here. */
  external: boolean;
  kind: MongoKind;
  stop(): Promise<void>;
}

function withDb(baseUrl: string, dbName: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
}

/**
 * MONGO_URL set → that server with a fresh random database (dropped on stop); otherwise the
 * embedded wire-protocol server from scripts/mongo-wire-server.mjs as a child process.
 */
export async function startMongoForTests(opts: { readyTimeoutMs?: number } = {}): Promise<TestMongo> {
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  const external = process.env.MONGO_URL;
  if (external) {
    let stopped = false;
    return {
      url: withDb(external, dbName),
      dbName,
      external: true,
      kind: 'mongodb',
      async stop() {
        if (stopped) return;
        stopped = true;
        // Best effort: leave the shared server as we found it.
        const mongoose = await import('mongoose');
        const conn = mongoose.createConnection(withDb(external, dbName), { serverSelectionTimeoutMS: 3000 });
        try {
          await conn.asPromise();
          await conn.dropDatabase();
        } catch {
          /* ignore */
        } finally {
          await conn.close().catch(() => undefined);
        }
      },
    };
  }

  const root = findRepoRoot();
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'mongo-wire-server.mjs')], {
    cwd: root,
    env: { ...process.env, MONGO_WIRE_EXIT_ON_STDIN_CLOSE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  const rl = readline.createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`mongo wire server not ready: ${stderr.slice(-2000)}`)),
        opts.readyTimeoutMs ?? 60_000,
      );
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`mongo wire server exited ${code}: ${stderr.slice(-2000)}`)),
      );
      rl.on('line', (line) => {
        const t = line.trim();
        if (!t.startsWith('{')) return; // the library may print banners first
        try {
          const parsed = JSON.parse(t) as { url?: unknown };
          if (typeof parsed.url === 'string') resolve(parsed.url);
        } catch {
          /* not our line */
        }
      });
    });
    // Keep draining stdout so a chatty server never blocks on a full pipe.
    child.stdout?.resume();
    let stopped = false;
    return {
      url: withDb(baseUrl, dbName),
      dbName,
      external: false,
      kind: 'embedded',
      async stop() {
        if (stopped) return;
        stopped = true;
        rl.close();
        child.kill('SIGTERM');
        await waitExit(child, 3000);
      },
    };
  } catch (err) {
    rl.close();
    child.kill('SIGKILL');
    await waitExit(child, 2000);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** What tests use of tests/peers/ferretdb.js (a plain CommonJS module shared with scripts). */
interface FerretDbPeer {
  availability(): { ok: true } | { ok: false; reason: string };
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

function loadPeer<T>(file: string): T {
  return require(path.join(findRepoRoot(), 'tests', 'peers', file)) as T;
}

/**
 * A fresh FerretDB (tests/peers/ferretdb.js: SQLite backend in a temp dir, free loopback port)
 * with a fresh database name. Unlike the embedded server it enforces unique indexes.
 */
export async function startFerretDbForTests(): Promise<TestMongo> {
  const server = await loadPeer<FerretDbPeer>('ferretdb.js').start();
  const dbName = `test_${randomBytes(6).toString('hex')}`;
  return { url: withDb(server.url, dbName), dbName, external: false, kind: 'ferretdb', stop: server.stop };
}

/** One MongoDB wire server a mongoose suite runs against. */
export interface MongoTarget {
  kind: MongoKind;
  /** Concurrent inserts of one unique key end in one success and E11000s (not so on the embedded server). */
  enforcesUniqueIndexes: boolean;
  /**
   * A conditional single-document update (updateOne / findOneAndUpdate with a filter, `$inc`) is
   * atomic, as MongoDB guarantees. Not on FerretDB 1.24: it finds the document, applies the update
   * in Go and writes the whole document back by _id without re-checking the filter, so racing
   * updates of one document can all "win" or overwrite each other. Race tests that rely on it
   * are skipped there.
   */
  atomicUpdates: boolean;
  start(): Promise<TestMongo>;
}

/**
 * The servers each mongoose contract suite runs against: the usual one (MONGO_URL, else the
 * embedded wire server) and FerretDB, the most real MongoDB peer we can run. FerretDB not built:
 * with CI=true this throws (the suite fails with the reason); elsewhere one line on stderr and
 * its run is left out. Call at collection time: `describe.each(mongoTargetsForTests())(…)`.
 */
export function mongoTargetsForTests(): MongoTarget[] {
  const usual: MongoTarget = {
    kind: process.env.MONGO_URL ? 'mongodb' : 'embedded',
    enforcesUniqueIndexes: !!process.env.MONGO_URL,
    atomicUpdates: true, // MongoDB; the embedded server runs one command at a time
    start: () => startMongoForTests(),
  };
  const ferret = loadPeer<FerretDbPeer>('ferretdb.js').availability();
  if (!ferret.ok) {
    const { peerUnavailable } = loadPeer<{ peerUnavailable(peer: string, reason: string): boolean }>(
      'common.js',
    );
    peerUnavailable('ferretdb', ferret.reason);
    return [usual];
  }
  return [
    usual,
    { kind: 'ferretdb', enforcesUniqueIndexes: true, atomicUpdates: false, start: startFerretDbForTests },
  ];
}

export interface ServiceProcess {
  child: ChildProcess;
  /** The JSON log lines written to stdout so far. */
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the exit code once the process has exited and its output has been read. */
  exited: Promise<number | null>;
  /** Resolves with the first log line matching; rejects after timeoutMs or when the process ends first. */
  waitForLine(
    match: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** `waitForLine` for the line whose `msg` is exactly `msg`. */
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal (SIGKILL after 15 s) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs a service's `src/main.ts` as its own process from the TypeScript sources (no build), with
 * `@fillsched/*` mapped to the workspace sources. LOG_LEVEL defaults to info; with
 * `inheritEnv: false` the child sees only PATH and `env`, so no stray variable of the test run leaks in.
 */
export function spawnServiceProcess(opts: {
  main: string;
  env: Record<string, string>;
  inheritEnv?: boolean;
  /** Default timeout of waitForLine/waitFor; 20 s. */
  waitTimeoutMs?: number;
}): ServiceProcess {
  // From src/ or dist/ alike: the hook lives with the sources.
  const register = path.resolve(__dirname, '..', 'src', 'test-support', 'workspace-register.js');
  const base = opts.inheritEnv === false ? { PATH: process.env.PATH ?? '' } : process.env;
  const child = spawn(process.execPath, ['-r', register, opts.main], {
    env: { ...base, LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.trim().startsWith('{')) return;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return; // not a log line
    }
    waiters.forEach((w) => w());
  });
  // 'close' comes after stdout and stderr are fully read, so nothing the process wrote is missed.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const unregister = onProcessExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  void exited.then(unregister);

  const waitForLine: ServiceProcess['waitForLine'] = (match, timeoutMs = opts.waitTimeoutMs ?? 20_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = lines.find(match);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        }
        return hit !== undefined;
      };
      const timer = setTimeout(
        () => reject(new Error(`no matching log line; stderr: ${stderr.slice(-2000)}`)),
        timeoutMs,
      );
      if (check()) return;
      waiters.push(() => void check());
      void exited.then(() => {
        if (!check()) {
          clearTimeout(timer);
          reject(new Error(`process exited; stderr: ${stderr.slice(-2000)}`));
        }
      });
    });

  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine,
    waitFor: (msg, timeoutMs) => waitForLine((l) => l.msg === msg, timeoutMs),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A ServiceClient whose replies are scripted per call (a returned Error is thrown); records the calls. */
export function scriptedServiceClient(answer: (subject: string, payload: RpcRequest) => RpcReply | Error) {
  const calls: Array<{ subject: string; payload: RpcRequest; timeoutMs?: number }> = [];
  const client = {
    service: 'fake',
    breaker: undefined as never,
    close: () => undefined,
    async request(subject: string, payload: RpcRequest, opts?: { timeoutMs?: number }) {
      calls.push({ subject, payload, timeoutMs: opts?.timeoutMs });
      const a = answer(subject, payload);
      if (a instanceof Error) throw a;
      return a;
    },
  } satisfies ServiceClient;
  return { client, calls };
}

export interface TestNatsClient {
  nats: TestNats;
  /** The test's own connection (to publish, subscribe, or stand in for other services). */
  conn: NatsHandle;
  /** A breaker client towards `service`, as the gateway would call it. */
  client: ServiceClient;
  /** Closes the client and the connection, then stops the server. */
  stop(): Promise<void>;
}

/** A fresh nats-server with one connection and a service client on it: the caller's side of RPC tests. */
export async function startNatsClientForTests(opts: {
  service: string;
  name: string;
  timeoutMs?: number;
}): Promise<TestNatsClient> {
  const nats = await startNatsForTests();
  const logger = createLogger(opts.name, 'silent');
  const conn = await connectNats({ servers: nats.url, name: opts.name, logger });
  const client = createServiceClient(conn, opts.service, { timeoutMs: opts.timeoutMs ?? 5000 });
  return {
    nats,
    conn,
    client,
    async stop() {
      client.close();
      await conn.close();
      await nats.stop();
    },
  };
}
