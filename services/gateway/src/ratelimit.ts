import type { KV } from '@nats-io/kv';
import type { Logger } from '@fillsched/service-kit';
import type { Clock, RateDecision, RateLimiter } from './ports';
import { systemClock } from './ports';

/** Shared counters of fixed windows (one key per client per window). */
export interface CounterStore {
  read(key: string): Promise<number>;
  /** Adds `delta` atomically and returns the new total. */
  add(key: string, delta: number): Promise<number>;
}

/** Process-local store: tests, and sharing between app instances in one process. */
export class MemoryCounterStore implements CounterStore {
  readonly values = new Map<string, number>();
  async read(key: string): Promise<number> {
    return this.values.get(key) ?? 0;
  }
  async add(key: string, delta: number): Promise<number> {
    const next = (this.values.get(key) ?? 0) + delta;
    this.values.set(key, next);
    return next;
  }
}

const WRONG_LAST_SEQUENCE = 10071;
function isConflict(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: unknown }; message?: unknown } | null;
  return (
    e?.code === WRONG_LAST_SEQUENCE ||
    e?.api_error?.err_code === WRONG_LAST_SEQUENCE ||
    (typeof e?.message === 'string' && /wrong last sequence/i.test(e.message))
  );
}

/**
 * Counters in a NATS KV bucket shared by every gateway replica. Increments are compare-and-set:
 * `create` for the first hit of a window, `update(key, value, revision)` afterwards, retried on conflict.
 * The bucket's TTL (a little over one window) removes old windows.
 */
export class KvCounterStore implements CounterStore {
  constructor(
    private readonly kv: KV,
    private readonly maxAttempts = 20,
  ) {}

  async read(key: string): Promise<number> {
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' ? Number(e.string()) || 0 : 0;
  }

  async add(key: string, delta: number): Promise<number> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const e = await this.kv.get(key);
      try {
        if (!e || e.operation !== 'PUT') {
          await this.kv.create(key, String(delta));
          return delta;
        }
        const next = (Number(e.string()) || 0) + delta;
        await this.kv.update(key, String(next), e.revision);
        return next;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`rate-limit counter ${key}: too many concurrent updates`);
  }
}

export interface RateLimiterOptions {
  limit: number;
  windowMs?: number;
  /** How often local hits are pushed to the shared store. */
  flushIntervalMs?: number;
  /** A store read slower than this is skipped (counted locally) so the hot path stays fast. */
  storeTimeoutMs?: number;
  clock?: Clock;
  logger: Logger;
}

interface WindowEntry {
  window: number;
  storeKey: string;
  /** Last total seen in the shared store (includes our flushed hits). */
  shared: number;
  /** Hits admitted here and not yet added to the store. */
  unflushed: number;
  loading: Promise<void> | null;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`store timeout after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** KV keys allow [-/_=.a-zA-Z0-9]; client keys (ips, ids) are mapped into that alphabet. */
const safeKey = (key: string): string => key.replace(/[^-_=a-zA-Z0-9]/g, '_');

/**
 * Fixed one-minute windows shared by all replicas, batched to keep the request path free of
 * network round trips: the first hit of a client in a window reads the shared count once, later
 * hits are decided on `shared + unflushed` and counted locally; every `flushIntervalMs` the local
 * counts are added to the store (CAS) and the fresh total replaces `shared`.
 *
 * Over-admission bound: a replica does not see the other replicas' hits of the last flush interval
 * (plus one store round trip), so with R replicas a client can get at most the limit plus the hits
 * the other R−1 replicas admitted within ~100 ms; with one replica the limit is exact.
 *
 * Fail open: when the store is unreachable, reads time out quickly and flushes fail; decisions then
 * rest on the local counts only (a per-replica limiter) and the failure is logged (at most every 30 s).
 */
export class BatchingRateLimiter implements RateLimiter {
  private readonly entries = new Map<string, WindowEntry>();
  private readonly windowMs: number;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastWarn = -Infinity;

  constructor(
    private readonly store: CounterStore,
    private readonly opts: RateLimiterOptions,
  ) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.clock = opts.clock ?? systemClock;
  }

  async hit(key: string): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / this.windowMs);
    const resetMs = (window + 1) * this.windowMs;
    const id = `${window}|${key}`;
    let entry = this.entries.get(id);
    if (!entry) {
      const created: WindowEntry = {
        window,
        storeKey: `w${window}.${safeKey(key)}`,
        shared: 0,
        unflushed: 0,
        loading: null,
      };
      created.loading = withTimeout(this.store.read(created.storeKey), this.opts.storeTimeoutMs ?? 250).then(
        (v) => {
          created.shared = Math.max(created.shared, v);
        },
        (err: unknown) => this.degraded(err),
      );
      this.entries.set(id, created);
      entry = created;
    }
    if (entry.loading) {
      await entry.loading;
      entry.loading = null;
    }
    const limit = this.opts.limit;
    const used = entry.shared + entry.unflushed;
    const base = {
      limit,
      resetEpochS: Math.ceil(resetMs / 1000),
      retryAfterS: Math.max(1, Math.ceil((resetMs - now) / 1000)),
    };
    if (used >= limit) return { ...base, allowed: false, remaining: 0 };
    entry.unflushed += 1;
    this.ensureTimer();
    return { ...base, allowed: true, remaining: Math.max(0, limit - used - 1) };
  }

  /** Pushes local counts to the store; exposed for tests and shutdown. */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.doFlush().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  private async doFlush(): Promise<void> {
    const current = Math.floor(this.clock.now().getTime() / this.windowMs);
    const dirty = [...this.entries.values()].filter((e) => e.unflushed > 0);
    await Promise.all(
      dirty.map(async (e) => {
        const delta = e.unflushed;
        e.unflushed = 0;
        try {
          const total = await this.store.add(e.storeKey, delta);
          e.shared = Math.max(e.shared, total);
        } catch (err) {
          e.unflushed += delta;
          this.degraded(err);
        }
      }),
    );
    for (const [id, e] of this.entries) {
      // Past windows are finished once flushed (or hopeless when the store is down).
      if (e.window < current && (e.unflushed === 0 || e.window < current - 1)) this.entries.delete(id);
    }
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private degraded(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarn < 30_000) return;
    this.lastWarn = now;
    this.opts.logger.warn(
      { err: (err as Error)?.message ?? String(err) },
      'rate-limit store unavailable; limiting per replica until it is back',
    );
  }
}

/** Opens the shared bucket on first use (and again after a failure), so the gateway starts without it. */
export class LazyCounterStore implements CounterStore {
  private store: Promise<CounterStore> | null = null;

  constructor(private readonly open: () => Promise<CounterStore>) {}

  private get(): Promise<CounterStore> {
    if (!this.store) {
      this.store = this.open();
      this.store.catch(() => {
        this.store = null;
      });
    }
    return this.store;
  }

  async read(key: string): Promise<number> {
    return (await this.get()).read(key);
  }

  async add(key: string, delta: number): Promise<number> {
    return (await this.get()).add(key, delta);
  }
}
