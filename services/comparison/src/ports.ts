import type { CloudEvent } from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import type { SolveJobPublisher } from '@fillsched/job-owner';

export type ComparisonStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type EntryStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export const ENDED_STATUSES: readonly EntryStatus[] = ['completed', 'failed', 'cancelled'];
export const UNFINISHED_STATUSES: readonly EntryStatus[] = ['pending', 'running'];

/** One strategy's run inside a comparison; KPIs are null until it completes. */
export interface StrategyEntry {
  strategy: StrategyId;
  job_id: string;
  status: EntryStatus;
  makespan: number | null;
  utilization: number | null;
  changeovers: number | null;
  lots_scheduled: number | null;
  window_violations: number | null;
  execution_time: number | null;
  lower_bound: number | null;
  gap: number | null;
  error_message: string | null;
}

export type EntryUpdate = Partial<Omit<StrategyEntry, 'strategy' | 'job_id' | 'status'>> & {
  status: EntryStatus;
};

export interface Comparison {
  id: number;
  user_id: number;
  name: string;
  strategies: StrategyId[];
  status: ComparisonStatus;
  /** The resolved config every strategy ran with, and the template it came from. */
  config: Record<string, unknown>;
  config_template_id: number | null;
  start_time: string | null;
  seed: number | null;
  time_limit_s: number | null;
  /** In the order of `strategies`. */
  results: StrategyEntry[];
  best_strategy: StrategyId | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  /** Set once `comparison.finished` has been published (so a crash in between is repaired later). */
  finished_published: boolean;
  /** What the create request contained that was ignored (unknown fields and config keys). */
  warnings: string[];
}

/**
 * What is stored: the comparison plus its lots, kept with the run for the record. Reads leave the
 * lots out: no reply needs them, and every lifecycle event reads the comparison.
 */
export interface NewComparison extends Comparison {
  lots_data: Record<string, unknown>[];
}

/**
 * Storage of comparisons. The lifecycle operations are single conditional updates (no
 * transactions needed): concurrent events for different strategies, duplicates and any order
 * all end in the same state.
 */
export interface ComparisonRepository {
  /** Throws AlreadyExistsError when the id exists. */
  insert(c: NewComparison): Promise<void>;
  findById(id: number): Promise<Comparison | null>;
  /** Newest first; `user_id` null = everyone's (superusers). */
  list(userId: number | null, skip: number, limit: number): Promise<{ items: Comparison[]; total: number }>;
  delete(id: number): Promise<boolean>;
  /** pending → running with started_at; no-op (false) in any other status. */
  markStarted(id: number, at: Date): Promise<boolean>;
  /** Applies `update` to one strategy's entry only if its status is one of `from`; true when applied. */
  updateEntry(
    id: number,
    strategy: string,
    from: readonly EntryStatus[],
    update: EntryUpdate,
  ): Promise<boolean>;
  /**
   * pending|running → a final status, once: returns the comparison when this call made the
   * change, null when it was already final (another event won) or is gone.
   */
  finish(
    id: number,
    final: { status: ComparisonStatus; best_strategy: StrategyId | null; completed_at: Date },
  ): Promise<Comparison | null>;
  markFinishedPublished(id: number): Promise<void>;
}

export interface JobPublisher extends SolveJobPublisher {
  /** The aggregate event on `comparisonFinishedSubject(id)`. */
  publishFinished(subject: string, event: CloudEvent): Promise<void>;
}

export type { Canceller, ConfigResolver, ResolveOutcome } from '@fillsched/job-owner';

export { systemClock, type Clock } from '@fillsched/job-owner';
