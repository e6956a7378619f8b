/**
 * Runs one user's admissions (insert, re-count, and the removal of a refused one) one after the
 * other in this replica, so two creates of the same user here never both see the other and both
 * refuse themselves. Different users run side by side; nothing is kept for a user once idle.
 */
export class PerUserQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  run<T>(userId: number, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(userId) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(userId, tail);
    void tail.then(() => {
      if (this.tails.get(userId) === tail) this.tails.delete(userId);
    });
    return mine;
  }

  /** Users with an admission queued or running (for tests). */
  get busy(): number {
    return this.tails.size;
  }
}
