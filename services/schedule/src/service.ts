import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { RPC, SCHEDULE_DELETED_SUBJECT, type ScheduleOut } from '@fillsched/contracts';
import {
  CachingConfigResolver,
  followConfigChanges,
  NatsCanceller,
  JetStreamUserWorkload,
  NatsConfigResolver,
  openCancellationsBucket,
  provisionOwnerStreams,
  startOwnerWork,
  type OwnerService,
  type OwnerServiceOptions,
} from '@fillsched/job-owner';
import {
  BlockIdAllocator,
  createServiceClient,
  encodeJson,
  tryDecodeJson,
  type IdAllocator,
  type IdBlockSource,
  type Logger,
  type NatsHandle,
} from '@fillsched/service-kit';
import {
  HighWaterIdAllocator,
  NatsJobPublisher,
  NatsResultFetcher,
  openCountersBucket,
} from './adapters/nats';
import { createScheduleApp, SCHEDULE_ID_SEQUENCE, type ScheduleApp } from './app';
import { CompletedScheduleCache } from './completed-cache';
import { SCHEDULE_CONSUMER, startLifecycleConsumer } from './consumer';
import { systemClock, type ResultRepository, type ScheduleRepository } from './ports';

export const QUEUE_GROUP = 'schedule';

/** Every stream of the platform plus our durable consumer; idempotent, so start order never matters. */
export function provisionStreams(
  handle: NatsHandle,
  logger: Logger,
  durable = SCHEDULE_CONSUMER,
): Promise<void> {
  return provisionOwnerStreams(handle, logger, 'schedule', durable);
}

/** Schedule ids reserved per store + KV round trip (see BlockIdAllocator). */
export const DEFAULT_ID_BLOCK_SIZE = 20;

export interface ScheduleServiceOptions extends OwnerServiceOptions {
  /** The store's id counter; reserved from in blocks, floored by the NATS high-water mark. */
  ids: IdAllocator & IdBlockSource;
  /** Ids per reservation; a restart leaves up to this many minus one unused. */
  idBlockSize?: number;
  schedules: ScheduleRepository;
  results: ResultRepository;
  /** config.resolve timeout; with the publish budget it keeps a create under the gateway's 5 s. */
  configTimeoutMs?: number;
  /** Per attempt; one retry. */
  publishTimeoutMs?: number;
}

export type ScheduleService = OwnerService<ScheduleApp>;

/** Provisions streams, opens the KV bucket, starts responders and the lifecycle consumer. */
export async function startScheduleService(opts: ScheduleServiceOptions): Promise<ScheduleService> {
  const { handle, logger } = opts;
  await provisionStreams(handle, logger, opts.durable);
  const kv = await openCancellationsBucket(handle.nc, handle.streamReplicas);
  const configClient = createServiceClient(handle, 'config', { timeoutMs: opts.configTimeoutMs ?? 1500 });
  const solverClient = createServiceClient(handle, 'solver', { timeoutMs: 10_000 });
  // Completed schedules' GET bodies; a peer's deletion notice drops its copy here.
  const completedCache = new CompletedScheduleCache<ScheduleOut>();
  // Most creates take an id from the block in hand: no store or KV round trip on their path.
  const ids = new BlockIdAllocator(
    new HighWaterIdAllocator(opts.ids, await openCountersBucket(handle.nc, handle.streamReplicas)),
    { blockSize: opts.idBlockSize ?? DEFAULT_ID_BLOCK_SIZE, logger },
  );
  ids.warm(SCHEDULE_ID_SEQUENCE);
  // (Ends with the connection's drain at shutdown.)
  handle.nc.subscribe(SCHEDULE_DELETED_SUBJECT, {
    callback: (_err, msg) => {
      const decoded = tryDecodeJson(msg.data);
      const id = decoded.ok ? (decoded.value as { schedule_id?: unknown } | null)?.schedule_id : undefined;
      if (typeof id === 'number') completedCache.forget(id);
    },
  });
  // Templates kept between creates; the config service's change notices drop them.
  const configResolver = new CachingConfigResolver(
    new NatsConfigResolver(configClient, opts.configTimeoutMs ?? 1500),
  );
  followConfigChanges(handle, configResolver); // (ends with the connection's drain at shutdown)
  const app = createScheduleApp({
    schedules: opts.schedules,
    results: opts.results,
    ids,
    publisher: new NatsJobPublisher(jetstream(handle.nc), {
      timeoutMs: opts.publishTimeoutMs ?? 1500,
      retries: 1,
      notify: handle.nc,
    }),
    canceller: new NatsCanceller(handle.nc, kv),
    configResolver,
    resultFetcher: new NatsResultFetcher(solverClient),
    clock: opts.clock ?? systemClock,
    logger,
    // a short timeout: during a NATS leader change the count fails fast instead of holding the create
    workload: new JetStreamUserWorkload(() => jetstreamManager(handle.nc, { timeout: 1500 })),
    completedCache,
    announceDeleted: async (id) => {
      handle.nc.publish(SCHEDULE_DELETED_SUBJECT, encodeJson({ schedule_id: id }));
      await handle.nc.flush();
    },
  });

  const clients = [configClient, solverClient];
  const work = await startOwnerWork({
    handle,
    logger,
    subjects: RPC.schedule,
    queue: QUEUE_GROUP,
    handlers: app.handlers,
    startConsumer: () =>
      startLifecycleConsumer({
        nc: handle.nc,
        logger,
        handle: (raw, meta) => app.handleEvent(raw, meta),
        prepare: (raw, headers) => app.prepareEvent(raw, headers),
        durable: opts.durable,
      }),
    clients,
  });
  return { app, clients, ...work };
}
