import {
  runLifecycleConsumer,
  type LifecycleConsumer,
  type OwnerConsumerOptions,
} from '@fillsched/job-owner';

export type { LifecycleConsumer } from '@fillsched/job-owner';

export const COMPARISON_CONSUMER = 'comparison-service';

/**
 * Follows comparison lifecycle events (the conditional updates make any order and any number of
 * replicas safe); a failing store is retried later.
 */
export function startLifecycleConsumer(opts: OwnerConsumerOptions): Promise<LifecycleConsumer> {
  return runLifecycleConsumer({
    ...opts,
    durable: opts.durable ?? COMPARISON_CONSUMER,
    retryDelayMs: 2000,
    description: 'comparison lifecycle events',
  });
}
