import { SigningKeysResponseSchema } from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { Clock, TokenVerifier } from '../ports';
import { systemClock } from '../ports';

const KeysReplySchema = SigningKeysResponseSchema.refine((r) => r.keys.length > 0, 'no signing key');

export interface KeyStoreOptions {
  /** Minimum time between refetches triggered by unknown kids (a flood of forged kids cannot flood auth). */
  minRefetchIntervalMs?: number;
  /** Backoff bounds of the initial fetch. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
}

/**
 * Public keys of the auth service by kid. Fetched at start with retry and backoff until available,
 * refetched (rate-limited, single flight) when a token names an unknown kid, e.g. after key rotation.
 */
export class KeyStore implements TokenVerifier {
  private keys = new Map<string, string>();
  private lastFetch = -Infinity;
  private inflight: Promise<void> | null = null;
  private stopped = false;
  private readonly clock: Clock;

  constructor(
    private readonly fetchKeys: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly opts: KeyStoreOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  ready(): boolean {
    return this.keys.size > 0;
  }

  /** Retries until the first key set is loaded (or stop()); resolves when loaded. */
  async start(): Promise<void> {
    let delay = this.opts.initialBackoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 5000;
    while (!this.stopped && !this.ready()) {
      try {
        await this.refresh();
      } catch (err) {
        this.logger.warn(
          { err: (err as Error).message, retry_in_ms: delay },
          'cannot fetch auth public keys yet',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, max);
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  async publicKey(kid: string | undefined): Promise<string | null> {
    const known = this.lookup(kid);
    if (known) return known;
    if (this.clock.now().getTime() - this.lastFetch < (this.opts.minRefetchIntervalMs ?? 10_000)) return null;
    try {
      await this.refresh();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, kid }, 'refetching auth public keys failed');
      return null;
    }
    return this.lookup(kid);
  }

  private lookup(kid: string | undefined): string | null {
    if (kid !== undefined) return this.keys.get(kid) ?? null;
    // A token without kid is only acceptable while exactly one key is in use.
    return this.keys.size === 1 ? [...this.keys.values()][0] : null;
  }

  private refresh(): Promise<void> {
    if (!this.inflight) {
      this.lastFetch = this.clock.now().getTime();
      this.inflight = (async () => {
        const parsed = KeysReplySchema.parse(await this.fetchKeys());
        const next = new Map<string, string>();
        for (const k of parsed.keys) if (k.alg === 'RS256') next.set(k.kid, k.public_key_pem);
        if (next.size === 0) throw new Error('auth service published no RS256 key');
        this.keys = next;
        this.logger.info({ kids: [...next.keys()] }, 'auth public keys loaded');
      })().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }
}
