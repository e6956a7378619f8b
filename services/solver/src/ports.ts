import type { CloudEvent, JobOwner, ResultChunk } from '@fillsched/contracts';
import type {
  Instance,
  NormalizeOutcome,
  RawScheduleInput,
  SolveOutput,
  SolveProgress,
  StrategyId,
} from '@fillsched/engine';

/** Whose result a stored one is (kept beside its chunks; the owner key is the job id). */
export interface ResultMeta {
  job_id: string;
  owner: JobOwner;
  strategy: StrategyId;
  created_at: Date;
}

/**
 * The solver's results (its idempotency state: a redelivered job finds its result and only
 * announces it again), kept as the result document's chunks (`toChunks` in contracts) — the
 * same chunks its owner takes over and stores as they are.
 */
export interface ResultStore {
  /** Idempotent: a second save of the same job_id keeps the first result and returns created=false. */
  save(meta: ResultMeta, chunks: readonly ResultChunk[]): Promise<{ created: boolean }>;
  /** Chunk `index` of a job's result (0 = the head, with the summary); null = no such job or chunk. */
  chunk(jobId: string, index: number): Promise<ResultChunk | null>;
  /** Removes a job's result; false when there was none. */
  delete(jobId: string): Promise<boolean>;
}

/** Lifecycle/progress events (JetStream, msgID = event id) and the dead-letter copy of a job message. */
export interface EventPublisher {
  /** `headers` ride beside the event (e.g. RESULT_INLINE_HEADER on `completed`), never inside it. */
  publish(subject: string, event: CloudEvent, headers?: Record<string, string>): Promise<void>;
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
