import {
  activitiesInRange,
  fromChunks,
  orderChunks,
  type ResultChunk,
  type ResultDocument,
  type ResultDocumentSummary,
} from '@fillsched/contracts';
import { AlreadyExistsError } from '@fillsched/service-kit';
import {
  ACTIVE_STATUSES,
  ALLOWED_FROM,
  type ActivityFilter,
  type ActivityPage,
  type ResultRepository,
  type ScheduleListFilter,
  type ScheduleRecord,
  type ScheduleRepository,
  type StatusTransition,
} from '../ports';

/**
 * Deep copies keep callers from mutating stored state through returned objects (as a database
 * would). Not structuredClone: its Dates come from another realm under jest's sandbox.
 */
function copy<T>(v: T): T {
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copy(x);
    return out as T;
  }
  return v;
}

export function compareSchedules(
  sort: ScheduleListFilter['sort'],
): (a: ScheduleRecord, b: ScheduleRecord) => number {
  const desc = sort.startsWith('-');
  const field = (desc ? sort.slice(1) : sort) as 'created_at' | 'id' | 'name';
  const sign = desc ? -1 : 1;
  return (a, b) => {
    let c: number;
    if (field === 'created_at') c = a.created_at.getTime() - b.created_at.getTime();
    else if (field === 'name') c = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    else c = a.id - b.id;
    // Ties broken by id in the same direction, so pages are stable.
    return sign * (c !== 0 ? c : a.id - b.id);
  };
}

export class MemoryScheduleRepository implements ScheduleRepository {
  private readonly rows = new Map<number, ScheduleRecord>();

  async create(record: ScheduleRecord): Promise<ScheduleRecord> {
    if (this.rows.has(record.id)) throw new AlreadyExistsError('schedule', { id: record.id });
    this.rows.set(record.id, copy(record));
    return copy(record);
  }

  async get(id: number): Promise<ScheduleRecord | null> {
    const r = this.rows.get(id);
    return r ? copy(r) : null;
  }

  async list(filter: ScheduleListFilter): Promise<{ items: ScheduleRecord[]; total: number }> {
    const matching = [...this.rows.values()].filter(
      (r) =>
        (filter.user_id === undefined || r.user_id === filter.user_id) &&
        (filter.status === undefined || r.status === filter.status) &&
        (filter.strategy === undefined || r.strategy === filter.strategy),
    );
    matching.sort(compareSchedules(filter.sort));
    return {
      items: matching.slice(filter.skip, filter.skip + filter.limit).map(copy),
      total: matching.length,
    };
  }

  async countActive(userId: number): Promise<number> {
    let n = 0;
    for (const r of this.rows.values()) if (r.user_id === userId && ACTIVE_STATUSES.includes(r.status)) n++;
    return n;
  }

  async transition(id: number, t: StatusTransition): Promise<ScheduleRecord | null> {
    const r = this.rows.get(id);
    const from = t.from ?? ALLOWED_FROM[t.to];
    if (!r || !from.includes(r.status)) return null;
    r.status = t.to;
    if (t.started_at !== undefined) r.started_at = t.started_at;
    if (t.completed_at !== undefined) r.completed_at = t.completed_at;
    if (t.error_message !== undefined) r.error_message = t.error_message;
    return copy(r);
  }

  async delete(id: number): Promise<boolean> {
    return this.rows.delete(id);
  }
}

/** Results as the chunks they were stored in (copies in and out, as a database would). */
export class MemoryResultRepository implements ResultRepository {
  private readonly rows = new Map<number, ResultChunk[]>();

  async upsert(scheduleId: number, chunks: readonly ResultChunk[]): Promise<void> {
    this.rows.set(scheduleId, orderChunks(chunks).map(copy));
  }

  async get(scheduleId: number): Promise<ResultDocument | null> {
    const r = this.rows.get(scheduleId);
    return r ? copy(fromChunks(r)) : null;
  }

  async summary(scheduleId: number): Promise<ResultDocumentSummary | null> {
    const head = this.rows.get(scheduleId)?.[0];
    return head?.summary ? copy(head.summary) : null;
  }

  async activities(scheduleId: number, filter: ActivityFilter): Promise<ActivityPage | null> {
    const r = this.rows.get(scheduleId);
    if (!r) return null;
    const { offset, limit, line } = filter;
    if (line === undefined)
      return { items: copy(activitiesInRange(r, offset, limit)), total: r[0].summary!.activity_count };
    const matching = r.flatMap((c) => c.activities).filter((a) => a.line === line);
    return { items: copy(matching.slice(offset, offset + limit)), total: matching.length };
  }

  async delete(scheduleId: number): Promise<void> {
    this.rows.delete(scheduleId);
  }

  /** Test helper: the stored chunks of a result. */
  chunks(scheduleId: number): ResultChunk[] | undefined {
    return this.rows.get(scheduleId);
  }

  /** Test helper. */
  size(): number {
    return this.rows.size;
  }
}
