import {
  baseEnvSchema,
  connectMongo,
  connectNats,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  installShutdown,
  loadConfig,
  MemoryIdAllocator,
  MongoIdAllocator,
  mongoReady,
  serveRequests,
  startOpsServer,
  type ReadinessCheck,
  type Responder,
} from '@fillsched/service-kit';
import type { Connection } from 'mongoose';
import { createConfigApp } from './app';
import { MemoryTemplateRepository, MemoryUserDefaultsRepository } from './adapters/memory';
import { MongooseTemplateRepository, MongooseUserDefaultsRepository } from './adapters/mongoose';

const SERVICE = 'config';
const envSchema = baseEnvSchema;

async function main(): Promise<void> {
  const env = loadConfig(envSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  installProcessErrorHandlers(logger);

  let mongo: Connection | undefined;
  const readiness: ReadinessCheck[] = [];
  let deps;
  if (env.MONGO_URL) {
    mongo = await connectMongo({ url: env.MONGO_URL, logger, dbName: `fillsched_${SERVICE}` });
    const conn = mongo;
    readiness.push({ name: 'mongo', check: () => mongoReady(conn) });
    deps = {
      templates: new MongooseTemplateRepository(conn),
      defaults: new MongooseUserDefaultsRepository(conn),
      ids: new MongoIdAllocator(conn),
    };
  } else {
    logger.warn('MONGO_URL is not set: using in-memory storage, which is NOT durable');
    deps = {
      templates: new MemoryTemplateRepository(),
      defaults: new MemoryUserDefaultsRepository(),
      ids: new MemoryIdAllocator(),
    };
  }

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}-${env.SERVICE_INSTANCE ?? process.pid}`,
    logger,
  });
  readiness.push({ name: 'nats', check: () => nats.isConnected() });

  const app = createConfigApp({ ...deps, logger });
  const responders: Responder[] = Object.entries(app.handlers).map(([subject, handler]) =>
    serveRequests(nats, logger, { subject, queue: SERVICE, handler }),
  );

  const ops = await startOpsServer({ port: env.OPS_PORT, logger, readiness });
  logger.info({ ops_port: ops.port }, 'config service ready');

  installShutdown({
    logger,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    onBegin: () => ops.setDraining(),
    steps: [
      // Stop taking requests and let the running ones reply before the connection goes.
      { name: 'responders', run: async () => void (await Promise.all(responders.map((r) => r.stop()))) },
      { name: 'nats', run: () => nats.drain() },
      { name: 'mongo', run: async () => void (await mongo?.close()) },
      { name: 'ops', run: () => ops.close() },
    ],
  });
}

void exitOnConfigError(() => main(), SERVICE);
