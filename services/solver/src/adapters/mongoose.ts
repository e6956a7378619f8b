import { randomUUID } from 'node:crypto';
import { RESULT_CHUNK_ACTIVITIES, chunkActivities, chunksForRange } from '@fillsched/contracts';
import { isDuplicateKeyError } from '@fillsched/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ResultPage, ResultStore, StoredResult } from '../ports';

export const RESULTS_COLLECTION = 'solve_results';
export const RESULT_CHUNKS_COLLECTION = 'solve_result_chunks';

type Activity = StoredResult['result']['activities'][number];

/**
 * The header of a stored result (everything but the activities). `writer` names the save that
 * won the header: its chunks are the result's, so two workers saving the same job at once (a
 * redelivery after ack_wait while the first still ran) can never mix their chunks.
 */
interface ResultHeaderDoc extends Omit<StoredResult, 'result'> {
  result: Omit<StoredResult['result'], 'activities'>;
  activity_count: number;
  chunk_count: number;
  chunk_size: number;
  writer: string;
}
interface ResultChunkDoc {
  job_id: string;
  writer: string;
  chunk: number;
  activities: Activity[];
}

const headerSchema = new Schema<ResultHeaderDoc>(
  {
    job_id: { type: String, required: true, unique: true },
    owner: { type: Schema.Types.Mixed, required: true },
    strategy: { type: String, required: true },
    result: { type: Schema.Types.Mixed, required: true },
    lower_bound: { type: Number, required: true },
    gap: { type: Number, required: true },
    execution_time: { type: Number, required: true },
    activity_count: { type: Number, required: true },
    chunk_count: { type: Number, required: true },
    chunk_size: { type: Number, required: true },
    writer: { type: String, required: true },
    created_at: { type: Date, required: true },
  },
  { collection: RESULTS_COLLECTION, versionKey: false, minimize: false },
);
const chunkSchema = new Schema<ResultChunkDoc>(
  {
    job_id: { type: String, required: true },
    writer: { type: String, required: true },
    chunk: { type: Number, required: true },
    // Mixed: activities are stored as produced; no per-activity casting.
    activities: { type: Schema.Types.Mixed, required: true },
  },
  { collection: RESULT_CHUNKS_COLLECTION, versionKey: false, minimize: false },
);
chunkSchema.index({ job_id: 1, writer: 1, chunk: 1 }, { unique: true });

/**
 * Results in the solver's own collections, in the chunked form of the result document
 * (`packages/contracts/src/result-document.ts`): a header in `solve_results` and the activities in
 * `solve_result_chunks`. Chunks are written first, the header last with `$setOnInsert` on the
 * unique job_id: the header is the commit, so a redelivered job never overwrites or duplicates a
 * stored result, and a reader that finds the header finds every chunk it names.
 */
export class MongooseResultStore implements ResultStore {
  readonly model: Model<ResultHeaderDoc>;
  readonly chunks: Model<ResultChunkDoc>;

  constructor(
    conn: Connection,
    private readonly chunkSize = RESULT_CHUNK_ACTIVITIES,
  ) {
    this.model =
      (conn.models.SolveResult as Model<ResultHeaderDoc> | undefined) ??
      conn.model<ResultHeaderDoc>('SolveResult', headerSchema);
    this.chunks =
      (conn.models.SolveResultChunk as Model<ResultChunkDoc> | undefined) ??
      conn.model<ResultChunkDoc>('SolveResultChunk', chunkSchema);
  }

  /** Creates the unique indexes (autoIndex does it in the background; callers at start await this). */
  async init(): Promise<void> {
    await Promise.all([this.model.createIndexes(), this.chunks.createIndexes()]);
  }

  async save(doc: StoredResult): Promise<{ created: boolean }> {
    if (await this.model.collection.findOne({ job_id: doc.job_id }, { projection: { _id: 1 } }))
      return { created: false };
    const { activities, ...summary } = doc.result;
    const writer = randomUUID();
    const chunks = chunkActivities(activities, this.chunkSize);
    for (const c of chunks)
      await this.chunks.collection.insertOne({ job_id: doc.job_id, writer, ...c } as ResultChunkDoc);
    const header: ResultHeaderDoc = {
      ...doc,
      result: summary,
      activity_count: activities.length,
      chunk_count: chunks.length,
      chunk_size: this.chunkSize,
      writer,
    };
    let created: boolean;
    try {
      const res = await this.model.collection.updateOne(
        { job_id: doc.job_id },
        { $setOnInsert: header },
        { upsert: true },
      );
      created = res.upsertedCount > 0;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      created = false;
    }
    // Another save won the header: its chunks are the result, ours are not needed.
    if (!created) await this.chunks.collection.deleteMany({ job_id: doc.job_id, writer });
    return { created };
  }

  async findPage(jobId: string, offset: number, limit: number): Promise<ResultPage | null> {
    const h = (await this.model.collection.findOne(
      { job_id: jobId },
      { projection: { _id: 0 } },
    )) as ResultHeaderDoc | null;
    if (!h) return null;
    const range = chunksForRange(offset, limit, h.activity_count, h.chunk_size);
    let activities: Activity[] = [];
    if (range) {
      // Only the chunks that hold the page leave the database.
      const chunks = (await this.chunks.collection
        .find(
          { job_id: jobId, writer: h.writer, chunk: { $gte: range.first, $lte: range.last } },
          { projection: { _id: 0, chunk: 1, activities: 1 } },
        )
        .toArray()) as unknown as ResultChunkDoc[];
      chunks.sort((a, b) => a.chunk - b.chunk);
      if (chunks.length !== range.last - range.first + 1)
        throw new Error(`result ${jobId}: chunks ${range.first}..${range.last} incomplete`);
      activities = chunks.flatMap((c) => c.activities).slice(range.skip, range.skip + limit);
    }
    return {
      job_id: h.job_id,
      owner: h.owner,
      strategy: h.strategy,
      result: h.result,
      lower_bound: h.lower_bound,
      gap: h.gap,
      execution_time: h.execution_time,
      created_at: new Date(h.created_at),
      activities,
      total_activities: h.activity_count,
    };
  }

  async delete(jobId: string): Promise<boolean> {
    // Header first: once it is gone the result is invisible, even if removing chunks fails midway.
    const res = await this.model.collection.deleteOne({ job_id: jobId });
    await this.chunks.collection.deleteMany({ job_id: jobId });
    return res.deletedCount > 0;
  }
}
