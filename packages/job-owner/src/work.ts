import {
  serveHandlers,
  type IdAllocator,
  type Logger,
  type NatsHandle,
  type Responder,
  type RpcHandlers,
  type ServiceClient,
} from '@fillsched/service-kit';
import type { LifecycleConsumer } from './consumer';
import type { Clock } from './ports';

/** What every job-owning service is started with, besides its repositories and its own knobs. */
export interface OwnerServiceOptions {
  handle: NatsHandle;
  logger: Logger;
  ids: IdAllocator;
  clock?: Clock;
  /** config.resolve timeout. */
  configTimeoutMs?: number;
  /** The lifecycle consumer's durable name (tests use their own). */
  durable?: string;
}

/** A started job-owning service: its app, the work it serves and the clients it closes on stop. */
export type OwnerService<App> = OwnerWork & { app: App; clients: ServiceClient[] };

export interface OwnerWork {
  responders: Responder[];
  consumer: LifecycleConsumer;
  /** Stops taking requests, then stops consuming (each waits for the work in hand), then closes the clients; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts an owner app's lifecycle consumer and one responder per RPC subject in the service's queue
 * group, and returns once the subscriptions have reached the server (so no "no responders" right
 * after the service says it is ready).
 */
export async function startOwnerWork<Op extends string>(opts: {
  handle: NatsHandle;
  logger: Logger;
  subjects: Record<Op, string>;
  queue: string;
  handlers: RpcHandlers<Op>;
  startConsumer: () => Promise<LifecycleConsumer>;
  /** Closed on stop, after the consumer. */
  clients: ServiceClient[];
}): Promise<OwnerWork> {
  const { handle, logger } = opts;
  const consumer = await opts.startConsumer();
  const responders = await serveHandlers(handle, logger, {
    subjects: opts.subjects,
    queue: opts.queue,
    handlers: opts.handlers,
  });

  let stopped: Promise<void> | undefined;
  return {
    responders,
    consumer,
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled(responders.map((r) => r.stop()));
        await consumer.stop();
        for (const client of opts.clients) client.close();
      })();
      return stopped;
    },
  };
}
