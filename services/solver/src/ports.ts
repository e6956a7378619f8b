import type { CloudEvent, JobOwner } from '@fillsched/contracts';
import type {
  Instance,
  NormalizeOutcome,
  RawScheduleInput,
  ScheduleResult,
  SolveOutput,
  SolveProgress,
  StrategyId,
} from '@fillsched/engine';

/** What the solver keeps of one finished job (collection `solve_results`, unique by job_id). */
export interface StoredResult {
  job_id: string;
  owner: JobOwner;
  strategy: StrategyId;
  result: ScheduleResult;
  lower_bound: number;
  gap: number;
  execution_time: number;
  created_at: Date;
}

/** A stored result with its activities cut to one page (the full list can exceed NATS max_payload). */
export interface ResultPage {
  job_id: string;
  owner: JobOwner;
  strategy: StrategyId;
  result: Omit<ScheduleResult, 'activities'>;
  lower_bound: number;
  gap: number;
  execution_time: number;
  created_at: Date;
  activities: ScheduleResult['activities'];
  total_activities: number;
}

export interface ResultStore {
  /** Idempotent: a second save of the same job_id keeps the first document and returns created=false. */
  save(doc: StoredResult): Promise<{ created: boolean }>;
  /** activities[offset, offset+limit); limit 0 reads only the summary. null = no such job. */
  findPage(jobId: string, offset: number, limit: number): Promise<ResultPage | null>;
  /** Removes a job's result; false when there was none. */
  delete(jobId: string): Promise<boolean>;
}

/** Lifecycle/progress events (JetStream, msgID = event id) and the dead-letter copy of a job message. */
export interface EventPublisher {
  publish(subject: string, event: CloudEvent): Promise<void>;
  deadLetter(args: { data: Uint8Array; headers: Record<string, string>; msgId: string }): Promise<void>;
}

/** The KV bucket of cancelled job ids, consulted when a job is claimed. */
export interface CancellationRegistry {
  isCancelled(jobId: string): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export interface EngineSolveOptions {
  strategy: StrategyId;
  seed?: number;
  timeLimitS: number;
  signal: AbortSignal;
  onProgress: (p: SolveProgress) => void;
}

/** The scheduling engine as the worker sees it; `solve` runs off the event loop in production. */
export interface Engine {
  normalize(raw: RawScheduleInput): NormalizeOutcome;
  solve(instance: Instance, opts: EngineSolveOptions): Promise<SolveOutput>;
  close?(): Promise<void>;
}

/** The part of a JetStream message the job handler uses, so tests can drive it without a server. */
export interface JobMessage {
  data: Uint8Array;
  subject: string;
  headers?: { get(key: string): string } | undefined;
  info: { deliveryCount: number; streamSequence?: number };
  ack(): void | Promise<void>;
  nak(delayMs?: number): void;
  term(reason?: string): void;
  working(): void;
}
