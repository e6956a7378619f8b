import { metricsRegistry, promClient } from '@fillsched/service-kit';

// Reuse a registered metric: jest may load this module more than once against one global registry.
function counter<L extends string>(name: string, help: string, labelNames: L[]): promClient.Counter<L> {
  return (
    (metricsRegistry.getSingleMetric(name) as promClient.Counter<L> | undefined) ??
    new promClient.Counter({ name, help, labelNames })
  );
}

/** Lifecycle events by what the consumer did with them (ack, term, nak). */
export const lifecycleEvents = counter('schedule_lifecycle_events_total', 'Lifecycle events handled', [
  'action',
]);

/** Create requests by outcome: accepted, invalid, limited (429), rejected (other 4xx), unavailable (503), error. */
export const scheduleCreates = counter('schedule_creates_total', 'Schedule create requests by outcome', [
  'outcome',
]);
