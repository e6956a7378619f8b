import { z } from 'zod';
import { STRATEGY_IDS } from './catalogue';
import { ResultDocumentSummarySchema } from './result-document';

export const EVENT_TYPES = {
  solveRequested: 'com.fillsched.solve.requested',
  solveStarted: 'com.fillsched.solve.started',
  solveProgress: 'com.fillsched.solve.progress',
  solveCompleted: 'com.fillsched.solve.completed',
  solveFailed: 'com.fillsched.solve.failed',
  solveCancelled: 'com.fillsched.solve.cancelled',
  comparisonFinished: 'com.fillsched.comparison.finished',
  /** The schedule service's own events, published once its store shows the new status. */
  scheduleRunning: 'com.fillsched.schedule.running',
  scheduleCompleted: 'com.fillsched.schedule.completed',
  scheduleFailed: 'com.fillsched.schedule.failed',
  scheduleCancelled: 'com.fillsched.schedule.cancelled',
} as const;

export const StrategyIdSchema = z.enum(STRATEGY_IDS);

export const JobOwnerSchema = z.object({
  kind: z.enum(['schedule', 'comparison']),
  id: z.number().int().positive(),
  user_id: z.number().int().positive(),
});
export type JobOwner = z.infer<typeof JobOwnerSchema>;

/** Data of `solve.requested`: everything a stateless solver needs; the config is already resolved. */
export const SolveJobSchema = z.object({
  job_id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  owner: JobOwnerSchema,
  strategy: StrategyIdSchema,
  input: z.object({
    lots_data: z.array(z.record(z.string(), z.unknown())),
    config: z.record(z.string(), z.unknown()).default({}),
    start_time: z.string().nullish(),
    /** replans: the parent's frozen prefix and plan (engine ReplanContext; attachReplan checks it) */
    replan: z.record(z.string(), z.unknown()).optional(),
  }),
  seed: z.number().int().optional(),
  time_limit_s: z.number().positive().optional(),
});
export type SolveJob = z.infer<typeof SolveJobSchema>;

/**
 * KPI summary carried by `completed`: a projection of the result document's summary
 * (`eventSummaryOf`); the whole document is taken over from the solver chunk by chunk.
 */
export const ResultSummarySchema = ResultDocumentSummarySchema.pick({
  makespan: true,
  utilization: true,
  changeovers: true,
  lots_scheduled: true,
  window_violations: true,
  kpis: true,
  lower_bound: true,
  gap: true,
  execution_time: true,
  activity_count: true,
}).strip();
export type ResultSummary = z.infer<typeof ResultSummarySchema>;

const lifecycleBase = {
  job_id: z.string(),
  owner: JobOwnerSchema,
  strategy: StrategyIdSchema,
  worker: z.string().optional(),
  attempt: z.number().int().positive().optional(),
};
export const SolveStartedSchema = z.object(lifecycleBase);
export const SolveCompletedSchema = z.object({ ...lifecycleBase, summary: ResultSummarySchema });
export const SolveFailedSchema = z.object({
  ...lifecycleBase,
  error: z.object({ code: z.string(), message: z.string() }),
});
export const SolveCancelledSchema = z.object(lifecycleBase);
export const SolveProgressSchema = z.object({
  ...lifecycleBase,
  phase: z.string(),
  percent: z.number().min(0).max(100),
  best_makespan: z.number().nullable(),
  lower_bound: z.number().nullable(),
  message: z.string(),
});
export type SolveStarted = z.infer<typeof SolveStartedSchema>;
export type SolveCompleted = z.infer<typeof SolveCompletedSchema>;
export type SolveFailed = z.infer<typeof SolveFailedSchema>;
export type SolveCancelled = z.infer<typeof SolveCancelledSchema>;
export type SolveProgress = z.infer<typeof SolveProgressSchema>;

/** Cancel broadcast (core NATS), and the request for one chunk of a stored result (RPC.solver.result). */
export const CancelRequestSchema = z.object({ job_id: z.string() });
/** The owners' "a job is queued" notice to idle solvers (JOB_QUEUED_SUBJECT). */
export const JobQueuedNoticeSchema = z.object({ job_id: z.string(), user_id: z.number().int() });
export type JobQueuedNotice = z.infer<typeof JobQueuedNoticeSchema>;
export const ResultChunkRequestSchema = z.object({
  job_id: z.string(),
  /** 0 = the head chunk, whose `count` tells how many there are. */
  index: z.number().int().nonnegative().default(0),
});

/** Data of `comparison.finished`, published by the comparison service when all its jobs have ended. */
export const ComparisonFinishedSchema = z.object({
  comparison_id: z.number().int().positive(),
  user_id: z.number().int().positive(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  best_strategy: StrategyIdSchema.nullable(),
  results: z.array(z.record(z.string(), z.unknown())),
});
export type ComparisonFinished = z.infer<typeof ComparisonFinishedSchema>;

/** WebSocket messages of the API guide (gateway → client). */
export type WsMessage =
  | {
      type: 'progress';
      step: string;
      progress: number;
      message: string;
      timestamp: string;
      [k: string]: unknown;
    }
  | { type: 'complete'; progress: 100; message: string; result: Record<string, unknown>; timestamp: string }
  | { type: 'error'; code: string; message: string; timestamp: string };
