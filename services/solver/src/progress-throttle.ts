/**
 * Forwards at most one progress update per `intervalMs` (the first at once), keeps only the newest
 * of those in between, and sends it when the interval has passed or on `flush()`, so the last
 * progress always goes out before the job's final event. Sends run one after another, in order.
 */
export class ProgressThrottle<T> {
  private lastSentAt = -Infinity;
  private pending: { value: T } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Resolves once the latest send has been called (its publish handed to the connection). */
  private issued: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (value: T) => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(value: T): void {
    if (this.closed) return;
    this.pending = { value };
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) this.sendPending();
    else if (!this.timer) this.timer = setTimeout(() => this.sendPending(), wait);
  }

  private sendPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const { value } = this.pending;
    this.pending = null;
    this.lastSentAt = this.now();
    let handed!: () => void;
    this.issued = new Promise<void>((resolve) => (handed = resolve));
    // A failed progress publish is not worth failing the job for; the caller's send logs it.
    this.chain = this.chain
      .then(() => {
        try {
          return this.send(value);
        } finally {
          handed();
        }
      })
      .catch(() => undefined);
  }

  /** Sends the newest held-back update (if any), stops, and waits until everything sent is published. */
  async flush(): Promise<void> {
    this.sendPending();
    this.closed = true;
    await this.chain;
  }

  /**
   * `flush` in two steps: sends the newest held-back update and stops; `issued` resolves once that
   * last send has been called, `done` once everything sent is published. A send publishes on one
   * connection, which keeps the order of what is handed to it: whatever is published after `issued`
   * still goes out after the last progress, without waiting for its confirmation first.
   */
  handOff(): { issued: Promise<void>; done: Promise<void> } {
    this.sendPending();
    this.closed = true;
    return { issued: this.issued, done: this.chain };
  }

  /** Drops a held-back update (the job was cancelled or released) and waits for sends in flight. */
  async discard(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
    this.closed = true;
    await this.chain;
  }
}
