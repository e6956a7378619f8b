import type { Connection } from 'mongoose';
import { healthSubject, type ServiceName } from '@fillsched/contracts';
import type { Logger } from './logging';
import {
  MemoryIdAllocator,
  MongoIdAllocator,
  connectMongo,
  mongoReady,
  type IdAllocator,
  type IdBlockSource,
} from './mongo';
import type { NatsHandle } from './nats';
import { startOpsServer, type OpsServer, type ReadinessCheck } from './ops';
import { serveRequests, type Responder } from './responder';
import { UNAVAILABLE_RETRY_AFTER_S } from './unavailable';
import { installShutdown, type ShutdownStep } from './shutdown';
import { flushTracesStep } from './tracing';

/**
 * The end of every service's main.ts once its responders are up: the ops server (ready while NATS
 * and, if used, MongoDB are, plus the service's own checks), the SIGTERM sequence, `begin` (work
 * that starts only once it can be stopped cleanly), then the "ready" log line. The sequence: not
 * ready → `stop` (stop taking work, finish the work in hand) → drain NATS → `release` → close
 * MongoDB → close the ops server → flush traces, so no acknowledged work is lost.
 */
export async function serveUntilShutdown(opts: {
  logger: Logger;
  env: { OPS_PORT: number; SHUTDOWN_TIMEOUT_MS: number };
  nats: NatsHandle;
  mongo?: Connection;
  /** Stops taking work and lets the work in hand finish: steps in order, or just the responders to stop. */
  stop: ShutdownStep | ShutdownStep[] | Responder[];
  /** Resources freed once NATS is drained and before MongoDB closes (e.g. worker threads). */
  release?: ShutdownStep[];
  /** The service's own readiness checks; one named like a built-in (nats, mongo) is not added twice. */
  readiness?: ReadinessCheck[];
  /** Called first when shutdown begins, after /readyz turned 503. */
  onBegin?: () => void;
  /** Extra time for the sequence beyond SHUTDOWN_TIMEOUT_MS (e.g. when `stop` itself waits that long). */
  extraTimeoutMs?: number;
  /** Starts taking work (e.g. pulling jobs) once a SIGTERM can stop it cleanly; the ready line follows. */
  begin?: () => Promise<void>;
  ready: { msg: string; fields?: Record<string, unknown> };
  /** Also answer healthSubject(service) with the readiness checks (the gateway's /health asks it). */
  service?: ServiceName;
}): Promise<OpsServer> {
  const { logger, nats, mongo } = opts;
  const storeChecks = [
    { name: 'nats', check: () => nats.isConnected() },
    ...(mongo ? [{ name: 'mongo', check: () => mongoReady(mongo) }] : []),
  ];
  const builtIn: ReadinessCheck[] = storeChecks;
  const own = (opts.readiness ?? []).filter((c) => !builtIn.some((b) => b.name === c.name));
  const ops = await startOpsServer({ port: opts.env.OPS_PORT, logger, readiness: [...builtIn, ...own] });
  const health = opts.service ? serveHealth(nats, logger, opts.service, storeChecks) : undefined;
  installShutdown({
    logger,
    timeoutMs: opts.env.SHUTDOWN_TIMEOUT_MS + (opts.extraTimeoutMs ?? 0),
    onBegin: () => {
      ops.setDraining();
      opts.onBegin?.();
    },
    steps: [
      ...stopSteps(opts.stop),
      ...(health ? [stopResponders([health])] : []),
      { name: 'drain NATS', run: () => nats.drain() },
      ...(opts.release ?? []),
      { name: 'close MongoDB', run: async () => void (await mongo?.close()) },
      { name: 'close ops server', run: () => ops.close() },
      flushTracesStep(),
    ],
  });
  await opts.begin?.();
  logger.info({ ops_port: ops.port, ...opts.ready.fields }, opts.ready.msg);
  return ops;
}

function stopSteps(stop: ShutdownStep | ShutdownStep[] | Responder[]): ShutdownStep[] {
  if (!Array.isArray(stop)) return [stop];
  const items: Array<ShutdownStep | Responder> = stop;
  const steps = items.filter((s): s is ShutdownStep => 'run' in s);
  return steps.length === items.length ? steps : [stopResponders(stop as Responder[])];
}

/**
 * Answers healthSubject(service): 200 `{ checks }` while every check passes, else 503 with the
 * checks and Retry-After. Lets the gateway's /health report a replica whose store is down.
 */
export function serveHealth(
  nats: NatsHandle,
  logger: Logger,
  service: ServiceName,
  checks: Array<{ name: string; check(): boolean }>,
): Responder {
  return serveRequests(nats, logger, {
    subject: healthSubject(service),
    queue: service,
    handler: async () => {
      const results = Object.fromEntries(checks.map((c) => [c.name, c.check()]));
      return Object.values(results).every(Boolean)
        ? { status: 200, body: { checks: results } }
        : {
            status: 503,
            body: { detail: `Service not ready: ${service}`, checks: results },
            headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
          };
    },
  });
}

function stopResponders(responders: Responder[]): ShutdownStep {
  return {
    name: 'stop responders',
    run: async () => void (await Promise.all(responders.map((r) => r.stop()))),
  };
}

/**
 * A service's storage: its own database `fillsched_<service>` on the MONGO_URL server, or, without
 * MONGO_URL, in-memory stores and a warning saying what a restart loses. Ids come from the same place.
 */
export async function openStores<T>(opts: {
  service: string;
  env: { MONGO_URL?: string };
  logger: Logger;
  mongo: (conn: Connection) => T | Promise<T>;
  memory: () => T;
  memoryWarning: string;
}): Promise<{ stores: T; ids: IdAllocator & IdBlockSource; mongo?: Connection }> {
  const url = opts.env.MONGO_URL;
  if (url) {
    const mongo = await connectMongo({ url, logger: opts.logger, dbName: `fillsched_${opts.service}` });
    return { mongo, stores: await opts.mongo(mongo), ids: new MongoIdAllocator(mongo) };
  }
  opts.logger.warn(opts.memoryWarning);
  return { stores: opts.memory(), ids: new MemoryIdAllocator() };
}
