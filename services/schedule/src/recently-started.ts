import type { ScheduleRecord } from './ports';

/** Long enough for a small job's solve, far below the solver's ack_wait (30 s): see `take`. */
export const RECENTLY_STARTED_TTL_MS = 5000;
const MAX_ENTRIES = 1000;

/**
 * The schedules this process moved to `running` in the last few seconds, as the store returned
 * them. A `completed` that follows (a small job's, usually ~10 ms later) stores its result ahead
 * of its turn without reading its schedule first: that read only asks whether the schedule is
 * still running this job, which this process has just seen it do.
 *
 * Why a record this young is good enough: the staged chunks show nothing until the conditional
 * `running → completed` transition moves the schedule, and that transition is still made. What
 * may have happened meanwhile: the schedule was deleted (its turn then finds no schedule and
 * removes the chunks, as it does when a delete comes after the read), or another `completed` of
 * the same job was applied — that one carries the same result: a job's `completed` is published
 * again only on a redelivery (after ack_wait, 30 s, far beyond this TTL), which re-announces the
 * result the solver stored. An entry is taken once, and dropped when its schedule leaves running.
 */
export class RecentlyStarted {
  private readonly records = new Map<number, { record: ScheduleRecord; at: number }>();

  constructor(
    private readonly ttlMs = RECENTLY_STARTED_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A schedule this process just moved to running (anything else is not kept). */
  remember(record: ScheduleRecord): void {
    if (record.status !== 'running') return;
    this.records.delete(record.id);
    if (this.records.size >= MAX_ENTRIES) {
      // The oldest first (insertion order): an unbounded map would grow with jobs that never complete here.
      const oldest = this.records.keys().next();
      if (!oldest.done) this.records.delete(oldest.value);
    }
    this.records.set(record.id, { record, at: this.now() });
  }

  /** The schedule left running (or is gone): its entry must not be used any more. */
  forget(id: number): void {
    this.records.delete(id);
  }

  /** The record of `id` if this process moved it to running for `jobId` within the TTL; used once. */
  take(id: number, jobId: string): ScheduleRecord | null {
    const entry = this.records.get(id);
    if (!entry) return null;
    this.records.delete(id);
    if (entry.record.job_id !== jobId || this.now() - entry.at > this.ttlMs) return null;
    return entry.record;
  }

  size(): number {
    return this.records.size;
  }
}
