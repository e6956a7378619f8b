import { z } from 'zod';
import { NullableTimestamp, Timestamp } from './common';
import { LotInputSchema, ScheduleConfigSchema, StrategySchema } from './schedules';
import { WarningsSchema } from './warnings';

export const CreateComparisonBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  lots_data: z.array(LotInputSchema).min(1, 'at least one lot is required'),
  strategies: z
    .array(StrategySchema)
    .min(2, 'compare at least 2 strategies')
    .max(6, 'compare at most 6 strategies')
    .refine((s) => new Set(s).size === s.length, 'strategies must be unique'),
  config: ScheduleConfigSchema.nullish(),
  config_id: z.number().int().positive().nullish(),
  start_time: z.string().nullish(),
  seed: z.number().int().nullish(),
  time_limit_s: z.number().positive().max(3600).nullish(),
});
export type CreateComparisonBody = z.infer<typeof CreateComparisonBodySchema>;

export const ComparisonStatusSchema = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);

export const ComparisonResultSchema = z.object({
  strategy: StrategySchema,
  status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
  makespan: z.number().nullable(),
  utilization: z.number().nullable(),
  changeovers: z.number().int().nullable(),
  lots_scheduled: z.number().int().nullable(),
  window_violations: z.number().int().nullable(),
  execution_time: z.number().nullable(),
  lower_bound: z.number().nullable().optional(),
  gap: z.number().nullable().optional(),
  error_message: z.string().nullable().optional(),
});

export const ComparisonSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  strategies: z.array(StrategySchema),
  status: ComparisonStatusSchema,
  created_at: Timestamp,
  started_at: NullableTimestamp,
  completed_at: NullableTimestamp,
  warnings: WarningsSchema.optional(),
});
export const ComparisonOutSchema = ComparisonSummarySchema.extend({
  best_strategy: StrategySchema.nullable().optional(),
  results: z.array(ComparisonResultSchema).optional(),
});
export const ComparisonListSchema = z.object({
  comparisons: z.array(ComparisonSummarySchema),
  total: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
});
