import type { Connection } from 'mongoose';
import {
  MemoryIdAllocator,
  MongoIdAllocator,
  baseEnvSchema,
  connectMongo,
  connectNats,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  serveUntilShutdown,
  type IdAllocator,
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
  installProcessErrorHandlers(logger);

  let mongo: Connection | undefined;
  let comparisons: ComparisonRepository;
  let ids: IdAllocator;
  if (env.MONGO_URL) {
    mongo = await connectMongo({ url: env.MONGO_URL, logger, dbName: `fillsched_${SERVICE}` });
    comparisons = new MongooseComparisonRepository(mongo);
    ids = new MongoIdAllocator(mongo);
  } else {
    logger.warn(
      'MONGO_URL is not set: comparisons are kept in memory and lost on restart (non-durable storage)',
    );
    comparisons = new MemoryComparisonRepository();
    ids = new MemoryIdAllocator();
  }

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}${env.SERVICE_INSTANCE ? `-${env.SERVICE_INSTANCE}` : ''}`,
    logger,
  });
  const service = await startComparisonService({
    handle: nats,
    logger,
    comparisons,
    ids,
    configTimeoutMs: env.CONFIG_TIMEOUT_MS,
  });

  await serveUntilShutdown({
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
