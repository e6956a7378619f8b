import { RPC } from '@fillsched/contracts';
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
  private readonly entries = new Map<string, CachedReply & { id: number; bytes: number }>();
  private readonly byId = new Map<number, Set<string>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  private forgets = 0;

  constructor(opts: { maxEntries?: number; maxBytes?: number } = {}) {
    this.maxEntries = opts.maxEntries ?? 2000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  /** The key of a cacheable request (a user's GET of one schedule), else null. */
  keyFor(subject: string, rpc: RpcRequest): { key: string; id: number; since: number } | null {
    if (subject !== RPC.schedule.get || !rpc.user) return null;
    const id = Number(rpc.params?.id);
    if (!Number.isSafeInteger(id) || id <= 0) return null;
    return { key: `${id}|${rpc.user.id}|${JSON.stringify(rpc.query ?? {})}`, id, since: this.forgets };
  }

  get(key: string): CachedReply | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
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
    if (!cacheable || reply.status !== 200 || cacheable.since !== this.forgets) return;
    if ((reply.body as { status?: unknown } | null)?.status !== 'completed') return;
    const json = JSON.stringify(reply.body);
    const bytes = json.length;
    if (bytes > this.maxBytes) return;
    this.drop(cacheable.key);
    this.entries.set(cacheable.key, { id: cacheable.id, reply, json, bytes });
    this.bytes += bytes;
    let keys = this.byId.get(cacheable.id);
    if (!keys) this.byId.set(cacheable.id, (keys = new Set()));
    keys.add(cacheable.key);
    for (const [k] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(k);
    }
  }

  /** A deleted schedule: every user's entry goes. */
  forget(id: number): void {
    this.forgets += 1;
    for (const key of [...(this.byId.get(id) ?? [])]) this.drop(key);
  }

  size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
    const keys = this.byId.get(e.id);
    keys?.delete(key);
    if (keys?.size === 0) this.byId.delete(e.id);
  }
}
