import { z } from 'zod';
import { STRATEGY_IDS, STRATEGIES } from '../catalogue';
import { apiSchemas, NullableTimestamp, QueryBoolean, refuseNulKeys, Timestamp } from './common';
import { ExplanationsSchema, ReplanDiffSchema } from './result-parts';
import { WarningsSchema } from './warnings';

// The API guide's own bodies (seeds/filling-scheduler-api.md), shown as OpenAPI examples.
const GUIDE_LOT = {
  lot_id: 'LOT001',
  product: 'ProductA',
  quantity: 1000,
  priority: 1,
  start_window: '2024-10-14T08:00:00',
  end_window: '2024-10-14T16:00:00',
};
const GUIDE_SUMMARY = {
  id: 1,
  name: 'Production Schedule - Week 42',
  strategy: 'smart-pack',
  status: 'completed',
  created_at: '2024-10-13T10:00:00',
  started_at: '2024-10-13T10:00:05',
  completed_at: '2024-10-13T10:02:30',
  error_message: null,
} as const;
// The guide's activity plus the fields it leaves out (kind, type, duration_hours).
const GUIDE_ACTIVITY = {
  kind: 'FILL',
  line: 1,
  lot_id: 'LOT001',
  type: 'ProductA',
  start: '2024-10-14T08:00:00',
  end: '2024-10-14T10:30:00',
  duration: 150.0,
  duration_hours: 2.5,
} as const;
const GUIDE_RESULT = {
  makespan: 450.5,
  utilization: 0.85,
  changeovers: 12,
  lots_scheduled: 50,
  window_violations: 0,
  kpis: { total_production_time: 450.5, average_line_utilization: 0.85, on_time_delivery_rate: 1.0 },
  activities: [GUIDE_ACTIVITY],
};

export const STRATEGY_ERROR = `Invalid strategy: must be one of [${STRATEGY_IDS.join(', ')}]`;
export const StrategySchema = z
  .enum(STRATEGY_IDS, { error: () => STRATEGY_ERROR })
  .register(apiSchemas, { id: 'Strategy', examples: ['smart-pack'] });

/**
 * One lot as clients send it. Types are checked here (422 with the field's loc); domain rules
 * (required fields, aliases, windows, sizes) are the engine's validation, which names the lot.
 */
export const LotInputSchema = z
  .looseObject({
    lot_id: z.string().optional(),
    type: z.string().optional(),
    product: z.string().optional().describe('alias of type'),
    lot_type: z.string().optional().describe('alias of type'),
    vials: z.number().optional(),
    quantity: z.number().optional().describe('alias of vials'),
    priority: z.number().int().optional().describe('higher = more urgent; default 0'),
    start_window: z.string().nullish().describe('earliest start, ISO 8601'),
    end_window: z.string().nullish().describe('due time, ISO 8601'),
    fill_hours: z.number().positive().optional().describe('overrides vials / fill rate'),
    fill_hours_by_line: z
      .record(z.string(), z.number().positive())
      .optional()
      .describe('unrelated lines: hours per line id; a missing line means the lot cannot run there'),
  })
  .superRefine(refuseNulKeys)
  .register(apiSchemas, { id: 'Lot', examples: [GUIDE_LOT] });
export type LotInput = z.infer<typeof LotInputSchema>;

/** Config is an open object validated by the engine (types, ranges, unknown keys as warnings). */
export const ScheduleConfigSchema = z
  .record(z.string(), z.unknown())
  .superRefine(refuseNulKeys)
  .register(apiSchemas, { id: 'ScheduleConfig', examples: [{ line_count: 3, changeover_time: 30 }] });

/**
 * Largest `time_limit_s` a job may ask for (the solvers' cap): a bigger value is a 422 naming this
 * maximum instead of being clamped silently, so one request cannot hold a solver for an hour.
 */
export const MAX_TIME_LIMIT_S = 300;
export const timeLimitTooLarge = `time_limit_s must be at most ${MAX_TIME_LIMIT_S} seconds`;

/**
 * Solve jobs a user may have queued or running at once, counting one per schedule and one per
 * strategy of a comparison; a create that would pass it is refused with 429 (not queued).
 */
export const ACTIVE_JOBS_LIMIT = 10;
export const tooManyJobs = (active: number, adding: number): string =>
  `Too many concurrent jobs: at most ${ACTIVE_JOBS_LIMIT} solve jobs (schedules and comparison strategies) ` +
  `may be pending or running per user; you have ${active} and this request adds ${adding}`;

/** What a solve request takes beside its lots and strategies: schedules and comparisons alike. */
export const SOLVE_OPTIONS_SHAPE = {
  config: ScheduleConfigSchema.nullish(),
  config_id: z.number().int().positive().nullish(),
  start_time: z.string().nullish(),
  seed: z.number().int().nullish(),
  time_limit_s: z.number().positive().max(MAX_TIME_LIMIT_S, { message: timeLimitTooLarge }).nullish(),
};

export const CreateScheduleBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    lots_data: z.array(LotInputSchema).min(1, 'at least one lot is required'),
    strategy: StrategySchema.default('smart-pack'),
    ...SOLVE_OPTIONS_SHAPE,
  })
  .register(apiSchemas, {
    id: 'ScheduleCreate',
    examples: [
      {
        name: 'Production Schedule - Week 42',
        lots_data: [GUIDE_LOT],
        strategy: 'smart-pack',
        config: { line_count: 3, changeover_time: 30 },
        start_time: '2024-10-14T08:00:00',
      },
    ],
  });
