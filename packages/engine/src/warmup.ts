/**
 * Optional warm-up for a process or worker thread that will run solves: the first solve in a fresh
 * isolate runs the engine's code unoptimised (interpreted, then baseline-compiled) and is several
 * times slower than the next ones (bench:speed: first smart-pack solve of lots_large.csv against
 * the steady figure). `warmUp()` solves built-in instances with smart-pack, so that a worker calling
 * it at start answers its first real job on compiled code: the 400-lot one three times (the
 * optimising compiler only takes over after a few runs; once was not measurably faster than cold),
 * then a short-lot one. It takes about half a second, changes no state the next solves depend on
 * (every solve is deterministic for its input and seed either way) and never throws.
 */
import { makeRng } from './context';
import { normalizeInput } from './input';
import { solve } from './solve';
import type { RawScheduleInput } from './types';

const RATE = 19920;

/** `lots` lots of `types` types, fill hours uniform in [lo, hi] at the default rate, fixed seed. */
function lotsOf(lots: number, types: number, lo: number, hi: number, seed: number): RawScheduleInput {
  const rng = makeRng(seed);
  const out = [];
  for (let i = 0; i < lots; i++) {
    const hours = lo + (hi - lo) * rng();
    out.push({
      lot_id: `W${i + 1}`,
      type: `T${1 + Math.floor(rng() * types)}`,
      vials: Math.round(hours * RATE),
    });
  }
  return { lots_data: out };
}

export async function warmUp(): Promise<void> {
  // many lots needing a block of their own (the dedicated packing's regime, like lots_large.csv)
  const packing = lotsOf(400, 4, 1.5, 115, 1);
  // many short lots (window-fit starts and the iterated greedy)
  const short = lotsOf(120, 6, 0.5, 20, 2);
  for (const raw of [packing, packing, packing, short]) {
    try {
      const n = normalizeInput(raw);
      if (n.ok) await solve(n.instance, { strategy: 'smart-pack', seed: 1, timeLimitS: 2 });
    } catch {
      // a warm-up never fails its caller
    }
  }
}
