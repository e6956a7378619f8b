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
    // A failed progress publish is not worth failing the job for; the caller's send logs it.
    this.chain = this.chain.then(() => this.send(value)).catch(() => undefined);
  }

  /** Sends the newest held-back update (if any), stops, and waits until everything sent is published. */
  async flush(): Promise<void> {
    this.sendPending();
    this.closed = true;
    await this.chain;
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
