import { z } from 'zod';
import { apiSchemas, NullableTimestamp, Timestamp } from './common';
import { LotInputSchema, SOLVE_OPTIONS_SHAPE, StrategySchema } from './schedules';
import { WarningsSchema } from './warnings';

// The API guide's own bodies, shown as OpenAPI examples.
const GUIDE_STRATEGIES: ('smart-pack' | 'lpt-pack' | 'spt-pack')[] = ['smart-pack', 'lpt-pack', 'spt-pack'];
const GUIDE_SUMMARY = {
  id: 1,
  name: 'Strategy Comparison - October 2024',
  strategies: GUIDE_STRATEGIES,
  status: 'completed' as const,
  created_at: '2024-10-13T10:00:00',
  started_at: '2024-10-13T10:00:05',
  completed_at: '2024-10-13T10:05:30',
};
const GUIDE_RESULTS = [
  {
    strategy: 'smart-pack' as const,
    status: 'completed' as const,
    makespan: 450.5,
    utilization: 0.85,
    changeovers: 12,
    lots_scheduled: 50,
    window_violations: 0,
    execution_time: 2.5,
  },
  {
    strategy: 'lpt-pack' as const,
    status: 'completed' as const,
    makespan: 480.0,
    utilization: 0.8,
    changeovers: 15,
    lots_scheduled: 50,
    window_violations: 2,
    execution_time: 1.8,
  },
];

export const CreateComparisonBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    lots_data: z.array(LotInputSchema).min(1, 'at least one lot is required'),
    strategies: z
      .array(StrategySchema)
      .min(2, 'compare at least 2 strategies')
      .max(6, 'compare at most 6 strategies')
      .refine((s) => new Set(s).size === s.length, 'strategies must be unique'),
    ...SOLVE_OPTIONS_SHAPE,
  })
  .register(apiSchemas, {
    id: 'ComparisonCreate',
    examples: [
      {
        name: 'Strategy Comparison - October 2024',
        lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 }],
        strategies: [...GUIDE_STRATEGIES],
        config: { line_count: 3 },
      },
    ],
  });
export type CreateComparisonBody = z.infer<typeof CreateComparisonBodySchema>;

export const ComparisonStatusSchema = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);

export const ComparisonResultSchema = z
  .object({
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
  })
  .register(apiSchemas, { id: 'ComparisonResult', examples: [GUIDE_RESULTS[0]] });

export const ComparisonSummarySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    strategies: z.array(StrategySchema),
    status: ComparisonStatusSchema,
    created_at: Timestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    warnings: WarningsSchema.optional(),
  })
  .register(apiSchemas, {
    id: 'ComparisonSummary',
    examples: [{ ...GUIDE_SUMMARY, status: 'pending', started_at: null, completed_at: null }],
  });
export const ComparisonOutSchema = ComparisonSummarySchema.extend({
  best_strategy: StrategySchema.nullable().optional(),
  results: z.array(ComparisonResultSchema).optional(),
}).register(apiSchemas, {
  id: 'Comparison',
  examples: [{ ...GUIDE_SUMMARY, best_strategy: 'smart-pack', results: GUIDE_RESULTS }],
});
export const ComparisonListSchema = z
  .object({
    comparisons: z.array(ComparisonSummarySchema),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
  })
  .register(apiSchemas, {
    id: 'ComparisonList',
    examples: [{ comparisons: [GUIDE_SUMMARY], total: 1, page: 1, page_size: 20 }],
  });
