import type { ResultDocument } from '@fillsched/contracts';
import type { SolveOutput } from '@fillsched/engine';

/**
 * The engine's output as the result document (contracts): its result without the activities,
 * with the lower bound, gap and execution time beside it, is the summary. The one place a result
 * changes shape; from here it is stored and handed over in chunks as it is.
 */
export function resultDocumentOf(out: SolveOutput): ResultDocument {
  const { activities, ...rest } = out.result;
  const summary = {
    ...rest,
    lower_bound: out.lower_bound,
    gap: out.gap,
    execution_time: out.execution_time,
    activity_count: activities.length,
  };
  // The engine's interfaces (Explanations, ReplanDiff) are the contract's loose shapes without
  // their index signatures: comparable, not assignable (the solver tests parse real documents).
  return { summary: summary as ResultDocument['summary'], activities };
}
