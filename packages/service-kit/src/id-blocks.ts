import type { Logger } from './logging';
import type { IdAllocator, IdBlock, IdBlockSource } from './mongo';

export interface BlockIdAllocatorOptions {
  /** Ids reserved per round trip to the source; 1 = one round trip per id. */
  blockSize: number;
  /**
   * When this many ids or fewer are left in the block in hand, the next block is reserved in the
   * background, so a steady stream of callers never waits for the source. Default a quarter of
   * the block; 0 = only when the block is used up.
   */
  refillAt?: number;
  /** Where a failed background reservation is reported (the next caller that needs it retries). */
  logger?: Logger;
}

interface Sequence {
  /** The block ids are taken from: `next` up to `last`. */
  current: { next: number; last: number } | null;
  /** A block reserved ahead, used once `current` runs out. */
  spare: IdBlock | null;
  /** The reservation in flight (at most one per sequence). */
  pending: Promise<void> | null;
}

/**
 * Hands out ids from blocks reserved in one round trip each (hi/lo allocation), so most calls need
 * no round trip at all. Every id comes from a block the source reserved for this allocator alone,
 * hence ids stay unique across replicas and restarts. What a process had reserved but not handed
 * out when it stopped is never used: a restart leaves a gap of up to `blockSize - 1` ids, and
 * replicas hand out interleaved runs (ids grow with time within one replica, not across them).
 */
export class BlockIdAllocator implements IdAllocator {
  private readonly sequences = new Map<string, Sequence>();
  private readonly blockSize: number;
  private readonly refillAt: number;
  private readonly logger?: Logger;

  constructor(
    private readonly source: IdBlockSource,
    opts: BlockIdAllocatorOptions,
  ) {
    if (!Number.isInteger(opts.blockSize) || opts.blockSize < 1)
      throw new Error(`id block size must be a positive integer, not ${opts.blockSize}`);
    this.blockSize = opts.blockSize;
    this.refillAt = Math.min(opts.refillAt ?? Math.floor(opts.blockSize / 4), opts.blockSize - 1);
    this.logger = opts.logger;
  }

  async next(collection: string): Promise<number> {
    const seq = this.sequence(collection);
    for (;;) {
      const cur = seq.current;
      if (cur && cur.next <= cur.last) {
        const id = cur.next++;
        if (cur.last - cur.next + 1 <= this.refillAt) this.prefetch(collection, seq);
        return id;
      }
      if (seq.spare) {
        seq.current = { next: seq.spare.first, last: seq.spare.last };
        seq.spare = null;
        continue;
      }
      // Nothing in hand: wait for the reservation in flight (or start one); its failure is ours.
      await this.reserve(collection, seq);
    }
  }

  /** Reserves the first block now, in the background (at start-up, so the first call needs no round trip). */
  warm(collection: string): void {
    const seq = this.sequence(collection);
    if (!seq.current && !seq.spare) this.prefetch(collection, seq);
  }

  private sequence(collection: string): Sequence {
    let seq = this.sequences.get(collection);
    if (!seq) {
      seq = { current: null, spare: null, pending: null };
      this.sequences.set(collection, seq);
    }
    return seq;
  }

  private prefetch(collection: string, seq: Sequence): void {
    if (seq.spare || seq.pending) return;
    this.reserve(collection, seq).catch((err: unknown) =>
      this.logger?.warn({ err, collection }, 'reserving the next block of ids failed; retried when needed'),
    );
  }

  /** One reservation at a time per sequence; callers arriving meanwhile share it. */
  private reserve(collection: string, seq: Sequence): Promise<void> {
    seq.pending ??= this.source
      .reserve(collection, this.blockSize)
      .then((block) => {
        if (!(
          Number.isInteger(block.first) &&
          block.first >= 1 &&
          block.last - block.first + 1 === this.blockSize
        ))
          throw new Error(`id source returned ${block.first}..${block.last} for ${this.blockSize} ids`);
        seq.spare = block;
      })
      .finally(() => {
        seq.pending = null;
      });
    return seq.pending;
  }
}
