/**
 * THE result document of a solve, defined once: its summary (what GET `result` shows beside the
 * activities: KPIs, per line, lower bound, gap, execution time, explanations, score, a replan's
 * diff, and how many activities there are) and its activities in schedule order.
 *
 * Whoever stores one — the solver as its idempotency state, the owner as the copy its clients
 * read — stores the same chunks, cut by `toChunks` and read back by `fromChunks`: the head chunk
 * (index 0) carries the summary and as many activities as fit, the others only activities, and no
 * chunk's JSON is larger than the bound. So no MongoDB document comes near 16 MB at the input
 * limits (20,000 lots on 100 lines with downtime: ~60,000 activities, ~12 MB of JSON), and one
 * chunk is also what one NATS reply carries when the owner takes the result over from the solver.
 * Pure: no I/O, no Node-only APIs (the console bundles contracts).
 */
import { z } from 'zod';
import { ActivitySchema, type ScheduleResult } from './rest/schedules';
import { ExplanationsSchema, ReplanDiffSchema } from './rest/result-parts';

/** Largest JSON size of one chunk: far below MongoDB's 16 MB and the platform's NATS max_payload. */
export const RESULT_CHUNK_MAX_BYTES = 1024 * 1024;

/** One activity as the engine produces it (a downtime also names its reason). */
export const ResultActivitySchema = ActivitySchema.extend({ reason: z.string().optional() });
export type ResultActivity = z.infer<typeof ResultActivitySchema>;

export const ResultDocumentSummarySchema = z.looseObject({
  makespan: z.number(),
  utilization: z.number(),
  changeovers: z.number().int(),
  lots_scheduled: z.number().int(),
  window_violations: z.number().int(),
  kpis: z.record(z.string(), z.unknown()),
  per_line: z.array(
    z.object({
      line: z.number().int(),
      line_id: z.string(),
      makespan: z.number(),
      fill_hours: z.number(),
      utilization: z.number(),
      changeovers: z.number().int(),
      cleans: z.number().int(),
      lots: z.number().int(),
    }),
  ),
  lower_bound: z.number(),
  gap: z.number(),
  /** seconds the engine took */
  execution_time: z.number(),
  activity_count: z.number().int().nonnegative(),
  explanations: ExplanationsSchema.optional(),
  /** a replanned schedule's diff against its parent */
  replan: ReplanDiffSchema.optional(),
  /** the objective's terms for this schedule */
  score: z.record(z.string(), z.unknown()).optional(),
});
export type ResultDocumentSummary = z.infer<typeof ResultDocumentSummarySchema>;

export const ResultDocumentSchema = z.object({
  summary: ResultDocumentSummarySchema,
  activities: z.array(ResultActivitySchema),
});
export type ResultDocument = z.infer<typeof ResultDocumentSchema>;

/** One stored (and transferred) piece of a result document. */
export const ResultChunkSchema = z
  .object({
    /** 0 = the head, which carries the summary. */
    index: z.number().int().nonnegative(),
    /** How many chunks the document has (in every chunk: a reader can tell it has them all). */
    count: z.number().int().positive(),
    /** Position of this chunk's first activity in the document. */
    from: z.number().int().nonnegative(),
    summary: ResultDocumentSummarySchema.optional(),
    activities: z.array(ResultActivitySchema),
  })
  .refine((c) => c.index < c.count, { message: 'index must be below count', path: ['index'] })
  .refine((c) => (c.index === 0) === (c.summary !== undefined), {
    message: 'the head chunk (index 0), and only it, carries the summary',
    path: ['summary'],
  });
export type ResultChunk = z.infer<typeof ResultChunkSchema>;

/** A chunk set that does not make one document (missing, repeated or inconsistent chunks). */
export class ResultChunksError extends Error {
  override readonly name = 'ResultChunksError';
}

/** UTF-8 length of a string without encoding it (TextEncoder would allocate every time). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair: one 4-byte code point
      i++;
    } else n += 3;
  }
  return n;
}
const jsonBytes = (v: unknown): number => utf8Length(JSON.stringify(v));

/** Digits wide enough for any index, count or offset: the envelope's size never grows past it. */
const WIDEST = Number.MAX_SAFE_INTEGER;

/**
 * Cuts a document into chunks whose JSON is at most `maxBytes` each: the summary in the head,
 * then the activities in order, each chunk filled as far as the bound allows. Throws RangeError
 * when the summary alone, or one activity, does not fit (the bound is far above either).
 */
