import { promClient } from '@fillsched/service-kit';
import type { ResultsMetrics } from './ports';

const get = <M>(name: string, make: () => M): M =>
  (promClient.register.getSingleMetric(name) as M | undefined) ?? make();

const produced = get(
  'bridge_results_produced_total',
  () =>
    new promClient.Counter({
      name: 'bridge_results_produced_total',
      help: 'Completed plans produced to the results topic (acks all)',
    }),
);
const bytes = get(
  'bridge_result_bytes',
  () =>
    new promClient.Histogram({
      name: 'bridge_result_bytes',
      help: 'Compressed (gzip) size of each plan produced to the results topic, bytes',
      buckets: [1e3, 1e4, 1e5, 2.5e5, 5e5, 1e6, 2e6, 4e6, 8e6, 16e6, 32e6],
    }),
);
const tombstones = get(
  'bridge_results_tombstones_total',
  () =>
    new promClient.Counter({
      name: 'bridge_results_tombstones_total',
      help: 'Tombstones produced for schedules deleted before their plan was read',
    }),
);
const errors = get(
  'bridge_results_errors_total',
  () =>
    new promClient.Counter({
      name: 'bridge_results_errors_total',
      help: 'Results topic errors: read (the owner did not answer; retried), kafka (retried), too_large and refused (plan not mirrored, logged)',
      labelNames: ['kind'],
    }),
);

export const promResultsMetrics: ResultsMetrics = {
  produced: (n) => {
    produced.inc();
    bytes.observe(n);
  },
  tombstone: () => tombstones.inc(),
  error: (kind) => errors.inc({ kind }),
};
