import type {
  CloudEvent,
  ResultActivity,
  ResultChunk,
  ResultDocument,
  ResultDocumentSummary,
  ScheduleStatus,
  ScheduleStatusEvent,
  SolveJob,
} from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import type { IdAllocator } from '@fillsched/service-kit';

export type { IdAllocator, ResultActivity };

/** One schedule as this service stores it. Times are Dates here; replies render ISO strings. */
export interface ScheduleRecord {
  id: number;
  user_id: number;
  name: string;
  strategy: StrategyId;
  status: ScheduleStatus;
  /** The resolved config the job ran with (template merged with the request's keys). */
  config: Record<string, unknown>;
  config_template_id: number | null;
  lots_data: Record<string, unknown>[];
  start_time: string | null;
  seed: number | null;
  time_limit_s: number | null;
  job_id: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  /** What the create request contained that was ignored (unknown fields and config keys). */
  warnings: string[];
  /** Replans: the schedule this one re-plans, and 1 + its version (originals have neither; version 1). */
  parent_id?: number | null;
  version?: number;
}

export type ScheduleSort = 'created_at' | '-created_at' | 'id' | '-id' | 'name' | '-name';

export interface ScheduleListFilter {
  /** Omitted for a superuser: everyone's schedules. */
  user_id?: number;
  status?: ScheduleStatus;
  strategy?: StrategyId;
  sort: ScheduleSort;
  skip: number;
  limit: number;
}

/** Statuses that count against the per-user concurrency limit. */
export const ACTIVE_STATUSES: readonly ScheduleStatus[] = ['pending', 'running'];

/**
 * The only forward moves of the lifecycle; a transition names the statuses it may come from, so
 * a late or duplicated event can never move a schedule backwards.
 */
export const ALLOWED_FROM: Readonly<Record<ScheduleStatus, readonly ScheduleStatus[]>> = {
  pending: [],
  running: ['pending'],
  completed: ['pending', 'running'],
  failed: ['pending', 'running'],
  cancelled: ['pending', 'running'],
};

export interface StatusTransition {
  to: ScheduleStatus;
  /** Precondition: the current status must be one of these (defaults to ALLOWED_FROM[to]). */
  from?: readonly ScheduleStatus[];
  started_at?: Date | null;
  completed_at?: Date | null;
  error_message?: string | null;
}

export interface ScheduleRepository {
  /** Throws AlreadyExistsError when the id exists. */
  create(record: ScheduleRecord): Promise<ScheduleRecord>;
  get(id: number): Promise<ScheduleRecord | null>;
  list(filter: ScheduleListFilter): Promise<{ items: ScheduleRecord[]; total: number }>;
  /** pending + running schedules of a user. */
  countActive(userId: number): Promise<number>;
  /**
   * Atomic compare-and-set of the status (findOneAndUpdate with a status precondition).
   * Returns the updated record, or null when the schedule is gone or not in an allowed status.
   */
  transition(id: number, t: StatusTransition): Promise<ScheduleRecord | null>;
  /** True when something was deleted. */
  delete(id: number): Promise<boolean>;
}

/** Which activities one page holds: schedule order, optionally one line only. */
export interface ActivityFilter {
  line?: number;
  offset: number;
  limit: number;
}
export interface ActivityPage {
  items: ResultActivity[];
  /** Activities matching the filter over all pages. */
  total: number;
}

/**
 * The results of completed schedules, kept as the result document's chunks exactly as the solver
 * cut them (`toChunks` in contracts): taken over and stored as they are, read back whole or by page.
 */
export interface ResultRepository {
  /** Stores a result's chunks as they are; storing a schedule's result again replaces the earlier copy. */
  upsert(scheduleId: number, chunks: readonly ResultChunk[]): Promise<void>;
  get(scheduleId: number): Promise<ResultDocument | null>;
  /** The summary alone (the head chunk's), without reading the other chunks; null when none is stored. */
  summary(scheduleId: number): Promise<ResultDocumentSummary | null>;
  /** One page of activities; null when no result is stored. */
  activities(scheduleId: number, filter: ActivityFilter): Promise<ActivityPage | null>;
  delete(scheduleId: number): Promise<void>;
}

/** Publishes `solve.requested` on the jobs work queue (dedup by event id). */
export interface JobPublisher {
  publish(event: CloudEvent<SolveJob>): Promise<void>;
  /** The service's own status event (`com.fillsched.schedule.<status>`) on the events stream. */
  announce(subject: string, event: CloudEvent<ScheduleStatusEvent>): Promise<void>;
}

export type { Canceller, ConfigResolver, ResolveOutcome } from '@fillsched/job-owner';

export type FetchOutcome =
  { kind: 'ok'; chunks: ResultChunk[] } | { kind: 'not_found' } | { kind: 'unavailable'; reason: string };

/** Takes a solve result over from the solver pool: all of its chunks, checked to be one whole document. */
export interface ResultFetcher {
  fetch(jobId: string): Promise<FetchOutcome>;
}

export { systemClock, type Clock } from '@fillsched/job-owner';