export function toChunks(doc: ResultDocument, maxBytes = RESULT_CHUNK_MAX_BYTES): ResultChunk[] {
  const { summary, activities } = doc;
  const envelope = (head: boolean) =>
    jsonBytes({ index: WIDEST, count: WIDEST, from: WIDEST, ...(head ? { summary } : {}), activities: [] });
  const headBase = envelope(true);
  const base = envelope(false);
  if (headBase > maxBytes)
    throw new RangeError(`result summary takes ${headBase} bytes; a chunk holds at most ${maxBytes}`);

  // Where each chunk starts: fill up to the bound (an activity costs its JSON plus a comma).
  const starts: number[] = [0];
  let used = headBase;
  let inChunk = 0;
  for (let i = 0; i < activities.length; i++) {
    const size = jsonBytes(activities[i]);
    const cost = size + (inChunk > 0 ? 1 : 0);
    if (used + cost <= maxBytes) {
      used += cost;
      inChunk++;
      continue;
    }
    if (base + size > maxBytes)
      throw new RangeError(`activity ${i} takes ${size} bytes; a chunk holds at most ${maxBytes}`);
    starts.push(i);
    used = base + size;
    inChunk = 1;
  }

  const count = starts.length;
  return starts.map((from, index) => ({
    index,
    count,
    from,
    ...(index === 0 ? { summary } : {}),
    activities: activities.slice(from, index + 1 < count ? starts[index + 1] : activities.length),
  }));
}

/** The chunks in index order, checked to be exactly one whole document's (throws ResultChunksError). */
export function orderChunks(chunks: readonly ResultChunk[]): ResultChunk[] {
  if (chunks.length === 0) throw new ResultChunksError('no chunks');
  const sorted = [...chunks].sort((a, b) => a.index - b.index);
  const count = sorted[0].count;
  if (sorted.length !== count) throw new ResultChunksError(`expected ${count} chunks, got ${sorted.length}`);
  let next = 0;
  sorted.forEach((c, i) => {
    if (c.index !== i || c.count !== count)
      throw new ResultChunksError(`chunk ${i}: index ${c.index} of ${c.count}, expected ${i} of ${count}`);
    if ((i === 0) !== (c.summary !== undefined))
      throw new ResultChunksError(`chunk ${i}: only the head chunk carries the summary`);
    if (c.from !== next) throw new ResultChunksError(`chunk ${i} starts at ${c.from}, expected ${next}`);
    next += c.activities.length;
  });
  const total = sorted[0].summary!.activity_count;
  if (next !== total)
    throw new ResultChunksError(`chunks hold ${next} activities, the summary says ${total}`);
  return sorted;
}

/** Reassembles a document from all of its chunks, in any order (throws ResultChunksError). */
export function fromChunks(chunks: readonly ResultChunk[]): ResultDocument {
  const sorted = orderChunks(chunks);
  return { summary: sorted[0].summary!, activities: sorted.flatMap((c) => c.activities) };
}

/**
 * Which of a document's chunks hold activities [offset, offset + limit): `from` and the chunk
 * sizes locate them, so a page read loads only those (the stores query by `from`).
 */
export function activitiesInRange(
  chunks: readonly ResultChunk[],
  offset: number,
  limit: number,
): ResultActivity[] {
  const end = offset + limit;
  const out: ResultActivity[] = [];
  for (const c of [...chunks].sort((a, b) => a.index - b.index)) {
    const cEnd = c.from + c.activities.length;
    if (cEnd <= offset || c.from >= end) continue;
    out.push(...c.activities.slice(Math.max(0, offset - c.from), end - c.from));
  }
  return out;
}

/** The KPI summary lifecycle events carry (ResultSummarySchema): a projection of the document's. */
export function eventSummaryOf(s: ResultDocumentSummary) {
  return {
    makespan: s.makespan,
    utilization: s.utilization,
    changeovers: s.changeovers,
    lots_scheduled: s.lots_scheduled,
    window_violations: s.window_violations,
    kpis: s.kpis,
    lower_bound: s.lower_bound,
    gap: s.gap,
    execution_time: s.execution_time,
    activity_count: s.activity_count,
  };
}

/**
 * GET `result` (and the JSON export): the summary with the activities, or — with
 * include_activities=false — with how many there are instead.
 */
export function resultView(summary: ResultDocumentSummary, activities?: ResultActivity[]): ScheduleResult {
  if (!activities) return { ...summary };
  const { activity_count: _count, ...rest } = summary;
  return { ...rest, activities } as ScheduleResult;
}
