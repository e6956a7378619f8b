import { Schema, type Connection, type Model } from 'mongoose';
import {
  activitiesInRange,
  fromChunks,
  orderChunks,
  type ResultChunk,
  type ResultDocument,
  type ResultDocumentSummary,
  type ScheduleStatus,
} from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import { AlreadyExistsError, translateDuplicateKey } from '@fillsched/service-kit';
import {
  ACTIVE_STATUSES,
  ALLOWED_FROM,
  type ResultRepository,
  type ScheduleListFilter,
  type ScheduleRecord,
  type ScheduleRepository,
  type ActivityFilter,
  type ActivityPage,
  type StatusTransition,
} from '../ports';

/**
 * Lots and config are stored as JSON text: they are never queried, and user-chosen keys (product
 * types inside a changeover matrix, unknown lot fields) may contain '.' or '$', which MongoDB
 * field names do not tolerate everywhere.
 */
interface ScheduleDoc {
  schedule_id: number;
  user_id: number;
  name: string;
  strategy: string;
  status: string;
  config_json: string;
  config_template_id: number | null;
  lots_json: string;
  start_time: string | null;
  seed: number | null;
  time_limit_s: number | null;
  job_id: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  warnings?: string[];
  parent_id?: number | null;
  version?: number;
}

const scheduleSchema = new Schema<ScheduleDoc>(
  {
    schedule_id: { type: Number, required: true },
    user_id: { type: Number, required: true },
    name: { type: String, required: true },
    strategy: { type: String, required: true },
    status: { type: String, required: true },
    config_json: { type: String, required: true },
    config_template_id: { type: Number, default: null },
    lots_json: { type: String, required: true },
    start_time: { type: String, default: null },
    seed: { type: Number, default: null },
    time_limit_s: { type: Number, default: null },
    job_id: { type: String, required: true },
    created_at: { type: Date, required: true },
    started_at: { type: Date, default: null },
    completed_at: { type: Date, default: null },
    error_message: { type: String, default: null },
    warnings: { type: [String], default: [] },
    parent_id: { type: Number, default: null },
    version: { type: Number, default: 1 },
  },
  { collection: 'schedules', versionKey: false, minimize: false },
);
scheduleSchema.index({ schedule_id: 1 }, { unique: true });
scheduleSchema.index({ user_id: 1, status: 1 });
scheduleSchema.index({ user_id: 1, created_at: -1 });
scheduleSchema.index({ job_id: 1 }, { unique: true });

function toRecord(d: ScheduleDoc & { _id?: unknown }): ScheduleRecord {
  return {
    id: d.schedule_id,
    user_id: d.user_id,
    name: d.name,
    strategy: d.strategy as StrategyId,
    status: d.status as ScheduleStatus,
    config: JSON.parse(d.config_json) as Record<string, unknown>,
    config_template_id: d.config_template_id ?? null,
    lots_data: JSON.parse(d.lots_json) as Record<string, unknown>[],
    start_time: d.start_time ?? null,
    seed: d.seed ?? null,
    time_limit_s: d.time_limit_s ?? null,
    job_id: d.job_id,
    created_at: new Date(d.created_at),
    started_at: d.started_at ? new Date(d.started_at) : null,
    completed_at: d.completed_at ? new Date(d.completed_at) : null,
    error_message: d.error_message ?? null,
    // Documents written before warnings were kept have none.
    warnings: d.warnings ?? [],
    ...(d.parent_id ? { parent_id: d.parent_id, version: d.version ?? 2 } : {}),
  };
}

function toDoc(r: ScheduleRecord): ScheduleDoc {
  return {
    schedule_id: r.id,
    user_id: r.user_id,
    name: r.name,
    strategy: r.strategy,
    status: r.status,
    config_json: JSON.stringify(r.config),
    config_template_id: r.config_template_id,
    lots_json: JSON.stringify(r.lots_data),
    start_time: r.start_time,
    seed: r.seed,
    time_limit_s: r.time_limit_s,
    job_id: r.job_id,
    created_at: r.created_at,
    started_at: r.started_at,
    completed_at: r.completed_at,
    error_message: r.error_message,
    warnings: r.warnings,
    parent_id: r.parent_id ?? null,
    version: r.version ?? 1,
  };
}

const SORT_FIELD = { created_at: 'created_at', id: 'schedule_id', name: 'name' } as const;

export class MongooseScheduleRepository implements ScheduleRepository {
  private readonly model: Model<ScheduleDoc>;

  constructor(conn: Connection) {
    this.model = (conn.models.Schedule ??
      conn.model('Schedule', scheduleSchema)) as unknown as Model<ScheduleDoc>;
  }

