/**
 * The result document of a solve: its summary (KPIs, per line, lower bound, gap, counts) and its
 * activities. Whoever stores one — the solver as its idempotency state, the owner as the copy its
 * clients read — stores it in the same chunked form: one header with the summary, and the
 * activities in chunks of RESULT_CHUNK_ACTIVITIES, so no MongoDB document comes near 16 MB at the
 * input limits (20,000 lots on 100 lines with downtime: ~60,000 activities of ~250 bytes each).
 * A chunk is also what one result page carries over NATS (well under its 1 MB max_payload).
 */
export const RESULT_CHUNK_ACTIVITIES = 2000;

/** One stored chunk of a result's activities (the owner key is the collection's: job_id or schedule_id). */
export interface ActivityChunk<A = unknown> {
  chunk: number;
  activities: A[];
}

export const chunkCountOf = (activityCount: number, size = RESULT_CHUNK_ACTIVITIES): number =>
  Math.ceil(activityCount / size);

/** The activities cut into chunks of `size`, in order. */
export function chunkActivities<A>(
  activities: readonly A[],
  size = RESULT_CHUNK_ACTIVITIES,
): ActivityChunk<A>[] {
  const out: ActivityChunk<A>[] = [];
  for (let c = 0; c * size < activities.length; c++)
    out.push({ chunk: c, activities: activities.slice(c * size, (c + 1) * size) });
  return out;
}

/**
 * The chunks that hold activities [offset, offset + limit) of a result of `activityCount`
 * activities, and where the range starts in the first of them; null when the range is empty.
 */
export function chunksForRange(
  offset: number,
  limit: number,
  activityCount: number,
  size = RESULT_CHUNK_ACTIVITIES,
): { first: number; last: number; skip: number } | null {
  if (limit <= 0 || offset >= activityCount) return null;
  const end = Math.min(activityCount, offset + limit);
  return { first: Math.floor(offset / size), last: Math.floor((end - 1) / size), skip: offset % size };
}
