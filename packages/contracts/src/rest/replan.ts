/**
 * Re-planning a completed schedule after a disruption (POST /schedule/{id}/replan) and the optional,
 * additive parts it adds to a result: `replan` (the diff against the parent) and `explanations`
 * (every result: late lots, score per term, the lower bound's binding argument).
 */
import { z } from 'zod';
import { apiSchemas, refuseNulKeys } from './common';
import { LotInputSchema, ScheduleConfigSchema, ScheduleSummarySchema, StrategySchema } from './schedules';

const IsoDateTime = z.string().min(1).describe('ISO 8601 date-time (naive = UTC)');

export const LineDownSchema = z.object({
  type: z.literal('line_down'),
  line: z.union([z.number().int(), z.string().min(1)]).describe('1-based line number, or a line id'),
  start: IsoDateTime,
  end: IsoDateTime,
  reason: z.string().max(200).optional(),
});
export const LotAddedSchema = z.object({ type: z.literal('lot_added'), lot: LotInputSchema });
export const LotRemovedSchema = z.object({
  type: z.literal('lot_removed'),
  lot_id: z.union([z.string(), z.number()]),
});
export const LotChangedSchema = z.object({
  type: z.literal('lot_changed'),
  lot_id: z.union([z.string(), z.number()]),
  vials: z.number().positive().optional(),
  priority: z.number().int().optional(),
  end_window: IsoDateTime.nullable().optional(),
});
export const DisruptionSchema = z
  .discriminatedUnion('type', [LineDownSchema, LotAddedSchema, LotRemovedSchema, LotChangedSchema])
  .register(apiSchemas, {
    id: 'Disruption',
    examples: [
      {
        type: 'line_down',
        line: 2,
        start: '2024-10-17T08:00:00Z',
        end: '2024-10-18T20:00:00Z',
        reason: 'pump failure',
      },
    ],
  });
export type Disruption = z.infer<typeof DisruptionSchema>;

export const REPLAN_EXAMPLE = {
  at: '2024-10-17T08:00:00Z',
  disruptions: [
    {
      type: 'line_down' as const,
      line: 2,
      start: '2024-10-17T08:00:00Z',
      end: '2024-10-18T20:00:00Z',
      reason: 'pump failure',
    },
    { type: 'lot_changed' as const, lot_id: 'LOT001', priority: 3, end_window: '2024-10-17T20:00:00Z' },
  ],
  freeze: 'started',
};

export const ReplanBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional().describe('default: "<parent name> (replan N)"'),
    at: IsoDateTime.nullish().describe('the time of the re-plan; default now. Not before the parent start.'),
    disruptions: z.array(DisruptionSchema).max(1000).default([]),
    freeze: z
      .string()
      .min(1)
      .default('started')
      .describe(
        '"started" (every activity started before `at` keeps its line and times; a running fill finishes) or an ISO 8601 time until which everything is frozen',
      ),
    strategy: StrategySchema.optional().describe("default: the parent's strategy"),
    config: ScheduleConfigSchema.nullish().describe(
      'overrides of priority_weight, time_limit_s, seed, max_makespan, objective (keys that keep the frozen activities as they are)',
    ),
    stability: z
      .object({
        weight: z
          .number()
          .min(0)
          .optional()
          .describe('score cost per moved lot (default 1, or config.objective.stability)'),
        tolerance_hours: z
          .number()
          .min(0)
          .optional()
          .describe('a start shift up to this is not a move (default 1 h)'),
      })
      .optional(),
    seed: z.number().int().nullish(),
    time_limit_s: z.number().positive().max(3600).nullish(),
  })
  .superRefine(refuseNulKeys)
  .register(apiSchemas, { id: 'ReplanRequest', examples: [REPLAN_EXAMPLE] });
export type ReplanBody = z.infer<typeof ReplanBodySchema>;

/** A replanned schedule's summary: the usual shape plus its lineage. */
export const ReplanSummarySchema = ScheduleSummarySchema.extend({
  parent_id: z.number().int(),
  version: z.number().int().min(2),
}).register(apiSchemas, {
  id: 'ReplanSummary',
  examples: [
    {
      id: 2,
      name: 'Production Schedule - Week 42 (replan 2)',
      strategy: 'smart-pack',
      status: 'pending',
      created_at: '2024-10-17T08:00:01',
      started_at: null,
      completed_at: null,
      error_message: null,
      parent_id: 1,
      version: 2,
    },
  ],
});
