import type { Logger } from '@fillsched/service-kit';
import type { ChannelHistory, StoredPublication } from './history';

export type FeedListener = (pub: StoredPublication) => void;

/**
 * One live follower of the channel history per gateway replica, fanned out locally by subject:
 * N sockets on one channel cost one map lookup per publication. Started on first use.
 */
export class HistoryFeed {
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private started: Promise<() => void> | null = null;

  constructor(
    private readonly history: ChannelHistory,
    private readonly logger: Logger,
  ) {}

  /** Starts following (idempotent); resolves once publications flow. */
  start(): Promise<void> {
    this.started ??= this.history
      .follow((subject, pub) => this.dispatch(subject, pub))
      .catch((err: unknown) => {
        this.started = null;
        throw err;
      });
    return this.started.then(() => undefined);
  }

  listen(subject: string, listener: FeedListener): () => void {
    let set = this.listeners.get(subject);
    if (!set) this.listeners.set(subject, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.listeners.get(subject);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.listeners.delete(subject);
    };
  }

  subjectCount(): number {
    return this.listeners.size;
  }

  async stop(): Promise<void> {
    const s = this.started;
    this.started = null;
    if (s) (await s.catch(() => () => undefined))();
  }

  private dispatch(subject: string, pub: StoredPublication): void {
    const set = this.listeners.get(subject);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(pub);
      } catch (err) {
        this.logger.warn({ err, subject }, 'ws feed listener failed');
      }
    }
  }
}
