import { AlreadyExistsError, translateDuplicateKey } from '@fillsched/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';
import type { StrategyId } from '@fillsched/engine';
import type {
  Comparison,
  ComparisonRepository,
  ComparisonStatus,
  EntryStatus,
  EntryUpdate,
  NewComparison,
  StrategyEntry,
} from '../ports';

/**
 * Stored shape: the per-strategy entries live in an object keyed by strategy id, so one entry is
 * updated with a plain dotted path (`entries.<strategy>.status`) in the filter and the $set of a
 * single updateOne: atomic, no array positional matching, no transaction.
 */
interface ComparisonDoc extends Omit<NewComparison, 'results' | 'config' | 'lots_data'> {
  entries: Record<string, Omit<StrategyEntry, 'strategy'>>;
  /**
   * Config and lots as JSON text, as the schedule store keeps them: never queried, and their
   * user-chosen keys (product types such as 'Vial.E', unknown lot fields) may contain '.' or start
   * with '$', which FerretDB 1.24 refuses in any document ("key must not contain '.' sign").
   */
  config_json?: string;
  lots_json?: string;
  /** Documents written before the JSON text fields hold these as objects; still read. */
  config?: Record<string, unknown>;
  lots_data?: Record<string, unknown>[];
}

const comparisonSchema = new Schema<ComparisonDoc>(
  {
    id: { type: Number, required: true, unique: true },
    user_id: { type: Number, required: true, index: true },
    name: { type: String, required: true },
    strategies: { type: [String], required: true },
    status: { type: String, required: true },
    config_json: { type: String },
    config: { type: Schema.Types.Mixed },
    config_template_id: { type: Number, default: null },
    lots_json: { type: String },
    lots_data: { type: Schema.Types.Mixed },
    start_time: { type: String, default: null },
    seed: { type: Number, default: null },
    time_limit_s: { type: Number, default: null },
    entries: { type: Schema.Types.Mixed, required: true },
    best_strategy: { type: String, default: null },
    created_at: { type: Date, required: true },
    started_at: { type: Date, default: null },
    completed_at: { type: Date, default: null },
    finished_published: { type: Boolean, default: false },
    warnings: { type: [String], default: [] },
  },
  // minimize: false keeps empty objects (an entry's fields, a legacy `config: {}`).
  { collection: 'comparisons', versionKey: false, minimize: false },
);

/** Reads leave the (possibly large) lots out. */
const WITHOUT_LOTS = { lots_json: 0, lots_data: 0 } as const;
const SAFE_KEY = /^[A-Za-z0-9_-]+$/;
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as Date));

function toComparison(raw: unknown): Comparison {
  const d = raw as ComparisonDoc & { _id?: unknown };
  const strategies = [...d.strategies] as StrategyId[];
  return {
    id: d.id,
    user_id: d.user_id,
    name: d.name,
    strategies,
    status: d.status,
    config:
      d.config_json !== undefined ? (JSON.parse(d.config_json) as Record<string, unknown>) : (d.config ?? {}),
    config_template_id: d.config_template_id ?? null,
    start_time: d.start_time ?? null,
    seed: d.seed ?? null,
    time_limit_s: d.time_limit_s ?? null,
    results: strategies.map((strategy) => {
      const e = d.entries[strategy];
      return {
        strategy,
        job_id: e.job_id,
        status: e.status,
        makespan: e.makespan ?? null,
        utilization: e.utilization ?? null,
        changeovers: e.changeovers ?? null,
        lots_scheduled: e.lots_scheduled ?? null,
        window_violations: e.window_violations ?? null,
        execution_time: e.execution_time ?? null,
        lower_bound: e.lower_bound ?? null,
        gap: e.gap ?? null,
        error_message: e.error_message ?? null,
      };
    }),
    best_strategy: (d.best_strategy ?? null) as StrategyId | null,
    created_at: new Date(d.created_at),
    started_at: date(d.started_at),
    completed_at: date(d.completed_at),
    finished_published: Boolean(d.finished_published),
    // Documents written before warnings were kept have none.
    warnings: d.warnings ? [...d.warnings] : [],
  };
}

export class MongooseComparisonRepository implements ComparisonRepository {
  private readonly model: Model<ComparisonDoc>;
  constructor(conn: Connection) {
    this.model = conn.models.Comparison ?? conn.model<ComparisonDoc>('Comparison', comparisonSchema);
  }

  async insert(c: NewComparison): Promise<void> {
    // The embedded test server does not enforce unique indexes, so check the public id too.
    const key = { id: c.id };
    if (await this.model.exists(key)) throw new AlreadyExistsError('comparison', key);
    const { results, config, lots_data, ...rest } = c;
    const entries: ComparisonDoc['entries'] = {};
    for (const { strategy, ...entry } of results) {
      if (!SAFE_KEY.test(strategy)) throw new Error(`unsafe strategy key ${strategy}`);
      entries[strategy] = entry;
    }
    await translateDuplicateKey('comparison', key, () =>
      this.model.create({
        ...rest,
        config_json: JSON.stringify(config),
        lots_json: JSON.stringify(lots_data),
        entries,
      }),
    );
  }

  async findById(id: number): Promise<Comparison | null> {
    const doc = await this.model.findOne({ id }, WITHOUT_LOTS).lean();
    return doc ? toComparison(doc) : null;
  }

  async list(userId: number | null, skip: number, limit: number) {
    const q = userId === null ? {} : { user_id: userId };
    const [docs, total] = await Promise.all([
      this.model.find(q, WITHOUT_LOTS).sort({ id: -1 }).skip(skip).limit(limit).lean(),
      this.model.countDocuments(q),
    ]);
    return { items: docs.map(toComparison), total };
  }

  async delete(id: number): Promise<boolean> {
    return (await this.model.deleteOne({ id })).deletedCount > 0;
  }

  async markStarted(id: number, at: Date): Promise<boolean> {
    const res = await this.model.collection.updateOne(
      { id, status: 'pending' },
      { $set: { status: 'running', started_at: at } },
    );
    return res.modifiedCount > 0;
  }

  async updateEntry(id: number, strategy: string, from: readonly EntryStatus[], update: EntryUpdate) {
    if (!SAFE_KEY.test(strategy)) return false;
    const $set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(update)) if (v !== undefined) $set[`entries.${strategy}.${k}`] = v;
    const res = await this.model.collection.updateOne(
      { id, [`entries.${strategy}.status`]: { $in: [...from] } },
      { $set },
    );
    return res.modifiedCount > 0;
  }

  async finish(
    id: number,
    final: { status: ComparisonStatus; best_strategy: StrategyId | null; completed_at: Date },
  ): Promise<Comparison | null> {
    const doc = await this.model.collection.findOneAndUpdate(
      { id, status: { $in: ['pending', 'running'] } },
      {
        $set: { status: final.status, best_strategy: final.best_strategy, completed_at: final.completed_at },
      },
      // No projection: FerretDB 1.24 refuses findAndModify's `fields` (NotImplemented), and
      // toComparison drops the lots anyway; they cross the wire once per finished comparison.
      { returnDocument: 'after' },
    );
    return doc ? toComparison(doc) : null;
  }

  async markFinishedPublished(id: number): Promise<void> {
    await this.model.collection.updateOne({ id }, { $set: { finished_published: true } });
  }
}
