import { applyConfigOverrides, type RpcUser } from '@fillsched/contracts';
import type { ConfigResolver, ResolveOutcome } from './ports';

export interface ConfigCacheOptions {
  /** A kept template is asked for again after this long, a bound should a change notice be lost. */
  ttlMs?: number;
  /** Entries kept at most; the oldest goes first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  config: Record<string, unknown>;
  template_id: number | null;
  at: number;
}

/**
 * Keeps what the config service resolved per user and template choice (a config_id, or the user's
 * default: possibly none), so a create needs no round trip to it; the request's own keys are merged
 * here (`applyConfigOverrides`, as the config service does). Only resolved answers are kept. The
 * config service announces every update, deletion and default change before answering it
 * (CONFIG_CHANGED_SUBJECT); `invalidate()` then drops everything, and an answer that was in flight
 * meanwhile is not kept. A new template changes no kept answer: it is nobody's default until a
 * default change, and a config_id that did not resolve was never kept.
 */
export class CachingConfigResolver implements ConfigResolver {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: ConfigResolver,
    opts: ConfigCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async resolve(
    user: RpcUser,
    req: { config_id: number | null; config: Record<string, unknown> | null },
  ): Promise<ResolveOutcome> {
    // Whether a template may be read depends on who asks: the superuser flag is part of the key.
    const key = `${user.id}:${user.is_superuser ? 1 : 0}:${req.config_id ?? 'default'}`;
    let entry = this.entries.get(key);
    if (entry && this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      const generation = this.generation;
      // The template alone; the request's keys are merged below, so one entry serves every request.
      const outcome = await this.inner.resolve(user, { config_id: req.config_id, config: null });
      if (outcome.kind !== 'resolved') return outcome;
      entry = { config: outcome.config, template_id: outcome.template_id, at: this.now() };
      if (generation === this.generation) this.keep(key, entry);
    }
    return {
      kind: 'resolved',
      // A copy per request: nothing a caller does to its config reaches the kept template.
      config: applyConfigOverrides(structuredClone(entry.config), req.config),
      template_id: entry.template_id,
    };
  }

  /** Drops every kept template; answers in flight are not kept either. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }
}