  /** Builds indexes (idempotent); main.ts awaits it so a unique index exists before traffic. */
  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async create(record: ScheduleRecord): Promise<ScheduleRecord> {
    // One round trip on every create's path: an upsert that only inserts. An existing schedule_id
    // matches and is left alone (upsertedCount 0), which holds on the embedded test server too,
    // where unique indexes are not enforced; on MongoDB a racing twin ends in E11000 instead.
    const key = { id: record.id };
    const { schedule_id, ...rest } = toDoc(record);
    const r = await translateDuplicateKey('schedule', key, () =>
      this.model.updateOne({ schedule_id }, { $setOnInsert: rest }, { upsert: true }).exec(),
    );
    if (!r.upsertedCount) throw new AlreadyExistsError('schedule', key);
    return record;
  }

  async get(id: number): Promise<ScheduleRecord | null> {
    const d = await this.model.findOne({ schedule_id: id }).lean<ScheduleDoc>();
    return d ? toRecord(d) : null;
  }

  async list(filter: ScheduleListFilter): Promise<{ items: ScheduleRecord[]; total: number }> {
    const q: Record<string, unknown> = {};
    if (filter.user_id !== undefined) q.user_id = filter.user_id;
    if (filter.status !== undefined) q.status = filter.status;
    if (filter.strategy !== undefined) q.strategy = filter.strategy;
    const desc = filter.sort.startsWith('-');
    const key = SORT_FIELD[(desc ? filter.sort.slice(1) : filter.sort) as keyof typeof SORT_FIELD];
    const dir = desc ? -1 : 1;
    const sort: Record<string, 1 | -1> = { [key]: dir };
    if (key !== 'schedule_id') sort.schedule_id = dir;
    const [docs, total] = await Promise.all([
      this.model.find(q).sort(sort).skip(filter.skip).limit(filter.limit).lean<ScheduleDoc[]>(),
      this.model.countDocuments(q),
    ]);
    return { items: docs.map(toRecord), total };
  }

  async countActive(userId: number): Promise<number> {
    return this.model.countDocuments({ user_id: userId, status: { $in: ACTIVE_STATUSES } });
  }

  async transition(id: number, t: StatusTransition): Promise<ScheduleRecord | null> {
    const from = t.from ?? ALLOWED_FROM[t.to];
    if (from.length === 0) return null;
    const set: Record<string, unknown> = { status: t.to };
    if (t.started_at !== undefined) set.started_at = t.started_at;
    if (t.completed_at !== undefined) set.completed_at = t.completed_at;
    if (t.error_message !== undefined) set.error_message = t.error_message;
    const d = await this.model
      .findOneAndUpdate(
        { schedule_id: id, status: { $in: [...from] } },
        { $set: set },
        { returnDocument: 'after' },
      )
      .lean<ScheduleDoc>();
    return d ? toRecord(d) : null;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.model.deleteOne({ schedule_id: id });
    return r.deletedCount > 0;
  }
}

/**
 * Results are the result document's chunks as the solver cut them (`toChunks` in contracts), each
 * document at most one chunk's bound, far below MongoDB's 16 MB even at the input limits: the head
 * chunk (summary and first activities) in `schedule_results`, the others in `schedule_result_chunks`.
 */
type ResultHeadDoc = ResultChunk & { schedule_id: number; updated_at: Date };
type ResultChunkDoc = ResultChunk & { schedule_id: number };

const headSchema = new Schema<ResultHeadDoc>(
  {
    schedule_id: { type: Number, required: true },
    index: { type: Number, required: true },
    count: { type: Number, required: true },
    from: { type: Number, required: true },
    summary: { type: Schema.Types.Mixed, required: true },
    // An array kept as one Mixed value: no per-element casting of thousands of activities.
    activities: { type: Schema.Types.Mixed, required: true },
    updated_at: { type: Date, required: true },
  },
  { collection: 'schedule_results', versionKey: false, minimize: false },
);
const chunkSchema = new Schema<ResultChunkDoc>(
  {
    schedule_id: { type: Number, required: true },
    index: { type: Number, required: true },
    count: { type: Number, required: true },
    from: { type: Number, required: true },
    activities: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'schedule_result_chunks', versionKey: false, minimize: false },
);
headSchema.index({ schedule_id: 1 }, { unique: true });
chunkSchema.index({ schedule_id: 1, index: 1 }, { unique: true });
/** The unique index of the chunks' layout before they were the result document's (by activity count). */
const OBSOLETE_CHUNK_INDEX = 'schedule_id_1_chunk_1';

const CHUNK_FIELDS = { _id: 0, index: 1, count: 1, from: 1, activities: 1 } as const;

/** A chunk as read back: FerretDB leaves an empty array out of a projection, so `activities` may be missing. */
function asChunk(doc: Record<string, unknown> | null): ResultChunk | null {
  return doc ? ({ ...doc, activities: doc.activities ?? [] } as ResultChunk) : null;
}

export class MongooseResultRepository implements ResultRepository {
  readonly headers: Model<ResultHeadDoc>;
  readonly chunks: Model<ResultChunkDoc>;

