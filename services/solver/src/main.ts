import { CANCEL_SUBJECT, RPC } from '@fillsched/contracts';
import {
  connectMongo,
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  flushTracesStep,
  installShutdown,
  loadConfig,
  mongoReady,
  serviceInstance,
  serveRequests,
  startOpsServer,
  startTracing,
} from '@fillsched/service-kit';
import { jetstream } from '@nats-io/jetstream';
import type { Connection } from 'mongoose';
import { createSolverWorker } from './app';
import { MemoryResultStore } from './adapters/memory';
import { MongooseResultStore } from './adapters/mongoose';
import { JetStreamPublisher, KvCancellations } from './adapters/nats';
import { solverEnvSchema } from './config';
import { startJobConsumer, type JobConsumer } from './consumer';
import { ThreadEngine } from './engine-runner';
import { provisionSolver } from './provision';
import type { ResultStore } from './ports';

const SERVICE = 'solver';
const DB_NAME = 'fillsched_solver';

async function main(): Promise<void> {
  const env = loadConfig(solverEnvSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);
  // The logger's base already carries `instance` (the same value): not repeated in log lines.
  const instance = serviceInstance();

  let mongo: Connection | undefined;
  let store: ResultStore;
  if (env.MONGO_URL) {
    mongo = await connectMongo({ url: env.MONGO_URL, logger, dbName: DB_NAME });
    const mongooseStore = new MongooseResultStore(mongo);
    await mongooseStore.init();
    store = mongooseStore;
  } else {
    logger.warn('MONGO_URL not set: results are kept in memory and are NOT durable');
    store = new MemoryResultStore();
  }

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
  const responder = serveRequests(nats, logger, {
    subject: RPC.solver.result,
    queue: SERVICE,
    handler: (req) => worker.resultPage(req),
  });

  // Set once pulling starts (after every responder is up); read by readiness and shutdown.
  const jobs: { consumer?: JobConsumer } = {};
  const ops = await startOpsServer({
    port: env.OPS_PORT,
    logger,
    readiness: [
      { name: 'nats', check: () => nats.isConnected() },
      { name: 'store', check: () => (mongo ? mongoReady(mongo) : true) },
      { name: 'consuming', check: () => jobs.consumer?.isPulling() ?? false },
    ],
  });

  installShutdown({
    logger,
    // The running job gets SHUTDOWN_TIMEOUT_MS; the rest of the sequence a few seconds more.
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS + 5000,
    onBegin: () => ops.setDraining(),
    steps: [
      {
        name: 'stop consuming and finish or release running jobs',
        run: async () => {
          await Promise.all([jobs.consumer?.stop(), worker.stop(env.SHUTDOWN_TIMEOUT_MS)]);
        },
      },
      { name: 'stop serving results', run: () => responder.stop() },
      { name: 'drain NATS', run: () => nats.drain() },
      { name: 'stop engine threads', run: () => engine.close() },
      { name: 'close MongoDB', run: async () => void (await mongo?.close()) },
      { name: 'close ops server', run: () => ops.close() },
      flushTracesStep(),
    ],
  });

  jobs.consumer = await startJobConsumer({ js, worker, concurrency: env.SOLVER_CONCURRENCY, logger });
  logger.info(
    { concurrency: env.SOLVER_CONCURRENCY, ops_port: ops.port, durable: Boolean(mongo) },
    'solver worker ready',
  );
}

exitOnConfigError(main, SERVICE);
