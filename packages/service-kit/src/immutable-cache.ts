/**
 * A bounded, least-recently-used cache for bodies that never change once made (completed schedules),
 * grouped by the record they belong to so a delete drops every copy of that record. Bounded by
 * entries and by a caller-given weight (bytes, activities…); a single value above the weight
 * bound is not kept. A read that builds a value may race a delete: the caller takes `mark()` before
 * reading, and `set` refuses the value if any group was forgotten since.
 */
export class ImmutableCache<V> {
  private readonly entries = new Map<string, { group: number; value: V; weight: number }>();
  private readonly byGroup = new Map<number, Set<string>>();
  private weight = 0;
  private forgets = 0;

  constructor(private readonly bounds: { maxEntries: number; maxWeight: number }) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Taken before reading what `set` will keep. */
  mark(): number {
    return this.forgets;
  }

  /** Keeps `value` unless it weighs more than the bound or a group was forgotten since `since`. */
  set(key: string, group: number, value: V, weight: number, since: number): void {
    if (weight > this.bounds.maxWeight || since !== this.forgets) return;
    this.drop(key);
    this.entries.set(key, { group, value, weight });
    this.weight += weight;
    let keys = this.byGroup.get(group);
    if (!keys) this.byGroup.set(group, (keys = new Set()));
    keys.add(key);
    for (const [k] of this.entries) {
      if (this.entries.size <= this.bounds.maxEntries && this.weight <= this.bounds.maxWeight) break;
      this.drop(k);
    }
  }

  /** A deleted record: every entry of its group goes, and reads begun before now are not kept. */
  forget(group: number): void {
    this.forgets += 1;
    for (const key of [...(this.byGroup.get(group) ?? [])]) this.drop(key);
  }

  size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.weight -= e.weight;
    const keys = this.byGroup.get(e.group);
    keys?.delete(key);
    if (keys?.size === 0) this.byGroup.delete(e.group);
  }
}
