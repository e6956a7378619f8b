/**
 * Wakes idle pull slots: a slot with nothing to take waits on it (with a timeout, its idle
 * re-check), and the owners' JOB_QUEUED_SUBJECT notice rings it, so a new job starts at once
 * instead of after the rest of a pull's expiry. Pure: the subscription lives in main.ts.
 */
export class Doorbell {
  private readonly waiters = new Set<() => void>();
  private rings = 0;
  private readonly users = new Set<number>();

  /**
   * Wakes every waiting slot; true when one was waiting (a ring nobody hears costs nothing).
   * `user`: whose job was queued (the notice says), kept for `takeUsers` (at most 64 kept).
   */
  ring(user?: number): boolean {
    this.rings += 1;
    if (user !== undefined && Number.isSafeInteger(user) && this.users.size < 64) this.users.add(user);
    if (this.waiters.size === 0) return false;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
    return true;
  }

  /** How many rings so far: what a slot looked at the queue after (see `wait`). */
  generation(): number {
    return this.rings;
  }

  /**
   * Resolves `true` when rung, `false` after `timeoutMs` without a ring. With `since` (a
   * generation read before the slot last looked at the queue) a ring that came in between counts:
   * it resolves `true` at once, so no notice is lost between looking and waiting.
   */
  wait(timeoutMs: number, since?: number): Promise<boolean> {
    if (since !== undefined && since !== this.rings) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** The users rung for since the last call (a hint: a lost notice is simply not in it). */
  takeUsers(): number[] {
    const users = [...this.users];
    this.users.clear();
    return users;
  }

  /** Slots waiting now. */
  waiting(): number {
    return this.waiters.size;
  }
}
