import { Schema, type Connection, type Model } from 'mongoose';
import { RESULT_CHUNK_ACTIVITIES, chunkActivities, type ScheduleStatus } from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import { AlreadyExistsError, translateDuplicateKey } from '@fillsched/service-kit';
import {
  ACTIVE_STATUSES,
  ALLOWED_FROM,
  type ResultActivity,
  type ResultRepository,
  type ScheduleListFilter,
  type ScheduleRecord,
  type ScheduleRepository,
  type ActivityFilter,
  type ActivityPage,
  type ResultSummary,
  type StatusTransition,
  type StoredResult,
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
    // The embedded test server does not enforce unique indexes: check as well (ids come from an
    // atomic allocator, so this only guards against misuse).
    const key = { id: record.id };
    if (await this.model.exists({ schedule_id: record.id })) throw new AlreadyExistsError('schedule', key);
    await translateDuplicateKey('schedule', key, () => this.model.create(toDoc(record)));
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

  async countActive(userId: number, opts: { maxId?: number } = {}): Promise<number> {
    const q: Record<string, unknown> = { user_id: userId, status: { $in: ACTIVE_STATUSES } };
    if (opts.maxId !== undefined) q.schedule_id = { $lte: opts.maxId };
    return this.model.countDocuments(q);
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
 * Results are split: a header document per schedule (KPIs, per line, counts) and the activities in
 * chunks, because a 20,000-lot schedule's activities would approach MongoDB's 16 MB document limit.
 */
interface ResultHeaderDoc {
  schedule_id: number;
  summary: Record<string, unknown>;
  activity_count: number;
  chunk_count: number;
  /** Activities per chunk when written; absent in headers written before paging existed. */
  chunk_size?: number;
  updated_at: Date;
}
interface ResultChunkDoc {
  schedule_id: number;
  chunk: number;
  activities: ResultActivity[];
}

const headerSchema = new Schema<ResultHeaderDoc>(
  {
    schedule_id: { type: Number, required: true },
    summary: { type: Schema.Types.Mixed, required: true },
    activity_count: { type: Number, required: true },
    chunk_count: { type: Number, required: true },
    chunk_size: { type: Number },
    updated_at: { type: Date, required: true },
  },
  { collection: 'schedule_results', versionKey: false, minimize: false },
);
const chunkSchema = new Schema<ResultChunkDoc>(
  {
    schedule_id: { type: Number, required: true },
    chunk: { type: Number, required: true },
    // An array kept as one Mixed value: no per-element casting of thousands of activities.
    activities: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'schedule_result_chunks', versionKey: false, minimize: false },
);
headerSchema.index({ schedule_id: 1 }, { unique: true });
chunkSchema.index({ schedule_id: 1, chunk: 1 }, { unique: true });

/** The result document's chunk (packages/contracts/src/result-document.ts), as the solver stores it. */
export const ACTIVITIES_PER_CHUNK = RESULT_CHUNK_ACTIVITIES;

export class MongooseResultRepository implements ResultRepository {
  private readonly headers: Model<ResultHeaderDoc>;
  private readonly chunks: Model<ResultChunkDoc>;

  constructor(
    conn: Connection,
    private readonly chunkSize = ACTIVITIES_PER_CHUNK,
  ) {
    this.headers = (conn.models.ScheduleResult ??
      conn.model('ScheduleResult', headerSchema)) as unknown as Model<ResultHeaderDoc>;
    this.chunks = (conn.models.ScheduleResultChunk ??
      conn.model('ScheduleResultChunk', chunkSchema)) as unknown as Model<ResultChunkDoc>;
  }

  async init(): Promise<void> {
    await Promise.all([this.headers.createIndexes(), this.chunks.createIndexes()]);
  }

  async upsert(scheduleId: number, result: StoredResult): Promise<void> {
    const { activities, ...summary } = result;
    const chunks = chunkActivities(activities, this.chunkSize);
    const chunkCount = chunks.length;
    // Chunks first, header last: a reader that finds the header finds every chunk it names.
    // Replacing by (schedule_id, chunk) makes a repeated upsert converge to one copy.
    for (const c of chunks) {
      const doc: ResultChunkDoc = { schedule_id: scheduleId, ...c };
      await this.chunks.replaceOne({ schedule_id: scheduleId, chunk: c.chunk }, doc, { upsert: true });
    }
    await this.chunks.deleteMany({ schedule_id: scheduleId, chunk: { $gte: chunkCount } });
    await this.headers.replaceOne(
      { schedule_id: scheduleId },
      {
        schedule_id: scheduleId,
        summary,
        activity_count: activities.length,
        chunk_count: chunkCount,
        chunk_size: this.chunkSize,
        updated_at: new Date(),
      },
      { upsert: true },
    );
  }

  async get(scheduleId: number): Promise<StoredResult | null> {
    const h = await this.headers.findOne({ schedule_id: scheduleId }).lean<ResultHeaderDoc>();
    if (!h) return null;
    const chunks = await this.chunks
      .find({ schedule_id: scheduleId, chunk: { $lt: h.chunk_count } })
      .sort({ chunk: 1 })
      .lean<ResultChunkDoc[]>();
    const activities = chunks.flatMap((c) => c.activities);
    return { ...(h.summary as Omit<StoredResult, 'activities'>), activities } as StoredResult;
  }

  async summary(scheduleId: number): Promise<ResultSummary | null> {
    const h = await this.headers.findOne({ schedule_id: scheduleId }).lean<ResultHeaderDoc>();
    if (!h) return null;
    return { ...(h.summary as Omit<StoredResult, 'activities'>), activity_count: h.activity_count };
  }

  /**
   * Without a line filter only the chunks that hold the page are read (the header knows the chunk
   * size); a line filter has to look at every chunk, since lines interleave in schedule order.
   */
  async activities(scheduleId: number, filter: ActivityFilter): Promise<ActivityPage | null> {
    const h = await this.headers.findOne({ schedule_id: scheduleId }).lean<ResultHeaderDoc>();
    if (!h) return null;
    const { offset, limit, line } = filter;
    const size = h.chunk_size;
    if (line === undefined && size) {
      const first = Math.floor(offset / size);
      const last = Math.min(h.chunk_count - 1, Math.floor((offset + limit - 1) / size));
      if (first > last) return { items: [], total: h.activity_count };
      const chunks = await this.chunks
        .find({ schedule_id: scheduleId, chunk: { $gte: first, $lte: last } })
        .sort({ chunk: 1 })
        .lean<ResultChunkDoc[]>();
      const start = offset - first * size;
      const items = chunks.flatMap((c) => c.activities).slice(start, start + limit);
      return { items, total: h.activity_count };
    }
    const chunks = await this.chunks
      .find({ schedule_id: scheduleId, chunk: { $lt: h.chunk_count } })
      .sort({ chunk: 1 })
      .lean<ResultChunkDoc[]>();
    const all = chunks.flatMap((c) => c.activities);
    const matching = line === undefined ? all : all.filter((a) => a.line === line);
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  }

  async delete(scheduleId: number): Promise<void> {
    // Header first: once it is gone the result is invisible, even if removing chunks fails midway.
    await this.headers.deleteOne({ schedule_id: scheduleId });
    await this.chunks.deleteMany({ schedule_id: scheduleId });
  }
}