  constructor(conn: Connection) {
    this.headers = (conn.models.ScheduleResult ??
      conn.model('ScheduleResult', headSchema)) as unknown as Model<ResultHeadDoc>;
    this.chunks = (conn.models.ScheduleResultChunk ??
      conn.model('ScheduleResultChunk', chunkSchema)) as unknown as Model<ResultChunkDoc>;
  }

  async init(): Promise<void> {
    // A database written by the earlier layout has a unique index on a field chunks no longer have.
    await this.chunks.collection.dropIndex(OBSOLETE_CHUNK_INDEX).catch(() => undefined);
    await Promise.all([this.headers.createIndexes(), this.chunks.createIndexes()]);
  }

  async upsert(scheduleId: number, chunks: readonly ResultChunk[]): Promise<void> {
    const [head, ...rest] = orderChunks(chunks);
    // Chunks first, head last: a reader that finds the head finds every chunk it counts.
    // Replacing by (schedule_id, index) makes a repeated upsert converge to one copy. The chunks
    // are written side by side, and the stale ones (a longer earlier copy) removed beside them all:
    // readers only read below the head's count. A one-chunk result is one round trip, not two.
    const stale = this.chunks.collection.deleteMany({
      schedule_id: scheduleId,
      index: { $gte: head.count },
    });
    const written = (async () => {
      await Promise.all(
        rest.map((c) => {
          const doc: ResultChunkDoc = { ...c, schedule_id: scheduleId };
          return this.chunks.collection.replaceOne({ schedule_id: scheduleId, index: c.index }, doc, {
            upsert: true,
          });
        }),
      );
      const doc: ResultHeadDoc = { ...head, schedule_id: scheduleId, updated_at: new Date() };
      await this.headers.collection.replaceOne({ schedule_id: scheduleId }, doc, { upsert: true });
    })();
    // Both settle before the upsert answers (no write left running behind a failed one).
    for (const r of await Promise.allSettled([stale, written])) if (r.status === 'rejected') throw r.reason;
  }

  private async head(scheduleId: number, withActivities: boolean): Promise<ResultChunk | null> {
    const projection = withActivities
      ? { ...CHUNK_FIELDS, summary: 1 }
      : { _id: 0, index: 1, count: 1, from: 1, summary: 1 };
    return asChunk(await this.headers.collection.findOne({ schedule_id: scheduleId }, { projection }));
  }

  /** The chunks after the head, all of them or those that hold activities [range.from, range.to). */
  private async rest(scheduleId: number, head: ResultChunk, range?: { from: number; to: number }) {
    const q: Record<string, unknown> = { schedule_id: scheduleId, index: { $gt: 0, $lt: head.count } };
    if (range) {
      // Where the chunks start (no activities read): the range begins in the last one starting at or before it.
      const starts = await this.chunks.collection
        .find({ ...q, from: { $lt: range.to } }, { projection: { _id: 0, index: 1, from: 1 } })
        .toArray();
      const first = Math.max(0, ...starts.filter((c) => c.from <= range.from).map((c) => c.index as number));
      const wanted = starts.map((c) => c.index as number).filter((i) => i >= first);
      if (wanted.length === 0) return [];
      q.index = { $in: wanted };
    }
    const found = (
      await this.chunks.collection.find(q, { projection: CHUNK_FIELDS }).sort({ index: 1 }).toArray()
    )
      .map(asChunk)
      .filter((c): c is ResultChunk => c !== null);
    if (range === undefined && found.length !== head.count - 1)
      throw new Error(`result of schedule ${scheduleId}: ${found.length + 1} of ${head.count} chunks found`);
    return found;
  }

  async get(scheduleId: number): Promise<ResultDocument | null> {
    const head = await this.head(scheduleId, true);
    if (!head) return null;
    return fromChunks([head, ...(await this.rest(scheduleId, head))]);
  }

  async summary(scheduleId: number): Promise<ResultDocumentSummary | null> {
    return (await this.head(scheduleId, false))?.summary ?? null;
  }

  /**
   * Without a line filter only the chunks that hold the page are read (by their `from`); a line
   * filter has to look at every chunk, since lines interleave in schedule order.
   */
  async activities(scheduleId: number, filter: ActivityFilter): Promise<ActivityPage | null> {
    const head = await this.head(scheduleId, true);
    if (!head) return null;
    const { offset, limit, line } = filter;
    if (line === undefined) {
      const chunks = [head, ...(await this.rest(scheduleId, head, { from: offset, to: offset + limit }))];
      return { items: activitiesInRange(chunks, offset, limit), total: head.summary!.activity_count };
    }
    const all = fromChunks([head, ...(await this.rest(scheduleId, head))]).activities;
    const matching = all.filter((a) => a.line === line);
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  }

  async delete(scheduleId: number): Promise<void> {
    // Head first: once it is gone the result is invisible, even if removing chunks fails midway.
    await this.headers.deleteOne({ schedule_id: scheduleId });
    await this.chunks.deleteMany({ schedule_id: scheduleId });
  }
}
