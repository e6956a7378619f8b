import type { CloudEvent, RpcUser, SolveJob } from '@fillsched/contracts';

/** Tells the solver pool to abort (running job) or skip (queued job) a job. */
export interface Canceller {
  /** KV mark (a solver claiming it later skips it) + broadcast (a running solver aborts). */
  cancel(jobId: string): Promise<void>;
}

export type ResolveOutcome =
  | { kind: 'resolved'; config: Record<string, unknown>; template_id: number | null }
  /** The config service answered with a client error (template not found, invalid id): pass it through. */
  | { kind: 'rejected'; status: number; body: unknown }
  | { kind: 'unavailable'; reason: string };

export interface ConfigResolver {
  resolve(
    user: RpcUser,
    req: { config_id: number | null; config: Record<string, unknown> | null },
  ): Promise<ResolveOutcome>;
}

/** How a lifecycle event is settled: ack after the store, term when it can never apply, nak to retry later. */
export type EventDecision =
  /** `unknown`: a type no contract knows, logged as a warning and ignored. */
  | { action: 'ack'; note?: string; unknown?: boolean }
  | { action: 'term'; reason: string }
  | { action: 'nak'; delayMs: number; reason: string };

/** Publishes `solve.requested` on the jobs work queue (dedup by event id). */
export interface SolveJobPublisher {
  /**
   * `duplicate: true` when the stream already held this event id: the job id was used before,
   * which only happens when non-durable storage restarted and handed out the same ids again.
   */
  publishJob(event: CloudEvent<SolveJob>): Promise<{ duplicate: boolean }>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
