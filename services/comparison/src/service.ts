import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { RPC } from '@fillsched/contracts';
import {
  NatsCanceller,
  JetStreamUserWorkload,
  NatsConfigResolver,
  openCancellationsBucket,
  provisionOwnerStreams,
  startOwnerWork,
  type OwnerService,
  type OwnerServiceOptions,
} from '@fillsched/job-owner';
import { createServiceClient, type Logger, type NatsHandle } from '@fillsched/service-kit';
import { NatsJobPublisher } from './adapters/nats';
import { createComparisonApp, type ComparisonApp } from './app';
import { COMPARISON_CONSUMER, startLifecycleConsumer } from './consumer';
import { systemClock, type ComparisonRepository } from './ports';

export const QUEUE_GROUP = 'comparison';

/** Every stream of the platform plus our durable consumer; idempotent, so start order never matters. */
export function provisionStreams(
  handle: NatsHandle,
  logger: Logger,
  durable = COMPARISON_CONSUMER,
): Promise<void> {
  return provisionOwnerStreams(handle, logger, 'comparison', durable);
}

export interface ComparisonServiceOptions extends OwnerServiceOptions {
  comparisons: ComparisonRepository;
  configTimeoutMs?: number;
}

export type ComparisonService = OwnerService<ComparisonApp>;

/** Provisions streams, opens the KV bucket, starts the responders and the lifecycle consumer. */
export async function startComparisonService(opts: ComparisonServiceOptions): Promise<ComparisonService> {
  const { handle, logger } = opts;
  await provisionStreams(handle, logger, opts.durable);
  const kv = await openCancellationsBucket(handle.nc, handle.streamReplicas);
  const configClient = createServiceClient(handle, 'config', { timeoutMs: opts.configTimeoutMs ?? 3000 });
  const app = createComparisonApp({
    comparisons: opts.comparisons,
    ids: opts.ids,
    publisher: new NatsJobPublisher(jetstream(handle.nc), { notify: handle.nc }),
    canceller: new NatsCanceller(handle.nc, kv),
    configResolver: new NatsConfigResolver(configClient, opts.configTimeoutMs ?? 3000),
    clock: opts.clock ?? systemClock,
    logger,
    // a short timeout: during a NATS leader change the count fails fast instead of holding the create
    workload: new JetStreamUserWorkload(() => jetstreamManager(handle.nc, { timeout: 1500 })),
  });
  const clients = [configClient];
  const work = await startOwnerWork({
    handle,
    logger,
    subjects: RPC.comparison,
    queue: QUEUE_GROUP,
    handlers: app.handlers,
    startConsumer: () =>
      startLifecycleConsumer({
        nc: handle.nc,
        logger,
        handle: (raw, meta) => app.handleEvent(raw, meta),
        durable: opts.durable,
      }),
    clients,
  });
  return { app, clients, ...work };
}
