import { ImmutableCache } from '@fillsched/service-kit';

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

export class CompletedScheduleCache<T> {
  private readonly cache: ImmutableCache<CachedSchedule<T>>;

  constructor(opts: CompletedCacheOptions = {}) {
    this.cache = new ImmutableCache({
      maxEntries: opts.maxEntries ?? 500,
      maxWeight: opts.maxActivities ?? 100_000,
    });
  }

  private static key(id: number, withActivities: boolean): string {
    return `${id}:${withActivities ? 'a' : 's'}`;
  }

  get(id: number, withActivities: boolean): CachedSchedule<T> | undefined {
    return this.cache.get(CompletedScheduleCache.key(id, withActivities));
  }

  /** Read before loading a body from the store; `set` refuses the body if a delete came in between. */
  mark(): number {
    return this.cache.mark();
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
    this.cache.set(CompletedScheduleCache.key(id, withActivities), id, entry, Math.max(1, activities), since);
  }

  /** A deleted schedule: no replica may answer from its copy afterwards. */
  forget(id: number): void {
    this.cache.forget(id);
  }

  size(): number {
    return this.cache.size();
  }
}
