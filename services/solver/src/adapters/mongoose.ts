import { randomUUID } from 'node:crypto';
import type { ResultChunk } from '@fillsched/contracts';
import { isDuplicateKeyError } from '@fillsched/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ResultMeta, ResultStore } from '../ports';

export const RESULTS_COLLECTION = 'solve_results';
export const RESULT_CHUNKS_COLLECTION = 'solve_result_chunks';

/**
 * The head chunk of a stored result (index 0: the summary and the first activities) with whose it
 * is. `writer` names the save that won the head: the other chunks with that writer are the
 * result's, so two workers saving the same job at once (a redelivery after ack_wait while the first
 * still ran) can never mix their chunks.
 */
type ResultHeadDoc = ResultMeta & ResultChunk & { writer: string };
/** Chunks 1..count-1, as `toChunks` cut them. */
type ResultChunkDoc = ResultChunk & { job_id: string; writer: string };

const headSchema = new Schema<ResultHeadDoc>(
  {
    job_id: { type: String, required: true, unique: true },
    owner: { type: Schema.Types.Mixed, required: true },
    strategy: { type: String, required: true },
    created_at: { type: Date, required: true },
    writer: { type: String, required: true },
    index: { type: Number, required: true },
    count: { type: Number, required: true },
    from: { type: Number, required: true },
    summary: { type: Schema.Types.Mixed, required: true },
    // Mixed: activities are stored as produced; no per-activity casting.
    activities: { type: Schema.Types.Mixed, required: true },
  },
  { collection: RESULTS_COLLECTION, versionKey: false, minimize: false },
);
const chunkSchema = new Schema<ResultChunkDoc>(
  {
    job_id: { type: String, required: true },
    writer: { type: String, required: true },
    index: { type: Number, required: true },
    count: { type: Number, required: true },
    from: { type: Number, required: true },
    activities: { type: Schema.Types.Mixed, required: true },
  },
  { collection: RESULT_CHUNKS_COLLECTION, versionKey: false, minimize: false },
);
chunkSchema.index({ job_id: 1, writer: 1, index: 1 }, { unique: true });

const CHUNK_FIELDS = { _id: 0, index: 1, count: 1, from: 1, activities: 1 } as const;

/** A chunk as read back: FerretDB leaves an empty array out of a projection, so `activities` may be missing. */
function asChunk(doc: Record<string, unknown> | null): ResultChunk | null {
  return doc ? ({ ...doc, activities: doc.activities ?? [] } as ResultChunk) : null;
}

/**
 * Results in the solver's own collections as the result document's chunks: the head chunk in
 * `solve_results`, the others in `solve_result_chunks`, each document at most one chunk's bound.
 * Chunks are written first, the head last with `$setOnInsert` on the unique job_id: the head is
 * the commit, so a redelivered job never overwrites or duplicates a stored result, and a reader
 * that finds the head finds every chunk it counts.
 */
export class MongooseResultStore implements ResultStore {
  readonly model: Model<ResultHeadDoc>;
  readonly chunks: Model<ResultChunkDoc>;

  constructor(conn: Connection) {
    this.model =
      (conn.models.SolveResult as Model<ResultHeadDoc> | undefined) ??
      conn.model<ResultHeadDoc>('SolveResult', headSchema);
    this.chunks =
      (conn.models.SolveResultChunk as Model<ResultChunkDoc> | undefined) ??
      conn.model<ResultChunkDoc>('SolveResultChunk', chunkSchema);
  }

  /** Creates the unique indexes (autoIndex does it in the background; callers at start await this). */
  async init(): Promise<void> {
    await Promise.all([this.model.createIndexes(), this.chunks.createIndexes()]);
  }

  async save(meta: ResultMeta, chunks: readonly ResultChunk[]): Promise<{ created: boolean }> {
    if (await this.model.collection.findOne({ job_id: meta.job_id }, { projection: { _id: 1 } }))
      return { created: false };
    const head = chunks.find((c) => c.index === 0);
    if (!head) throw new Error(`result ${meta.job_id}: no head chunk to store`);
    const writer = randomUUID();
    for (const c of chunks)
      if (c.index > 0)
        await this.chunks.collection.insertOne({ ...c, job_id: meta.job_id, writer } as ResultChunkDoc);
    const doc: ResultHeadDoc = { ...meta, ...head, writer };
    let created: boolean;
    try {
      const res = await this.model.collection.updateOne(
        { job_id: meta.job_id },
        { $setOnInsert: doc },
        { upsert: true },
      );
      created = res.upsertedCount > 0;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      created = false;
    }
    // Another save won the head: its chunks are the result, ours are not needed.
    if (!created) await this.chunks.collection.deleteMany({ job_id: meta.job_id, writer });
    return { created };
  }

  async chunk(jobId: string, index: number): Promise<ResultChunk | null> {
    if (index === 0)
      return asChunk(
        await this.model.collection.findOne(
          { job_id: jobId },
          { projection: { ...CHUNK_FIELDS, summary: 1 } },
        ),
      );
    const head = await this.model.collection.findOne(
      { job_id: jobId },
      { projection: { _id: 0, writer: 1, count: 1 } },
    );
    if (!head || index >= (head.count as number)) return null;
    const chunk = asChunk(
      await this.chunks.collection.findOne(
        { job_id: jobId, writer: head.writer, index },
        { projection: CHUNK_FIELDS },
      ),
    );
    if (!chunk) throw new Error(`result ${jobId}: chunk ${index} of ${head.count as number} is missing`);
    return chunk;
  }

  async delete(jobId: string): Promise<boolean> {
    // Head first: once it is gone the result is invisible, even if removing chunks fails midway.
    const res = await this.model.collection.deleteOne({ job_id: jobId });
    await this.chunks.collection.deleteMany({ job_id: jobId });
    return res.deletedCount > 0;
  }
}
