import { MAX_TIME_LIMIT_S } from '@fillsched/contracts';
import { baseEnvSchema } from '@fillsched/service-kit';
import { z } from 'zod';

/** Environment of a solver worker; every variable is validated at start (a bad one stops the process). */
export const solverEnvSchema = baseEnvSchema.extend({
  /** Jobs solved at the same time; the engine is CPU-bound, so at most one per core. */
  SOLVER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Time limit of a job that names none. */
  SOLVER_DEFAULT_TIME_LIMIT_S: z.coerce.number().positive().max(86_400).default(30),
  /** Hard cap on any job's time limit; the API refuses more than contracts' MAX_TIME_LIMIT_S (422). */
  SOLVER_MAX_TIME_LIMIT_S: z.coerce.number().positive().max(86_400).default(MAX_TIME_LIMIT_S),
  /** Overrides the consumer's ack_wait (seconds); unset = the contracts' value (30 s). */
  SOLVER_ACK_WAIT_S: z.coerce.number().int().min(2).max(3600).optional(),
});
export type SolverEnv = z.infer<typeof solverEnvSchema>;
