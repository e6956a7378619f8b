/**
 * Stream cutting for small instances of the dedicated-packing regime (identical default lines, a
 * cleaning window, no timing constraints; see binpack.ts). The lots, grouped by type in some type
 * order, form one stream that is cut into blocks: a type that fits the current block goes in whole;
 * one that does not is split, the block taking the subset of its remaining lots that fills the block
 * best (an exact subset sum on a 0.05 h grid, weights rounded up so every block fits its window), and
 * the rest opens the next block. Every block boundary splits at most one type, so B blocks hold at
 * most T + B − 1 type runs, and a block is filled to within the grid and its lots' granularity: on
 * 100-lot families of lots ≤ 20 h, where best-fit packings leave a block's worth of gaps, this
 * reaches one block fewer. Several type orders and closing thresholds are tried (deterministic for a
 * seed); the best by clean + block length wins. A start for the block search, which checks it by
 * exact packer evaluation like every other start.
 */
import { makeRng } from '../context';
import { BREAK, type Plan } from '../packer';
import type { Instance } from '../types';
import { typeGroups } from '../lowerBound';
import { binPackApplies } from './binpack';

const EPS = 1e-9;
/** grid of the subset sum, hours */
const GRID = 0.05;
/** subset-sum cell updates allowed per lot (≈ 35 M for 100 lots, tens of ms) */
const WORK_PER_LOT = 350_000;
/** grid of the guided cuts, hours */
const FINE_GRID = 0.01;
/** guided cuts (type orders following the least-work type partition) and the most types they take */
const GUIDED_TRIALS = 8;
const GUIDED_MAX_TYPES = 12;
/** largest instance the stream cut runs on (its work grows with lots × blocks × grid cells) */
export const STREAMCUT_MAX_LOTS = 300;

export interface StreamCutOptions {
  seed: number;
  /** type orders tried (deterministic work budget) */
  trials: number;
  shouldStop?: () => boolean;
}

interface Block {
  lots: number[];
  /** window used: fills and changeovers */
  used: number;
}

export function streamCutApplies(inst: Instance): boolean {
  return inst.lots.length <= STREAMCUT_MAX_LOTS && binPackApplies(inst);
}

/**
 * The subset of `items` (lot indices, weights f + c_same) with the largest total weight ≤ cap, on a
 * grid with weights rounded up (so the true total never exceeds cap). Empty when nothing fits.
 */
export function bestSubset(
  items: number[],
  weight: (j: number) => number,
  cap: number,
  work?: { cells: number },
  grid = GRID,
): number[] {
  const capU = Math.floor((cap + EPS) / grid);
  if (capU <= 0 || items.length === 0) return [];
  if (work) work.cells += capU * items.length;
  const w = items.map((j) => Math.ceil(weight(j) / grid - EPS));
  // by[s] = 1 + the item that first reached sum s (0: not reached); items before it reached s − w
  const by = new Int32Array(capU + 1);
  let top = 0;
  for (let i = 0; i < items.length; i++) {
    const wi = w[i];
    if (wi > capU) continue;
    for (let s = Math.min(capU, top + wi); s >= wi; s--) {
      if (by[s] !== 0) continue;
      if (s === wi || by[s - wi] !== 0) by[s] = i + 1;
    }
    top = Math.min(capU, top + wi);
  }
  let s = capU;
  while (s > 0 && by[s] === 0) s--;
  const out: number[] = [];
  while (s > 0) {
    const i = by[s] - 1;
    out.push(items[i]);
    s -= w[i];
  }
  return out;
}

