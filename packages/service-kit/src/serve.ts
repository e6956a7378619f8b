import type { Connection } from 'mongoose';
import type { Logger } from './logging';
import { MemoryIdAllocator, MongoIdAllocator, connectMongo, mongoReady, type IdAllocator } from './mongo';
import type { NatsHandle } from './nats';
import { startOpsServer, type OpsServer, type ReadinessCheck } from './ops';
import type { Responder } from './responder';
import { installShutdown, type ShutdownStep } from './shutdown';
import { flushTracesStep } from './tracing';

/**
 * The end of a service's main.ts once its work is running: the ops server (ready while NATS and,
 * if used, MongoDB are), the "ready" log line, and the SIGTERM sequence — not ready → `stop` (stop
 * taking work, finish the work in hand) → drain NATS → close MongoDB → close the ops server → flush traces — so
 * no acknowledged work is lost.
 */
export async function serveUntilShutdown(opts: {
  logger: Logger;
  env: { OPS_PORT: number; SHUTDOWN_TIMEOUT_MS: number };
  nats: NatsHandle;
  mongo?: Connection;
  /** Stops taking work and lets the work in hand finish: a step, or just the responders to stop. */
  stop: ShutdownStep | Responder[];
  ready: { msg: string; fields?: Record<string, unknown> };
  /** Further readiness checks of the service's own dependencies (e.g. the bridge's Kafka). */
  readiness?: ReadinessCheck[];
}): Promise<OpsServer> {
  const { logger, nats, mongo } = opts;
  const ops = await startOpsServer({
    port: opts.env.OPS_PORT,
    logger,
    readiness: [
      { name: 'nats', check: () => nats.isConnected() },
      ...(mongo ? [{ name: 'mongo', check: () => mongoReady(mongo) }] : []),
      ...(opts.readiness ?? []),
    ],
  });
  logger.info({ ops_port: ops.port, ...opts.ready.fields }, opts.ready.msg);
  installShutdown({
    logger,
    timeoutMs: opts.env.SHUTDOWN_TIMEOUT_MS,
    onBegin: () => ops.setDraining(),
    steps: [
      Array.isArray(opts.stop) ? stopResponders(opts.stop) : opts.stop,
      { name: 'drain NATS', run: () => nats.drain() },
      { name: 'close MongoDB', run: async () => void (await mongo?.close()) },
      { name: 'close ops server', run: () => ops.close() },
      flushTracesStep(),
    ],
  });
  return ops;
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
}): Promise<{ stores: T; ids: IdAllocator; mongo?: Connection }> {
  const url = opts.env.MONGO_URL;
  if (url) {
    const mongo = await connectMongo({ url, logger: opts.logger, dbName: `fillsched_${opts.service}` });
    return { mongo, stores: await opts.mongo(mongo), ids: new MongoIdAllocator(mongo) };
  }
  opts.logger.warn(opts.memoryWarning);
  return { stores: opts.memory(), ids: new MemoryIdAllocator() };
}