export type CreateScheduleBody = z.infer<typeof CreateScheduleBodySchema>;

export const ScheduleStatusSchema = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);
export type ScheduleStatus = z.infer<typeof ScheduleStatusSchema>;

export const ScheduleSummarySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    strategy: StrategySchema,
    status: ScheduleStatusSchema,
    created_at: Timestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    error_message: z.string().nullable(),
    warnings: WarningsSchema.optional(),
    parent_id: z.number().int().optional().describe('replans: the schedule this one re-plans'),
    version: z.number().int().optional().describe('replans: 1 + the parent’s version (an original is 1)'),
  })
  .register(apiSchemas, {
    id: 'ScheduleSummary',
    examples: [{ ...GUIDE_SUMMARY, status: 'pending', started_at: null, completed_at: null }],
  });
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;

export const ActivitySchema = z
  .object({
    kind: z.enum(['CLEAN', 'CHANGEOVER', 'FILL', 'IDLE', 'DOWNTIME']),
    line: z.number().int(),
    lot_id: z.string().optional(),
    type: z.string().optional(),
    start: Timestamp,
    end: Timestamp,
    duration: z.number().describe('minutes'),
    duration_hours: z.number(),
  })
  .register(apiSchemas, { id: 'Activity', examples: [GUIDE_ACTIVITY] });

export const ScheduleResultSchema = z
  .looseObject({
    makespan: z.number().describe('hours'),
    utilization: z.number(),
    changeovers: z.number().int(),
    lots_scheduled: z.number().int(),
    window_violations: z.number().int(),
    kpis: z.record(z.string(), z.unknown()),
    activity_count: z.number().int().optional().describe('number of activities (page them with /activities)'),
    activities: z.array(ActivitySchema).optional().describe('left out with include_activities=false'),
    explanations: ExplanationsSchema.optional().describe(
      'why lots are late, the score per term, the lower bound’s binding argument',
    ),
    replan: ReplanDiffSchema.optional().describe('replanned schedules: the diff against the parent'),
  })
  .register(apiSchemas, { id: 'ScheduleResult', examples: [GUIDE_RESULT] });

export type ScheduleResult = z.infer<typeof ScheduleResultSchema>;

export const ScheduleOutSchema = ScheduleSummarySchema.extend({
  result: ScheduleResultSchema.nullable().optional(),
}).register(apiSchemas, { id: 'ScheduleOut', examples: [{ ...GUIDE_SUMMARY, result: GUIDE_RESULT }] });
export type ScheduleOut = z.infer<typeof ScheduleOutSchema>;

export const ScheduleListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  status: ScheduleStatusSchema.optional(),
  strategy: StrategySchema.optional(),
  sort: z.enum(['created_at', '-created_at', 'id', '-id', 'name', '-name']).default('-created_at'),
});
export const ScheduleListSchema = z
  .object({
    schedules: z.array(ScheduleSummarySchema),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
  })
  .register(apiSchemas, {
    id: 'ScheduleList',
    examples: [{ schedules: [GUIDE_SUMMARY], total: 1, page: 1, page_size: 20 }],
  });

export const ExportQuerySchema = z.object({
  format: z
    .enum(['json', 'csv', 'svg'])
    .default('json')
    .describe("svg: the Gantt chart as a standalone SVG file, drawn by the console's renderer"),
});

export const ScheduleGetQuerySchema = z.object({
  include_activities: QueryBoolean.default(true).describe(
    'false leaves result.activities out (page them with GET /schedule/{id}/activities)',
  ),
});

/** Upper bound of one activities page: keeps a reply well under the NATS max_payload. */
export const ACTIVITIES_PAGE_MAX = 5000;
export const ActivitiesQuerySchema = z.object({
  line: z.coerce.number().int().min(1).optional().describe('only this line (1-based)'),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(ACTIVITIES_PAGE_MAX).default(1000),
});
export type ActivitiesQuery = z.infer<typeof ActivitiesQuerySchema>;
export const ActivityPageSchema = z
  .object({
    items: z.array(ActivitySchema),
    total: z.number().int().describe('activities matching the filter, over all pages'),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .register(apiSchemas, {
    id: 'ActivityPage',
    examples: [{ items: [GUIDE_ACTIVITY], total: 1, offset: 0, limit: 1000 }],
  });

/** Accepts the guide's `{"lots_data": [...]}` or a bare array of lots. */
export const ValidateLotsBodySchema = z
  .union([
    z.object({
      lots_data: z.array(LotInputSchema),
      config: ScheduleConfigSchema.nullish(),
      start_time: z.string().nullish(),
    }),
    z
      .array(LotInputSchema)
      .transform((lots_data) => ({ lots_data, config: undefined, start_time: undefined })),
  ])
  .register(apiSchemas, {
    id: 'LotsValidationRequest',
    examples: [{ lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000 }] }],
  });
export const ValidationResponseSchema = z
  .object({
    valid: z.boolean(),
    errors: z.array(z.string()),
    warnings: z.array(z.string()),
  })
  .register(apiSchemas, {
    id: 'ValidationResult',
    examples: [
      { valid: true, errors: [], warnings: ["Missing 'priority' field for lot LOT001, defaulting to 0"] },
    ],
  });

export const strategiesResponse = () => ({ strategies: STRATEGIES.map((s) => ({ ...s })) });
export const StrategiesResponseSchema = z
  .object({
    strategies: z.array(z.object({ id: z.string(), name: z.string(), description: z.string() })),
  })
  .register(apiSchemas, { id: 'StrategyList', examples: [strategiesResponse()] });