export function streamCutPlan(inst: Instance, opts: StreamCutOptions): Plan | null {
  if (!streamCutApplies(inst)) return null;
  const n = inst.lots.length;
  const m = inst.lines.length;
  const W = inst.config.window_hours as number;
  const C = inst.config.clean_hours;
  const cs = inst.config.changeover_same_hours;
  const cd = inst.config.changeover_diff_hours;
  const ic = inst.config.initial_clean;
  const f = Float64Array.from(inst.lots, (l) => l.fill[0]);
  const T = inst.types.length;
  const ofType: number[][] = Array.from({ length: T }, () => []);
  for (let j = 0; j < n; j++) ofType[inst.lots[j].typeIndex].push(j);
  const types = ofType.map((_, t) => t).filter((t) => ofType[t].length > 0);
  const volume = (t: number): number => ofType[t].reduce((a, j) => a + f[j] + cs, 0);
  const stop = opts.shouldStop ?? ((): boolean => false);
  const rng = makeRng(opts.seed ^ 0x2c1b3c6d);
  const work = { cells: 0 };
  const weight = (j: number): number => f[j] + cs;
  /** a whole type's length in a block of its own: Σ fill + c_same per further lot */
  const total = ofType.map((js) => js.reduce((a, j) => a + f[j], 0) + cs * Math.max(0, js.length - 1));

  /**
   * Cuts the stream of `order`'s types into blocks. `groupEnd`: types after which the block closes (the
   * end of a component of the type partition), `grid`: the subset-sum grid.
   */
  const cut = (
    order: number[],
    close: number,
    fitWhole: boolean,
    groupEnd: Set<number> | null = null,
    grid = GRID,
  ): Block[] => {
    const blocks: Block[] = [];
    let b: Block = { lots: [], used: 0 };
    const open = (): void => {
      if (b.lots.length > 0) blocks.push(b);
      b = { lots: [], used: 0 };
    };
    const left = order.slice();
    while (left.length > 0) {
      // a type that fits whole in the current block goes first (the largest such: the boundary then
      // falls between types), otherwise the next type of the order is split
      let pickAt = 0;
      if (fitWhole && b.lots.length > 0) {
        let bestWhole = -1;
        for (let i = 0; i < left.length; i++) {
          const v = cd + total[left[i]];
          if (b.used + v <= W + EPS && v > bestWhole) {
            bestWhole = v;
            pickAt = i;
          }
        }
      }
      const t = left.splice(pickAt, 1)[0];
      let rem = ofType[t].slice().sort((x, y) => f[y] - f[x] || x - y);
      while (rem.length > 0) {
        const lead = b.lots.length === 0 ? 0 : cd;
        const whole = lead + rem.reduce((a, j) => a + f[j], 0) + cs * (rem.length - 1);
        if (b.used + whole <= W + EPS) {
          b.lots.push(...rem);
          b.used += whole;
          rem = [];
          break;
        }
        // too little room left to be worth a type change: close the block
        if (b.lots.length > 0 && W - b.used < close) {
          open();
          continue;
        }
        // Σ (f + c_same) of the subset ≤ room + c_same (its first lot needs no same-type changeover)
        const pick = bestSubset(rem, weight, W - b.used - lead + cs, work, grid);
        if (pick.length === 0) {
          open();
          continue;
        }
        const taken = new Set(pick);
        b.lots.push(...pick);
        b.used += lead + pick.reduce((a, j) => a + f[j], 0) + cs * (pick.length - 1);
        rem = rem.filter((j) => !taken.has(j));
        open();
      }
      if (groupEnd?.has(t)) open();
    }
    open();
    return blocks;
  };
  const cost = (blocks: Block[]): number => blocks.reduce((a, x) => a + x.used + C, 0);

  let best = null as Block[] | null;
  let bestCost = Infinity;
  const consider = (blocks: Block[]): void => {
    const c = cost(blocks);
    if (c < bestCost - EPS) {
      bestCost = c;
      best = blocks;
    }
  };
  const shuffle = <X>(a: X[]): X[] => {
    for (let i = a.length - 1; i > 0; i--) {
      const k = Math.floor(rng() * (i + 1));
      [a[i], a[k]] = [a[k], a[i]];
    }
    return a;
  };
  let floor = -Infinity;
  // guided: the types in the components of the least-work partition (lowerBound's typeGroups), each
  // component's types in one stream closed at its end, blocks filled on a fine grid
  if (cd > cs && types.length >= 2 && types.length <= GUIDED_MAX_TYPES) {
    const { groups, work: least } = typeGroups({
      fill: types.map((t) => ofType[t].reduce((a, j) => a + f[j], 0)),
      count: types.map((t) => ofType[t].length),
      need: types.map((t) => Math.max(1, Math.ceil(volume(t) / (W + cs) - EPS))),
      W,
      cMin: cs,
      extra: cd - cs,
      clean: C,
    });
    floor = least;
    const comps = groups.map((g) => g.map((i) => types[i]));
    const ends = new Set(comps.map((g) => g[g.length - 1]));
    for (let trial = 0; trial < GUIDED_TRIALS && bestCost > least + 1e-6 && !stop(); trial++) {
      const order = trial === 0 ? comps : shuffle(comps.map((g) => shuffle(g.slice())));
      const end = trial === 0 ? ends : new Set(order.map((g) => g[g.length - 1]));
      consider(cut(order.flat(), 0, false, end, FINE_GRID));
    }
  }
  const byVolume = types.slice().sort((x, y) => volume(y) - volume(x) || x - y);
  // the least work is a lower bound on Σ (clean + block length): a cut that reaches it is optimal
  const trials = bestCost <= floor + 1e-6 ? 0 : opts.trials;
  for (let trial = 0; trial < trials; trial++) {
    if (trial > 0 && (work.cells > WORK_PER_LOT * n || stop())) break;
    const order = byVolume.slice();
    if (trial > 0)
      for (let i = order.length - 1; i > 0; i--) {
        const k = Math.floor(rng() * (i + 1));
        [order[i], order[k]] = [order[k], order[i]];
      }
    const close = trial === 0 ? cd + 1 : cd + rng() * (W / 6);
    consider(cut(order, close, trial % 2 === 1));
  }
  if (!best) return null;
  // blocks to lines: longest first onto the least-loaded line
  const sorted = best.slice().sort((x, y) => y.used - x.used);
  const load = new Array<number>(m).fill(0);
  const plan: Plan = inst.lines.map(() => []);
  for (const b of sorted) {
    let k = 0;
    for (let i = 1; i < m; i++) if (load[i] < load[k] - EPS) k = i;
    const first = plan[k].length === 0;
    load[k] += b.used + (first && !ic ? 0 : C);
    if (!first) plan[k].push(BREAK);
    plan[k].push(...b.lots);
  }
  return plan;
}
