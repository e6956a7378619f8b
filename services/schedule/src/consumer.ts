import {
  runLifecycleConsumer,
  type LifecycleConsumer,
  type OwnerConsumerOptions,
} from '@fillsched/job-owner';
import { lifecycleEvents } from './metrics';

export type { LifecycleConsumer } from '@fillsched/job-owner';

export const SCHEDULE_CONSUMER = 'schedule-service';
/** Tell the server we are still at it while a large result is being fetched (ack_wait is 30 s). */
const WORKING_INTERVAL_MS = 10_000;

/**
 * Follows the schedule lifecycle events (order per schedule matters less than never blocking:
 * the status guard makes any order safe), counting what was done with each.
 */
export function startLifecycleConsumer(opts: OwnerConsumerOptions): Promise<LifecycleConsumer> {
  return runLifecycleConsumer({
    ...opts,
    durable: opts.durable ?? SCHEDULE_CONSUMER,
    retryDelayMs: 5000,
    workingIntervalMs: WORKING_INTERVAL_MS,
    onSettled: (action) => lifecycleEvents.inc({ action }),
  });
}
