import { DuplicateKeyError, isDuplicateKeyError } from '@fillsched/service-kit';
import type { CloudEvent } from '@fillsched/contracts';
import type {
  CancellationRegistry,
  Clock,
  EventPublisher,
  ResultPage,
  ResultStore,
  StoredResult,
} from '../ports';

/** Builds a page from a full document; shared by the adapters so both cut pages the same way. */
export function toPage(doc: StoredResult, offset: number, limit: number): ResultPage {
  const { activities, ...summary } = doc.result;
  return {
    job_id: doc.job_id,
    owner: doc.owner,
    strategy: doc.strategy,
    result: summary,
    lower_bound: doc.lower_bound,
    gap: doc.gap,
    execution_time: doc.execution_time,
    created_at: doc.created_at,
    activities: limit > 0 ? activities.slice(offset, offset + limit) : [],
    total_activities: activities.length,
  };
}

/** In-memory result store (tests, and a platform without MONGO_URL: not durable). */
export class MemoryResultStore implements ResultStore {
  private readonly docs = new Map<string, StoredResult>();

  /** Mirrors the unique index: `insert` throws DuplicateKeyError, `save` treats it as already stored. */
  insert(doc: StoredResult): void {
    if (this.docs.has(doc.job_id)) throw new DuplicateKeyError(undefined, { job_id: doc.job_id });
    this.docs.set(doc.job_id, structuredClone(doc));
  }

  async save(doc: StoredResult): Promise<{ created: boolean }> {
    try {
      this.insert(doc);
      return { created: true };
    } catch (err) {
      if (isDuplicateKeyError(err)) return { created: false };
      throw err;
    }
  }

  async findPage(jobId: string, offset: number, limit: number): Promise<ResultPage | null> {
    const doc = this.docs.get(jobId);
    return doc ? structuredClone(toPage(doc, offset, limit)) : null;
  }

  async delete(jobId: string): Promise<boolean> {
    return this.docs.delete(jobId);
  }

  count(): number {
    return this.docs.size;
  }
}

/** Records what was published, in order (unit tests; also the shape tests assert on). */
export class RecordingPublisher implements EventPublisher {
  readonly events: Array<{ subject: string; event: CloudEvent }> = [];
  readonly deadLetters: Array<{ data: Uint8Array; headers: Record<string, string>; msgId: string }> = [];
  /** Set to make the next publishes fail (transient infrastructure error). */
  failWith: Error | null = null;

  async publish(subject: string, event: CloudEvent): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push({ subject, event: structuredClone(event) });
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
