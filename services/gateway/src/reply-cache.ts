import { RPC } from '@fillsched/contracts';
import { ImmutableCache } from '@fillsched/service-kit';
import type { RpcReply, RpcRequest } from './ports';

/**
 * The schedule service's replies to `GET /schedule/{id}` for completed schedules, kept per user:
 * a completed schedule never changes (a replan is a new schedule), so the same user asking again
 * gets the reply the owner gave that user, without a NATS round trip or a store read. The owner
 * checked ownership for that user when it answered; another user (a superuser too) has a key of
 * their own and asks the owner. Only `completed` replies are kept; a successful DELETE through any
 * gateway drops the schedule's entries here, and the schedule service's deletion notice
 * (SCHEDULE_DELETED_SUBJECT) does on every replica. Bounded by entries and by JSON bytes, least
 * recently used out first.
 */
/** A kept reply and its body already serialized (a hit sends these bytes, no JSON.stringify). */
export interface CachedReply {
  reply: RpcReply;
  json: string;
  /** Its body compressed, per encoding, once a client asked for it (cached-reply.ts). */
  encoded?: Partial<Record<'br' | 'gzip', Buffer>>;
}

export class CompletedReplyCache {
  private readonly cache: ImmutableCache<CachedReply>;

  constructor(opts: { maxEntries?: number; maxBytes?: number } = {}) {
    this.cache = new ImmutableCache({
      maxEntries: opts.maxEntries ?? 2000,
      maxWeight: opts.maxBytes ?? 64 * 1024 * 1024,
    });
  }

  /** The key of a cacheable request (a user's GET of one schedule), else null. */
  keyFor(subject: string, rpc: RpcRequest): { key: string; id: number; since: number } | null {
    if (subject !== RPC.schedule.get || !rpc.user) return null;
    const id = Number(rpc.params?.id);
    if (!Number.isSafeInteger(id) || id <= 0) return null;
    return { key: `${id}|${rpc.user.id}|${JSON.stringify(rpc.query ?? {})}`, id, since: this.cache.mark() };
  }

  get(key: string): CachedReply | undefined {
    return this.cache.get(key);
  }

  /**
   * Keeps a completed GET reply (not when a delete came in since `keyFor`: it may have raced the
   * owner's answer); a successful delete drops the schedule.
   */
  observe(
    subject: string,
    rpc: RpcRequest,
    reply: RpcReply,
    cacheable: ReturnType<CompletedReplyCache['keyFor']>,
  ): void {
    if (subject === RPC.schedule.delete && reply.status >= 200 && reply.status < 300) {
      const id = Number(rpc.params?.id);
      if (Number.isSafeInteger(id)) this.forget(id);
      return;
    }
    if (!cacheable || reply.status !== 200 || cacheable.since !== this.cache.mark()) return;
    if ((reply.body as { status?: unknown } | null)?.status !== 'completed') return;
    const json = JSON.stringify(reply.body);
    this.cache.set(cacheable.key, cacheable.id, { reply, json }, json.length, cacheable.since);
  }

  /** A deleted schedule: every user's entry goes. */
  forget(id: number): void {
    this.cache.forget(id);
  }

  size(): number {
    return this.cache.size();
  }
}
