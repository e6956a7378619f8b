import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { KV_SPECS, REVOCATIONS_BUCKET } from '@fillsched/contracts';
import { streamReplicas, type Logger } from '@fillsched/service-kit';
import type { Clock, RevocationChecker } from '../ports';
import { systemClock } from '../ports';

/**
 * In-memory set of revoked `sid.<sid>` / `jti.<jti>` keys. Entries are dropped after the bucket's
 * TTL (the KV stream ages them out silently, so the watcher would never tell us).
 */
export class RevocationSet implements RevocationChecker {
  private entries = new Map<string, number>();
  private loaded = false;

  constructor(
    private readonly ttlMs: number = KV_SPECS.revocations.ttlMs,
    private readonly clock: Clock = systemClock,
  ) {}

  revoke(key: string, at: Date = this.clock.now()): void {
    this.entries.set(key, at.getTime());
  }

  unrevoke(key: string): void {
    this.entries.delete(key);
  }

  markReady(): void {
    this.loaded = true;
  }

  ready(): boolean {
    return this.loaded;
  }

  size(): number {
    return this.entries.size;
  }

  isRevoked(claims: { sid: string; jti: string }): boolean {
    return this.has(`sid.${claims.sid}`) || this.has(`jti.${claims.jti}`);
  }

  private has(key: string): boolean {
    const at = this.entries.get(key);
    if (at === undefined) return false;
    if (this.clock.now().getTime() - at > this.ttlMs) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }
}

/** Opens a KV bucket, creating it with the given TTL when missing (idempotent; races end in open). */
export async function openOrCreateBucket(nc: NatsConnection, bucket: string, ttlMs: number): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(bucket, { ttl: ttlMs, history: 1, replicas: streamReplicas() });
  } catch {
    return kvm.open(bucket);
  }
}

export interface RevocationWatch {
  stop(): void;
  done: Promise<void>;
}

/**
 * Feeds `set` from a watch on the revocations bucket. The watch first replays the current values
 * (the set is ready once they are in), then follows updates. When the watch ends (NATS trouble),
 * it is re-opened with backoff; the set keeps what it knew meanwhile.
 */
export function watchRevocations(nc: NatsConnection, set: RevocationSet, logger: Logger): RevocationWatch {
  let stopped = false;
  let current: { stop(): void } | null = null;
  const done = (async () => {
    let delay = 200;
    while (!stopped) {
      try {
        const kv = await openOrCreateBucket(nc, REVOCATIONS_BUCKET, KV_SPECS.revocations.ttlMs);
        const expected = (await kv.status()).values;
        const watch = await kv.watch({ key: '>' });
        current = watch;
        if (expected === 0) set.markReady();
        let seen = 0;
        delay = 200;
        for await (const e of watch) {
          seen += 1;
          if (e.operation === 'PUT') set.revoke(e.key, e.created);
          else set.unrevoke(e.key);
          if (e.isUpdate || seen >= expected) set.markReady();
        }
      } catch (err) {
        if (stopped) break;
        logger.warn({ err: (err as Error).message, retry_in_ms: delay }, 'revocation watch failed; retrying');
      }
      if (stopped) break;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, 5000);
    }
  })();
  return {
    stop() {
      stopped = true;
      current?.stop();
    },
    done,
  };
}
