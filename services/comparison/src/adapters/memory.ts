import { AlreadyExistsError } from '@fillsched/service-kit';
import type { StrategyId } from '@fillsched/engine';
import type {
  Comparison,
  ComparisonRepository,
  ComparisonStatus,
  EntryStatus,
  EntryUpdate,
  NewComparison,
} from '../ports';

// structuredClone keeps Dates; callers can never mutate stored state by accident (as with a database).
// Reads leave the lots out, like the mongoose adapter's projection.
const copy = (c: NewComparison): Comparison => {
  const { lots_data: _lots, ...rest } = c;
  return structuredClone(rest);
};

/**
 * Each method reads and writes synchronously between awaits, so it is atomic exactly like the
 * single-document conditional updates of the mongoose adapter.
 */
export class MemoryComparisonRepository implements ComparisonRepository {
  private readonly byId = new Map<number, NewComparison>();

  async insert(c: NewComparison): Promise<void> {
    if (this.byId.has(c.id)) throw new AlreadyExistsError('comparison', { id: c.id });
    this.byId.set(c.id, structuredClone(c));
  }

  async findById(id: number): Promise<Comparison | null> {
    const c = this.byId.get(id);
    return c ? copy(c) : null;
  }

  async list(userId: number | null, skip: number, limit: number) {
    const all = [...this.byId.values()]
      .filter((c) => userId === null || c.user_id === userId)
      .sort((a, b) => b.id - a.id);
    return { items: all.slice(skip, skip + limit).map(copy), total: all.length };
  }

  async delete(id: number): Promise<boolean> {
    return this.byId.delete(id);
  }

  async markStarted(id: number, at: Date): Promise<boolean> {
    const c = this.byId.get(id);
    if (!c || c.status !== 'pending') return false;
    c.status = 'running';
    c.started_at = new Date(at);
    return true;
  }

  async updateEntry(id: number, strategy: string, from: readonly EntryStatus[], update: EntryUpdate) {
    const entry = this.byId.get(id)?.results.find((r) => r.strategy === strategy);
    if (!entry || !from.includes(entry.status)) return false;
    Object.assign(entry, structuredClone(update));
    return true;
  }

  async finish(
    id: number,
    final: { status: ComparisonStatus; best_strategy: StrategyId | null; completed_at: Date },
  ): Promise<Comparison | null> {
    const c = this.byId.get(id);
    if (!c || (c.status !== 'pending' && c.status !== 'running')) return null;
    c.status = final.status;
    c.best_strategy = final.best_strategy;
    c.completed_at = new Date(final.completed_at);
    return copy(c);
  }

  async markFinishedPublished(id: number): Promise<void> {
    const c = this.byId.get(id);
    if (c) c.finished_published = true;
  }
}
