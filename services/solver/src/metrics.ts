import { jobsInFlight, metricsRegistry, promClient } from '@fillsched/service-kit';

export { jobsInFlight };

/** Outcomes: completed, failed (engine), cancelled, poison, dead_lettered, requeued, republished, released. */
export const jobsProcessed =
  (metricsRegistry.getSingleMetric('solver_jobs_processed_total') as
    promClient.Counter<'outcome'> | undefined) ??
  new promClient.Counter({
    name: 'solver_jobs_processed_total',
    help: 'Solve jobs handled by this worker, by outcome',
    labelNames: ['outcome'],
  });

export const solveDuration =
  (metricsRegistry.getSingleMetric('solver_solve_duration_seconds') as
    promClient.Histogram<'strategy' | 'outcome'> | undefined) ??
  new promClient.Histogram({
    name: 'solver_solve_duration_seconds',
    help: 'Wall time of engine runs, by strategy and outcome',
    labelNames: ['strategy', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  });
