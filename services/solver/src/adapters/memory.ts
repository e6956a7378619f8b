import { DuplicateKeyError, isDuplicateKeyError } from '@fillsched/service-kit';
import type { CloudEvent, ResultChunk } from '@fillsched/contracts';
import type { CancellationRegistry, Clock, EventPublisher, ResultMeta, ResultStore } from '../ports';

/** In-memory result store (tests, and a platform without MONGO_URL: not durable), in chunks as stored. */
export class MemoryResultStore implements ResultStore {
  private readonly docs = new Map<string, { meta: ResultMeta; chunks: ResultChunk[] }>();

  /** Mirrors the unique index: `insert` throws DuplicateKeyError, `save` treats it as already stored. */
  insert(meta: ResultMeta, chunks: readonly ResultChunk[]): void {
    if (this.docs.has(meta.job_id)) throw new DuplicateKeyError(undefined, { job_id: meta.job_id });
    this.docs.set(meta.job_id, { meta: { ...meta }, chunks: structuredClone([...chunks]) });
  }

  async save(meta: ResultMeta, chunks: readonly ResultChunk[]): Promise<{ created: boolean }> {
    try {
      this.insert(meta, chunks);
      return { created: true };
    } catch (err) {
      if (isDuplicateKeyError(err)) return { created: false };
      throw err;
    }
  }

  async chunk(jobId: string, index: number): Promise<ResultChunk | null> {
    const chunk = this.docs.get(jobId)?.chunks.find((c) => c.index === index);
    return chunk ? structuredClone(chunk) : null;
  }

  async delete(jobId: string): Promise<boolean> {
    return this.docs.delete(jobId);
  }

  count(): number {
    return this.docs.size;
  }

  /** Test helper: what is stored for a job. */
  stored(jobId: string): { meta: ResultMeta; chunks: ResultChunk[] } | undefined {
    return this.docs.get(jobId);
  }
}

/** Records what was published, in order (unit tests; also the shape tests assert on). */
export class RecordingPublisher implements EventPublisher {
  readonly events: Array<{ subject: string; event: CloudEvent; headers?: Record<string, string> }> = [];
  readonly deadLetters: Array<{ data: Uint8Array; headers: Record<string, string>; msgId: string }> = [];
  /** Set to make the next publishes fail (transient infrastructure error). */
  failWith: Error | null = null;

  async publish(subject: string, event: CloudEvent, headers?: Record<string, string>): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push({ subject, event: structuredClone(event), ...(headers ? { headers } : {}) });
  }

  async deadLetter(args: {
    data: Uint8Array;
    headers: Record<string, string>;
    msgId: string;
  }): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.deadLetters.push(args);
  }

  types(): string[] {
    return this.events.map((e) => e.event.type);
  }
}

export class MemoryCancellations implements CancellationRegistry {
  readonly ids = new Set<string>();
  async isCancelled(jobId: string): Promise<boolean> {
    return this.ids.has(jobId);
  }
}

export const systemClock: Clock = { now: () => new Date() };
