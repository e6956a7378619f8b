import { isDuplicateKeyError, isNotImplementedError } from '@fillsched/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ResultPage, ResultStore, StoredResult } from '../ports';

export const RESULTS_COLLECTION = 'solve_results';

interface ResultDoc extends StoredResult {
  activity_count: number;
}

const resultSchema = new Schema<ResultDoc>(
  {
    job_id: { type: String, required: true, unique: true },
    owner: { type: Schema.Types.Mixed, required: true },
    strategy: { type: String, required: true },
    // Mixed: the engine's result is stored as produced; no per-activity casting on a 40k-activity array.
    result: { type: Schema.Types.Mixed, required: true },
    lower_bound: { type: Number, required: true },
    gap: { type: Number, required: true },
    execution_time: { type: Number, required: true },
    activity_count: { type: Number, required: true },
    created_at: { type: Date, required: true },
  },
  { collection: RESULTS_COLLECTION, versionKey: false, minimize: false },
);

/**
 * Results in the solver's own `solve_results` collection. `save` is an upsert with `$setOnInsert`
 * on the unique job_id, so a redelivered job never overwrites or duplicates a stored result; a
 * concurrent insert losing the race on real MongoDB raises E11000, which means "already stored".
 */
export class MongooseResultStore implements ResultStore {
  readonly model: Model<ResultDoc>;

  constructor(conn: Connection) {
    this.model =
      (conn.models.SolveResult as Model<ResultDoc> | undefined) ??
      conn.model<ResultDoc>('SolveResult', resultSchema);
  }

  /** Creates the unique index (autoIndex does it in the background; callers at start await this). */
  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async save(doc: StoredResult): Promise<{ created: boolean }> {
    const full: ResultDoc = { ...doc, activity_count: doc.result.activities.length };
    try {
      const res = await this.model.collection.updateOne(
        { job_id: doc.job_id },
        { $setOnInsert: full },
        { upsert: true },
      );
      return { created: res.upsertedCount > 0 };
    } catch (err) {
      if (isDuplicateKeyError(err)) return { created: false };
      throw err;
    }
  }

  async findPage(jobId: string, offset: number, limit: number): Promise<ResultPage | null> {
    const doc = await this.findWithActivities(jobId, offset, limit);
    if (!doc) return null;
    const { activities = [], ...summary } = doc.result as StoredResult['result'];
    // A server that ignores $slice (the embedded test server) or cannot run it (FerretDB) gives the whole array.
    const page =
      activities.length === doc.activity_count ? activities.slice(offset, offset + limit) : activities;
    return {
      job_id: doc.job_id,
      owner: doc.owner,
      strategy: doc.strategy,
      result: summary,
      lower_bound: doc.lower_bound,
      gap: doc.gap,
      execution_time: doc.execution_time,
      created_at: new Date(doc.created_at),
      activities: limit > 0 ? page : [],
      total_activities: doc.activity_count,
    };
  }

  /** False once the server refused a $slice projection: later reads skip the failing round trip. */
  private sliceProjection = true;

  private async findWithActivities(jobId: string, offset: number, limit: number): Promise<ResultDoc | null> {
    const find = (projection: Record<string, unknown>) =>
      this.model.collection.findOne({ job_id: jobId }, { projection }) as Promise<ResultDoc | null>;
    if (this.sliceProjection) {
      try {
        // $slice projection: only the requested page of activities leaves the database. A summary
        // read (limit 0) takes a 1-element slice, not `'result.activities': 0`: the embedded wire
        // server applies a nested exclusion to the stored document itself, so every redelivered job
        // (which reads the summary) lost its activities and its schedule never completed.
        const slice = limit > 0 ? [offset, limit] : 1;
        return await find({ _id: 0, 'result.activities': { $slice: slice } });
      } catch (err) {
        // FerretDB 1.24: "projection expression { $slice: … } is not supported" (NotImplemented).
        if (!isNotImplementedError(err)) throw err;
        this.sliceProjection = false;
      }
    }
    return find({ _id: 0 });
  }

  async delete(jobId: string): Promise<boolean> {
    const res = await this.model.collection.deleteOne({ job_id: jobId });
    return res.deletedCount > 0;
  }
}
