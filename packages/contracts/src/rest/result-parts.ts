/**
 * Optional, additive parts of a schedule result (see ScheduleResultSchema): `explanations` on every
 * result and `replan` (the diff against the parent) on a replanned one. Produced by the engine
 * (packages/engine/src/explain.ts, replan.ts).
 */
import { z } from 'zod';
import { apiSchemas } from './common';

/** result.replan: the diff against the parent. */
export const ReplanDiffSchema = z
  .looseObject({
    parent_id: z.number().int().nullable(),
    at: z.string(),
    cutoff: z.string(),
    frozen_lots: z.number().int(),
    moved_count: z.number().int(),
    line_changes: z.number().int(),
    moved: z.array(
      z.object({
        lot_id: z.string(),
        from_line: z.number().int(),
        to_line: z.number().int(),
        shift_hours: z.number(),
      }),
    ),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
    kpi_deltas: z.record(z.string(), z.number()),
    stability: z.object({ weight: z.number(), tolerance_hours: z.number(), cost: z.number() }),
    candidate: z.string(),
  })
  .register(apiSchemas, {
    id: 'ReplanDiff',
    examples: [
      {
        parent_id: 1,
        at: '2024-10-17T08:00:00.000Z',
        cutoff: '2024-10-17T08:00:00.000Z',
        frozen_lots: 14,
        moved_count: 2,
        line_changes: 1,
        moved: [{ lot_id: 'LOT007', from_line: 2, to_line: 1, shift_hours: -3.5 }],
        added: [],
        removed: [],
        changed: ['LOT001'],
        kpi_deltas: { makespan: 25.06, tardiness_hours: 12.5, window_violations: 1 },
        stability: { weight: 1, tolerance_hours: 1, cost: 2 },
        candidate: 'local search',
      },
    ],
  });

/** result.explanations: on every result. */
export const ExplanationsSchema = z
  .looseObject({
    late_lots: z.array(
      z.looseObject({
        lot_id: z.string(),
        line: z.number().int(),
        window: z.object({ start: z.string().nullable(), end: z.string() }),
        fill_end: z.string(),
        late_hours: z.number(),
        capacity_before: z.record(z.string(), z.number()),
        reasons: z.array(z.string()),
      }),
    ),
    late_lots_total: z.number().int(),
    score: z.object({
      total: z.number(),
      terms: z.array(
        z.object({ term: z.string(), value: z.number(), weight: z.number(), contribution: z.number() }),
      ),
    }),
    lower_bound: z.looseObject({
      value: z.number(),
      binding: z.string(),
      argument: z.string(),
      candidates: z.array(z.object({ bound: z.string(), value: z.number() })),
    }),
  })
  .register(apiSchemas, {
    id: 'Explanations',
    examples: [
      {
        late_lots: [
          {
            lot_id: 'LOT001',
            line: 2,
            priority: 1,
            window: { start: null, end: '2024-10-14T16:00:00.000Z' },
            fill_end: '2024-10-14T19:30:00.000Z',
            late_hours: 3.5,
            capacity_before: { lots: 3, fill_hours: 6, setup_hours: 1.5, idle_hours: 0, downtime_hours: 0 },
            downtime: [],
            reasons: [
              'line 2 was busy before it with 3 lot(s): 6 fill hours and 1.5 h of cleans/changeovers',
            ],
          },
        ],
        late_lots_total: 1,
        score: {
          total: 453.5,
          terms: [
            { term: 'makespan', value: 450, weight: 1, contribution: 450 },
            { term: 'tardiness', value: 3.5, weight: 1, contribution: 3.5 },
            { term: 'changeover_hours', value: 12, weight: 0, contribution: 0 },
          ],
        },
        lower_bound: {
          value: 430,
          binding: 'total-work',
          argument:
            '1280 fill hours of 50 lots + at least 10 h of cleans and changeovers, shared by 3 line(s) ⇒ makespan ≥ 430 h',
          candidates: [
            { bound: 'single-lot', value: 24 },
            { bound: 'total-work', value: 430 },
          ],
        },
      },
    ],
  });
