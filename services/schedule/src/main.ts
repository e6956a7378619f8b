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
  installShutdown,
  loadConfig,
  mongoReady,
  startOpsServer,
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

  const ops = await startOpsServer({
    port: env.OPS_PORT,
    logger,
    readiness: [
      { name: 'nats', check: () => nats.isConnected() },
      ...(mongo ? [{ name: 'mongo', check: () => mongoReady(mongo!) }] : []),
    ],
  });
  logger.info({ ops_port: ops.port }, 'schedule service ready');

  installShutdown({
    logger,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    onBegin: () => ops.setDraining(),
    steps: [
      // Requests in hand get their replies and the event in hand is acked before NATS goes.
      { name: 'stop responders and consumer', run: () => service.stop() },
      { name: 'drain NATS', run: () => nats.drain() },
      { name: 'close MongoDB', run: async () => void (await mongo?.close()) },
      { name: 'close ops server', run: () => ops.close() },
    ],
  });
}

void exitOnConfigError(main, SERVICE);
