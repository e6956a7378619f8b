import { CANCEL_SUBJECT, RPC } from '@fillsched/contracts';
import {
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  openStores,
  serviceInstance,
  serveHandlers,
  serveUntilShutdown,
  startTracing,
} from '@fillsched/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createSolverWorker } from './app';
import { MemoryResultStore } from './adapters/memory';
import { MongooseResultStore } from './adapters/mongoose';
import { JetStreamPublisher, KvCancellations } from './adapters/nats';
import { createJobTaker, ringOnQueuedJobs } from './adapters/take';
import { solverEnvSchema } from './config';
import type { JobConsumer } from './consumer';
import { Doorbell } from './doorbell';
import { listenForExhaustedJobs } from './exhausted';
import { startFairJobConsumer } from './fair-dispatch';
import { ThreadEngine } from './engine-runner';
import { provisionSolver } from './provision';
import type { ResultStore } from './ports';

const SERVICE = 'solver';

async function main(): Promise<void> {
  const env = loadConfig(solverEnvSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);
  // The logger's base already carries `instance` (the same value): not repeated in log lines.
  const instance = serviceInstance();

  const { mongo, stores: store } = await openStores<ResultStore>({
    service: SERVICE,
    env,
    logger,
    mongo: async (conn) => {
      const mongooseStore = new MongooseResultStore(conn);
      await mongooseStore.init();
      return mongooseStore;
    },
    memory: () => new MemoryResultStore(),
    memoryWarning: 'MONGO_URL not set: results are kept in memory and are NOT durable',
  });

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}-${instance}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });
  const kv = await provisionSolver(nats.nc, {
    logger,
    ackWaitS: env.SOLVER_ACK_WAIT_S,
    replicas: env.NATS_STREAM_REPLICAS,
  });
  const js = jetstream(nats.nc);
  const engine = new ThreadEngine({ maxIdle: env.SOLVER_CONCURRENCY });
  engine.prestart();

  const ackWaitMs = (env.SOLVER_ACK_WAIT_S ?? 30) * 1000;
  const worker = createSolverWorker(
    {
      store,
      publisher: new JetStreamPublisher(js),
      cancellations: new KvCancellations(kv),
      engine,
      logger,
    },
    {
      instance,
      defaultTimeLimitS: env.SOLVER_DEFAULT_TIME_LIMIT_S,
      maxTimeLimitS: env.SOLVER_MAX_TIME_LIMIT_S,
      // 10 s with the default ack_wait of 30 s; proportionally shorter when ack_wait is shortened.
      workingIntervalMs: Math.min(10_000, Math.floor(ackWaitMs / 3)),
    },
  );

  // Core subscription, no queue group: every worker hears every cancel and checks its own jobs.
  nats.nc.subscribe(CANCEL_SUBJECT, {
    callback: (err, msg) => {
      if (err) logger.error({ err }, 'cancel subscription error');
      else worker.handleCancelMessage(msg.data);
    },
  });
  // The owners' notice that a job is queued wakes idle slots (every worker hears it, no queue group).
  const doorbell = new Doorbell();
  ringOnQueuedJobs(nats.nc, doorbell);
  const jsm = await jetstreamManager(nats.nc);
  // Jobs whose every delivery died with its worker: failed + dead letter, never stuck `running`.
  const exhausted = listenForExhaustedJobs({
    nc: nats.nc,
    jsm,
    worker,
    logger,
    queue: SERVICE,
  });
  const responders = await serveHandlers(nats, logger, {
    subjects: RPC.solver,
    queue: SERVICE,
    handlers: { result: (req) => worker.resultChunk(req) },
  });

  // Set once pulling starts (after every responder is up); read by readiness and shutdown.
  const jobs: { consumer?: JobConsumer } = {};
  await serveUntilShutdown({
    logger,
    env,
    nats,
    mongo,
    readiness: [{ name: 'consuming', check: () => jobs.consumer?.isPulling() ?? false }],
    // The running job gets SHUTDOWN_TIMEOUT_MS; the rest of the sequence a few seconds more.
    extraTimeoutMs: 5000,
    stop: [
      {
        name: 'stop consuming and finish or release running jobs',
        run: async () => {
          await Promise.all([jobs.consumer?.stop(), worker.stop(env.SHUTDOWN_TIMEOUT_MS)]);
        },
      },
      {
        name: 'stop serving results',
        run: async () => void (await Promise.all(responders.map((r) => r.stop()))),
      },
      { name: 'stop handling exhausted jobs', run: async () => exhausted.unsubscribe() },
    ],
    release: [{ name: 'stop engine threads', run: () => engine.close() }],
    begin: async () => {
      // Fair between users: a free slot serves the user with the fewest jobs running (fair-dispatch.ts).
      jobs.consumer = await startFairJobConsumer({
        jsm,
        take: createJobTaker(nats.nc, logger),
        doorbell,
        worker,
        concurrency: env.SOLVER_CONCURRENCY,
        logger,
      });
    },
    ready: {
      msg: 'solver worker ready',
      fields: { concurrency: env.SOLVER_CONCURRENCY, durable: Boolean(mongo) },
    },
  });
}

exitOnConfigError(main, SERVICE);
