import type { NatsConnection } from '@nats-io/transport-node';
import { runLifecycleConsumer, type EventDecision, type LifecycleConsumer } from '@fillsched/job-owner';
import type { Logger } from '@fillsched/service-kit';

export type { LifecycleConsumer } from '@fillsched/job-owner';

export const COMPARISON_CONSUMER = 'comparison-service';

/**
 * Follows comparison lifecycle events (the conditional updates make any order and any number of
 * replicas safe); a failing store is retried later.
 */
export function startLifecycleConsumer(opts: {
  nc: NatsConnection;
  logger: Logger;
  handle: (raw: unknown, meta: { deliveryCount: number }) => Promise<EventDecision>;
  durable?: string;
}): Promise<LifecycleConsumer> {
  return runLifecycleConsumer({
    ...opts,
    durable: opts.durable ?? COMPARISON_CONSUMER,
    retryDelayMs: 2000,
    description: 'comparison lifecycle events',
  });
}
