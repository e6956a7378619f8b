import {
  baseEnvSchema,
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  openStores,
  serveUntilShutdown,
  startTracing,
} from '@fillsched/service-kit';
import { z } from 'zod';
import { MemoryComparisonRepository } from './adapters/memory';
import { MongooseComparisonRepository } from './adapters/mongoose';
import type { ComparisonRepository } from './ports';
import { startComparisonService } from './service';

const SERVICE = 'comparison';
const envSchema = baseEnvSchema.extend({
  /** How long create waits for `RPC.config.resolve` before going on without the default template. */
  CONFIG_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
});

async function main(): Promise<void> {
  const env = loadConfig(envSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);

  const {
    mongo,
    ids,
    stores: comparisons,
  } = await openStores<ComparisonRepository>({
    service: SERVICE,
    env,
    logger,
    mongo: (conn) => new MongooseComparisonRepository(conn),
    memory: () => new MemoryComparisonRepository(),
    memoryWarning:
      'MONGO_URL is not set: comparisons are kept in memory and lost on restart (non-durable storage)',
  });

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}${env.SERVICE_INSTANCE ? `-${env.SERVICE_INSTANCE}` : ''}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });
  const service = await startComparisonService({
    handle: nats,
    logger,
    comparisons,
    ids,
    configTimeoutMs: env.CONFIG_TIMEOUT_MS,
  });

  await serveUntilShutdown({
    service: SERVICE,
    logger,
    env,
    nats,
    mongo,
    // Requests in hand get their replies and the event in hand is acked before NATS goes.
    stop: { name: 'stop responders and consumer', run: () => service.stop() },
    ready: { msg: 'comparison service ready' },
  });
}

void exitOnConfigError(main, SERVICE);
