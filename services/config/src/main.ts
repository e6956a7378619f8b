import {
  baseEnvSchema,
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  openStores,
  serveHandlers,
  serveUntilShutdown,
  startTracing,
} from '@fillsched/service-kit';
import { RPC } from '@fillsched/contracts';
import { createConfigApp, type ConfigAppDeps } from './app';
import { MemoryTemplateRepository, MemoryUserDefaultsRepository } from './adapters/memory';
import { MongooseTemplateRepository, MongooseUserDefaultsRepository } from './adapters/mongoose';
import { NatsConfigChangeNotifier } from './adapters/nats';

const SERVICE = 'config';
const envSchema = baseEnvSchema;

async function main(): Promise<void> {
  const env = loadConfig(envSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);

  const { mongo, ids, stores } = await openStores<Pick<ConfigAppDeps, 'templates' | 'defaults'>>({
    service: SERVICE,
    env,
    logger,
    mongo: (conn) => ({
      templates: new MongooseTemplateRepository(conn),
      defaults: new MongooseUserDefaultsRepository(conn),
    }),
    memory: () => ({
      templates: new MemoryTemplateRepository(),
      defaults: new MemoryUserDefaultsRepository(),
    }),
    memoryWarning: 'MONGO_URL is not set: using in-memory storage, which is NOT durable',
  });

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}-${env.SERVICE_INSTANCE ?? process.pid}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });

  const app = createConfigApp({ ...stores, ids, logger, changes: new NatsConfigChangeNotifier(nats.nc) });
  const responders = await serveHandlers(nats, logger, {
    subjects: RPC.config,
    queue: SERVICE,
    handlers: app.handlers,
  });

  await serveUntilShutdown({
    service: SERVICE,
    logger,
    env,
    nats,
    mongo,
    // Stop taking requests and let the running ones reply before the connection goes.
    stop: responders,
    ready: { msg: 'config service ready' },
  });
}

void exitOnConfigError(() => main(), SERVICE);
