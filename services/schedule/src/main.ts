import type { Connection } from 'mongoose';
import { z } from 'zod';
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
import { MemoryResultRepository, MemoryScheduleRepository } from './adapters/memory';
import { MongooseResultRepository, MongooseScheduleRepository } from './adapters/mongoose';
import type { ResultRepository, ScheduleRepository } from './ports';
import { startScheduleService } from './service';

const SERVICE = 'schedule';
const envSchema = baseEnvSchema.extend({
  // Together with one publish retry these keep a create below the gateway's 5 s request timeout.
  CONFIG_TIMEOUT_MS: z.coerce.number().int().positive().default(1500),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(1500),
});

async function main(): Promise<void> {
  const env = loadConfig(envSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  installProcessErrorHandlers(logger);

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}${env.SERVICE_INSTANCE ? `-${env.SERVICE_INSTANCE}` : ''}`,
    logger,
  });
  let mongo: Connection | undefined;
  let schedules: ScheduleRepository;
  let results: ResultRepository;
  let ids: IdAllocator;
  if (env.MONGO_URL) {
    mongo = await connectMongo({ url: env.MONGO_URL, logger, dbName: `fillsched_${SERVICE}` });
    const s = new MongooseScheduleRepository(mongo);
    const r = new MongooseResultRepository(mongo);
    await Promise.all([s.init(), r.init()]);
    schedules = s;
    results = r;
    ids = new MongoIdAllocator(mongo);
  } else {
    logger.warn(
      'MONGO_URL is not set: schedules are kept in memory and lost on restart (non-durable storage)',
    );
    schedules = new MemoryScheduleRepository();
    results = new MemoryResultRepository();
    // The service floors these at the high-water mark NATS keeps, so a restart reuses no id.
    ids = new MemoryIdAllocator();
  }

  const service = await startScheduleService({
    handle: nats,
    logger,
    schedules,
    results,
    ids,
    configTimeoutMs: env.CONFIG_TIMEOUT_MS,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
  });

  await serveUntilShutdown({
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
