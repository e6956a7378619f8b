import { z } from 'zod';
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
import { MemoryResultRepository, MemoryScheduleRepository } from './adapters/memory';
import { MongooseResultRepository, MongooseScheduleRepository } from './adapters/mongoose';
import type { ResultRepository, ScheduleRepository } from './ports';
import { DEFAULT_ID_BLOCK_SIZE, startScheduleService } from './service';

const SERVICE = 'schedule';
const envSchema = baseEnvSchema.extend({
  // Together with one publish retry these keep a create below the gateway's 5 s request timeout.
  CONFIG_TIMEOUT_MS: z.coerce.number().int().positive().default(1500),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(1500),
  // Ids reserved per round trip; a restart leaves at most this many minus one unused.
  ID_BLOCK_SIZE: z.coerce.number().int().positive().max(10_000).default(DEFAULT_ID_BLOCK_SIZE),
});

async function main(): Promise<void> {
  const env = loadConfig(envSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}${env.SERVICE_INSTANCE ? `-${env.SERVICE_INSTANCE}` : ''}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });
  const {
    mongo,
    ids,
    stores: { schedules, results },
  } = await openStores<{ schedules: ScheduleRepository; results: ResultRepository }>({
    service: SERVICE,
    env,
    logger,
    mongo: async (conn) => {
      const stores = {
        schedules: new MongooseScheduleRepository(conn),
        results: new MongooseResultRepository(conn),
      };
      await Promise.all([stores.schedules.init(), stores.results.init()]);
      return stores;
    },
    // The service floors the in-memory ids at the high-water mark NATS keeps, so a restart reuses no id.
    memory: () => ({ schedules: new MemoryScheduleRepository(), results: new MemoryResultRepository() }),
    memoryWarning:
      'MONGO_URL is not set: schedules are kept in memory and lost on restart (non-durable storage)',
  });

  const service = await startScheduleService({
    handle: nats,
    logger,
    schedules,
    results,
    ids,
    idBlockSize: env.ID_BLOCK_SIZE,
    configTimeoutMs: env.CONFIG_TIMEOUT_MS,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
  });

  await serveUntilShutdown({
    service: SERVICE,
    logger,
    env,
    nats,
    mongo,
    // Requests in hand get their replies and the event in hand is acked before NATS goes.
    stop: { name: 'stop responders and consumer', run: () => service.stop() },
    ready: { msg: 'schedule service ready' },
  });
}

void exitOnConfigError(main, SERVICE);
