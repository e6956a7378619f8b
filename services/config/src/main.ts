import {
  baseEnvSchema,
  connectMongo,
  connectNats,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  MemoryIdAllocator,
  MongoIdAllocator,
  serveUntilShutdown,
  serveRequests,
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
  let deps;
  if (env.MONGO_URL) {
    mongo = await connectMongo({ url: env.MONGO_URL, logger, dbName: `fillsched_${SERVICE}` });
    const conn = mongo;
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

  const app = createConfigApp({ ...deps, logger });
  const responders: Responder[] = Object.entries(app.handlers).map(([subject, handler]) =>
    serveRequests(nats, logger, { subject, queue: SERVICE, handler }),
  );

  await serveUntilShutdown({
    logger,
    env,
    nats,
    mongo,
    // Stop taking requests and let the running ones reply before the connection goes.
    stop: {
      name: 'stop responders',
      run: async () => void (await Promise.all(responders.map((r) => r.stop()))),
    },
    ready: { msg: 'config service ready' },
  });
}

void exitOnConfigError(() => main(), SERVICE);
