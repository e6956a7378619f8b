/**
 * Bodies of completed schedules as `GET /schedule/{id}` answers them, kept in memory: a completed
 * schedule and its result never change (replans make new schedules), so a repeated GET needs no
 * store read. Bounded twice, least recently used out first: by entries and by activities held
 * (≈ 330 bytes each in JSON), so a few 20,000-lot results cannot fill the heap. Ownership is still
 * checked on every hit (the entry keeps its owner); a delete removes the entry on every replica
 * (see `forget`, and the service's deletion notice).
 */
export interface CachedSchedule<T> {
  user_id: number;
  body: T;
}

export interface CompletedCacheOptions {
  maxEntries?: number;
  /** Activities held over all entries; a body alone above it is not kept. */
  maxActivities?: number;
}

interface Entry<T> extends CachedSchedule<T> {
  weight: number;
}

export class CompletedScheduleCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxEntries: number;
  private readonly maxActivities: number;
  private held = 0;
  private forgets = 0;

  constructor(opts: CompletedCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 500;
    this.maxActivities = opts.maxActivities ?? 100_000;
  }

  private static key(id: number, withActivities: boolean): string {
    return `${id}:${withActivities ? 'a' : 's'}`;
  }

  get(id: number, withActivities: boolean): CachedSchedule<T> | undefined {
    const key = CompletedScheduleCache.key(id, withActivities);
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  /** Read before loading a body from the store; `set` refuses the body if a delete came in between. */
  mark(): number {
    return this.forgets;
  }

  /**
   * Keeps a completed schedule's body; `activities` is how many it carries (its weight). Nothing is
   * kept when any schedule was forgotten since `since` (a delete racing the read that built it).
   */
  set(
    id: number,
    withActivities: boolean,
    entry: CachedSchedule<T>,
    activities: number,
    since: number,
  ): void {
    const weight = Math.max(1, activities);
    if (weight > this.maxActivities || since !== this.forgets) return;
    const key = CompletedScheduleCache.key(id, withActivities);
    this.drop(key);
    this.entries.set(key, { ...entry, weight });
    this.held += weight;
    for (const [k] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.held <= this.maxActivities) break;
      this.drop(k);
    }
  }

  /** A deleted schedule: no replica may answer from its copy afterwards. */
  forget(id: number): void {
    this.forgets += 1;
    this.drop(CompletedScheduleCache.key(id, true));
    this.drop(CompletedScheduleCache.key(id, false));
  }

  size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.held -= e.weight;
  }
}
