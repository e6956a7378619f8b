/**
 * Dedicated block packing for identical lines with the same/different changeover defaults, no start
 * windows and no downtime (e.g. `lots_large.csv`). There a line's load is Σ (clean + block length)
 * and a block's length only depends on its lots when they are grouped by type:
 *   Σ fill + c_same · (lots − 1) + (c_diff − c_same) · (distinct types − 1),
 * so the problem is bin packing with a type-dependent overhead (minimise clean · blocks + Σ
 * changeovers). Lots longer than (W − c_same)/2 each open their own block; the others fill the rest.
 *
 * Construction: best-fit decreasing with a type-aware choice of block (several variants, the best is
 * kept). Improvement: block elimination — the lots of the least-filled block go to a pool and are put
 * back into the other blocks by direct insertion or by ejection (a pool lot replaces one or two
 * smaller lots of a block, which go to the pool: the pool's volume strictly decreases, so the chain
 * ends); a failed or unprofitable attempt is undone. Finally a feasible descent that swaps lots
 * between blocks to regroup types. Deterministic for a seed.
 */
import { makeRng } from '../context';
import { BREAK, type Plan } from '../packer';
import type { Instance } from '../types';

type Mode = 'mix' | 'same' | 'home';

interface Bin {
  lots: number[];
  sumF: number;
  /** distinct types and their counts in the block */
  tt: number[];
  tc: number[];
  /** the attempt whose journal holds this block's state before it changed (see `touch`) */
  seen: number;
}

/** A block's state before an elimination attempt changed it (restored when the attempt is undone). */
interface Saved {
  b: Bin;
  lots: number[];
  sumF: number;
  tt: number[];
  tc: number[];
}

const EPS = 1e-9;
/** largest instance the dedicated packing runs on */
export const BINPACK_MAX_LOTS = 1000;

/** Whether the dedicated packing applies: identical default lines, a cleaning window, no timing constraints. */
export function binPackApplies(inst: Instance): boolean {
  const W = inst.config.window_hours;
  // (synchronous work grows with lots × blocks: kept to instances it finishes quickly on)
  if (W === null || inst.lots.length < 2 || inst.lots.length > BINPACK_MAX_LOTS) return false;
  const cfg = inst.config;
  if (cfg.changeover_same_hours > cfg.changeover_diff_hours) return false;
  if (inst.lines.some((l) => l.matrix >= 0 || l.downtime.length > 0)) return false;
  for (const lot of inst.lots) {
    if ((lot.startWindow ?? 0) > 0) return false;
    const f = lot.fill[0];
    if (!Number.isFinite(f) || f > W + EPS) return false;
    for (let k = 1; k < lot.fill.length; k++) if (lot.fill[k] !== f) return false;
  }
  return true;
}

/**
 * Share of lots longer than (W − c_same)/2 (each needs a block of its own). When it is large the
 * problem is mostly packing the other lots into what those blocks leave, where the dedicated packing
 * is strongest.
 */
export function longLotShare(inst: Instance): number {
  const W = inst.config.window_hours;
  if (W === null || inst.lots.length === 0) return 0;
  const cs = inst.config.changeover_same_hours;
  let c = 0;
  for (const lot of inst.lots) if (2 * Math.min(...lot.fill) + cs > W + EPS) c++;
  return c / inst.lots.length;
}

export interface BinPackOptions {
  seed: number;
  /** elimination attempts (deterministic work budget) */
  attempts: number;
  shouldStop?: () => boolean;
}

export function binPackPlan(inst: Instance, opts: BinPackOptions): Plan | null {
  if (!binPackApplies(inst)) return null;
  const n = inst.lots.length;
  const m = inst.lines.length;
  const W = inst.config.window_hours as number;
  const C = inst.config.clean_hours;
  const cs = inst.config.changeover_same_hours;
  const dd = inst.config.changeover_diff_hours - cs;
  const ic = inst.config.initial_clean;
  const f = new Float64Array(n);
  const ty = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    f[j] = inst.lots[j].fill[0];
    ty[j] = inst.lots[j].typeIndex;
  }
  // lots that cannot share a block with any lot at least as long: they stay where they are
  const pinned = new Uint8Array(n);
  for (let j = 0; j < n; j++) if (2 * f[j] + cs > W + EPS) pinned[j] = 1;
  const stop = opts.shouldStop ?? ((): boolean => false);
  const rng = makeRng(opts.seed ^ 0x5bd1e995);

  const len = (b: Bin): number =>
    b.lots.length === 0 ? 0 : b.sumF + cs * (b.lots.length - 1) + dd * (b.tt.length - 1);
  const addDelta = (b: Bin, j: number): number =>
    b.lots.length === 0 ? f[j] : f[j] + cs + (b.tt.indexOf(ty[j]) >= 0 ? 0 : dd);
  // blocks changed by the current elimination attempt, saved on first change (null: not journaling)
  let journal: Saved[] | null = null;
  let attempt = 0;
  const touch = (b: Bin): void => {
    if (journal === null || b.seen === attempt) return;
    b.seen = attempt;
    journal.push({ b, lots: b.lots.slice(), sumF: b.sumF, tt: b.tt.slice(), tc: b.tc.slice() });
  };
  const add = (b: Bin, j: number): void => {
    touch(b);
    b.lots.push(j);
    b.sumF += f[j];
    const i = b.tt.indexOf(ty[j]);
    if (i >= 0) b.tc[i]++;
    else {
      b.tt.push(ty[j]);
      b.tc.push(1);
    }
  };
  const del = (b: Bin, j: number): void => {
    touch(b);
    const p = b.lots.indexOf(j);
    b.lots.splice(p, 1);
    b.sumF -= f[j];
    const i = b.tt.indexOf(ty[j]);
    if (--b.tc[i] === 0) {
      b.tt.splice(i, 1);
      b.tc.splice(i, 1);
    }
  };
  const countOf = (b: Bin, t: number): number => {
    const i = b.tt.indexOf(t);
    return i >= 0 ? b.tc[i] : 0;
  };
  const newBin = (): Bin => ({ lots: [], sumF: 0, tt: [], tc: [], seen: -1 });
  const cost = (bins: Bin[]): number => {
    let s = 0;
    for (let i = 0; i < bins.length; i++) {
      const b = bins[i];
      if (b.lots.length > 0) s += C + len(b);
    }
    return s;
  };

  // --- construction: best-fit decreasing, type-aware (variants; keep the cheapest) ---
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => f[b] - f[a] || ty[a] - ty[b] || a - b);
  const construct = (alpha: number): Bin[] => {
    const bins: Bin[] = [];
    for (let oi = 0; oi < order.length; oi++) {
      const j = order[oi];
      let best: Bin | null = null;
      let bestKey = Infinity;
      for (let bi = 0; bi < bins.length; bi++) {
        const b = bins[bi];
        const d = addDelta(b, j);
        const l = len(b) + d;
        if (l > W + EPS) continue;
        const extra = d - f[j] - cs; // 0 when the type is already there
        // a type new to the block goes to the roomiest block (later lots of that type can follow)
        const key = alpha < 0 ? (extra > 0 ? 1e6 + l : W - l) : alpha * extra + (W - l);
        if (key < bestKey - 1e-12) {
          bestKey = key;
          best = b;
        }
      }
      if (!best) {
        best = newBin();
        bins.push(best);
      }
      add(best, j);
    }
    return bins;
  };
  /**
   * Minimum bin slack per type: every lot that needs its own block opens one; then, type by type,
   * each of those blocks (roomiest first) gets the subset of the type's remaining lots that fills it
   * best (bounded depth-first search); what is left is placed by the type-aware best fit.
   */
  const constructMbs = (nodeLimit: number, forceLargest: boolean, restarts: number): Bin[] => {
    const bins: Bin[] = [];
    const byType = new Map<number, number[]>();
    const binsOf = new Map<number, Bin[]>();
    for (const j of order) {
      if (pinned[j]) {
        const b = newBin();
        add(b, j);
        bins.push(b);
        const l = binsOf.get(ty[j]);
        if (l) l.push(b);
        else binsOf.set(ty[j], [b]);
      } else {
        const l = byType.get(ty[j]);
        if (l) l.push(j);
        else byType.set(ty[j], [j]);
      }
    }
    const rest: number[] = [];
    for (const [t, items] of byType) {
      const tb = binsOf.get(t) ?? [];
      const caps = tb.map((b) => W - len(b));
      const sz = items.map((j) => f[j] + cs);
      // one packing of the type's lots into its blocks; restarts perturb the order of the blocks
      const packOnce = (noise: number): { sets: number[][]; left: number } => {
        const used = new Uint8Array(items.length);
        const bo = caps.map((c, i) => [c + noise * rng(), i]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        const sets: number[][] = tb.map(() => []);
        for (const [, bi] of bo) {
          const cap = caps[bi];
          let bestSet: number[] = [];
          let bestSum = 0;
          const curSet: number[] = [];
          let nodes = 0;
          const dfs = (i: number, sum: number): boolean => {
            if (sum > bestSum + EPS) {
              bestSum = sum;
              bestSet = curSet.slice();
              if (cap - sum < 1e-6) return true;
            }
            // items are longest first (sz non-increasing): the ones too long for the room left form a
            // prefix of the range, skipped by bisection instead of one by one
            let lo = i;
            let hi = items.length;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (sum + sz[mid] > cap + EPS) lo = mid + 1;
              else hi = mid;
            }
            for (let x = lo; x < items.length; x++) {
              if (used[x] || sum + sz[x] > cap + EPS) continue;
              if (++nodes > nodeLimit) return true;
              curSet.push(x);
              const done = dfs(x + 1, sum + sz[x]);
              curSet.pop();
              if (done) return true;
            }
            return false;
          };
          let x0 = -1;
          if (forceLargest) {
            // the largest remaining lot that fits is always in (MBS'): large lots are not left over
            for (let x = 0; x < items.length && x0 < 0; x++) if (!used[x] && sz[x] <= cap + EPS) x0 = x;
            if (x0 >= 0) {
              used[x0] = 1;
              curSet.push(x0);
            }
          }
          dfs(0, x0 >= 0 ? sz[x0] : 0);
          if (x0 >= 0 && bestSet.length === 0) bestSet = [x0];
          for (const x of bestSet) used[x] = 1;
          sets[bi] = bestSet;
        }
        let left = 0;
        for (let x = 0; x < items.length; x++) if (!used[x]) left += sz[x];
        return { sets, left };
      };
      /**
       * Pool exchanges: swap up to two lots of a block with up to two left-over lots when the block
       * gets fuller (and still fits); the left-over volume strictly decreases.
       */
      const exchange = (r: { sets: number[][]; left: number }): { sets: number[][]; left: number } => {
        const sets = r.sets.map((x) => x.slice());
        const fill = sets.map((set) => set.reduce((acc, x) => acc + sz[x], 0));
        const inSet = new Uint8Array(items.length);
        for (const set of sets) for (const x of set) inSet[x] = 1;
        const pool: number[] = [];
        for (let x = 0; x < items.length; x++) if (!inSet[x]) pool.push(x);
        let left = r.left;
        let guard = 0;
        let again = true;
        while (again && pool.length > 0 && pool.length <= 60 && guard++ < 200) {
          again = false;
          for (let bi = 0; bi < sets.length && pool.length > 0; bi++) {
            const set = sets[bi];
            const room = caps[bi] - fill[bi];
            // candidate "out" groups, in this order: nothing, then per lot u of the block u alone and
            // u with each later lot v (bu/bv = −1: none); the first best exchange found is kept
            let bestGain = EPS;
            let bu = -1;
            let bv = -1;
            let bp = -1;
            let bq = -1;
            // the longest pool lot: a pair (a, b) cannot gain more than a + longest (exact pruning)
            let longest = 0;
            for (let pi = 0; pi < pool.length; pi++) if (sz[pool[pi]] > longest) longest = sz[pool[pi]];
            const tryOut = (u: number, v: number): void => {
              let out = 0;
              if (u >= 0) out += sz[set[u]];
              if (v >= 0) out += sz[set[v]];
              const free = room + out;
              for (let p = 0; p < pool.length; p++) {
                const a = sz[pool[p]];
                if (a - out > bestGain && a <= free + EPS) {
                  bestGain = a - out;
                  bu = u;
                  bv = v;
                  bp = p;
                  bq = -1;
                }
                // no pair with a fits or gains more (sizes are positive; float addition is monotonic)
                if (a > free + EPS || a + longest - out <= bestGain) continue;
                for (let q = p + 1; q < pool.length; q++) {
                  const ab = a + sz[pool[q]];
                  if (ab - out > bestGain && ab <= free + EPS) {
                    bestGain = ab - out;
                    bu = u;
                    bv = v;
                    bp = p;
                    bq = q;
                  }
                }
              }
            };
            tryOut(-1, -1);
            for (let u = 0; u < set.length; u++) {
              tryOut(u, -1);
              for (let v = u + 1; v < set.length; v++) tryOut(u, v);
            }
            if (bp < 0) continue;
            const outLots = bu < 0 ? [] : bv < 0 ? [set[bu]] : [set[bu], set[bv]];
            const inLots = bq < 0 ? [pool[bp]] : [pool[bp], pool[bq]];
            if (bv >= 0) set.splice(bv, 1);
            if (bu >= 0) set.splice(bu, 1);
            if (bq >= 0) pool.splice(bq, 1);
            pool.splice(bp, 1);
            set.push(...inLots);
            pool.push(...outLots);
            fill[bi] += bestGain;
            left -= bestGain;
            again = true;
          }
        }
        return { sets, left };
      };
      let best = exchange(packOnce(0));
      for (let r = 0; r < restarts && best.left > EPS && !stop(); r++) {
        const c = exchange(packOnce(2 + r));
        if (c.left < best.left - EPS) best = c;
      }
      const placed = new Uint8Array(items.length);
      best.sets.forEach((set, bi) => {
        for (const x of set) {
          placed[x] = 1;
          add(tb[bi], items[x]);
        }
      });
      for (let x = 0; x < items.length; x++) if (!placed[x]) rest.push(items[x]);
    }
    rest.sort((a, b) => f[b] - f[a] || a - b);
    for (let ri = 0; ri < rest.length; ri++) {
      const j = rest[ri];
      let best: Bin | null = null;
      let bestKey = Infinity;
      for (let bi = 0; bi < bins.length; bi++) {
        const b = bins[bi];
        const has = b.tt.indexOf(ty[j]) >= 0;
        const l = len(b) + f[j] + cs + (has ? 0 : dd);
        if (l > W + EPS) continue;
        const key = has ? W - l : 1e6 + l;
        if (key < bestKey - 1e-12) {
          bestKey = key;
          best = b;
        }
      }
      if (!best) {
        best = newBin();
        bins.push(best);
      }
      add(best, j);
    }
    return bins;
  };
  let bins: Bin[] = [];
  let cur = Infinity;
  // variants: minimum bin slack with the largest remaining lot forced in; on small instances also
  // plain minimum bin slack, best fit with a new type sent to the roomiest block, best fit strictly
  // by type and plain best fit
  for (const alpha of n <= 300 ? [-3, -2, -1, 1e6, 0] : [-3]) {
    if (stop() && bins.length > 0) break;
    const b = alpha < -1 ? constructMbs(300, alpha === -3, 1) : construct(alpha);
    const c = cost(b);
    if (c < cur - EPS) {
      cur = c;
      bins = b;
    }
  }

  // --- pool ejection chains: block elimination and type eviction ---
  /**
   * Puts the pool's lots back into the blocks other than `target`: direct insertion, else ejection (a
   * pool lot replaces one or two shorter lots of a block; they join the pool). With mode 'same' a lot
   * only goes where its type already is (no new type change); with mode 'home' only to blocks of its
   * own type (led by a lot of that type). Returns false when stuck.
   */
  const placePool = (pool: number[], target: Bin, mode: Mode, noise: number): boolean => {
    const mix = mode === 'mix';
    let steps = 0;
    while (pool.length > 0) {
      if (++steps > Math.min(2 * n, 200)) return false;
      // largest pool lot first
      let pi = 0;
      for (let i = 1; i < pool.length; i++) if (f[pool[i]] > f[pool[pi]]) pi = i;
      const p = pool[pi];
      const tp = ty[p];
      // 1. direct insertion (same type first, then best fit)
      let best: Bin | null = null;
      let bestKey = Infinity;
      for (let bi = 0; bi < bins.length; bi++) {
        const b = bins[bi];
        if (b === target || b.lots.length === 0) continue;
        const has = b.tt.indexOf(tp) >= 0;
        if (!mix && !has) continue;
        if (mode === 'home' && home(b) !== tp) continue;
        const l = len(b) + f[p] + cs + (has ? 0 : dd);
        if (l > W + EPS) continue;
        // same type: best fit; a new type: the roomiest block (later lots of that type can follow)
        const key = has ? W - l : 1e6 + l;
        if (key < bestKey - 1e-12) {
          bestKey = key;
          best = b;
        }
      }
      if (best) {
        add(best, p);
        pool.splice(pi, 1);
        continue;
      }
      // 2. ejection: p replaces one or two shorter lots of a block (the pool's volume decreases)
      let eb: Bin | null = null;
      let eq1 = -1;
      let eq2 = -1;
      let eKey = Infinity;
      for (let bi = 0; bi < bins.length; bi++) {
        const b = bins[bi];
        if (b === target || b.lots.length === 0) continue;
        const cntP = countOf(b, tp);
        if (!mix && cntP === 0) continue;
        if (mode === 'home' && home(b) !== tp) continue;
        const L = b.lots;
        const k = L.length;
        const nd = b.tt.length;
        const base = b.sumF + f[p];
        for (let x = 0; x < k; x++) {
          const q1 = L[x];
          if (pinned[q1] || f[q1] >= f[p] - EPS) continue;
          const c1 = countOf(b, ty[q1]);
          // one lot out, p in (k lots)
          const cp1 = cntP - (ty[q1] === tp ? 1 : 0);
          if (mix || cp1 > 0) {
            const distinct = nd - (c1 === 1 ? 1 : 0) + (cp1 > 0 ? 0 : 1);
            const l1 = base - f[q1] + cs * (k - 1) + dd * (distinct - 1);
            if (l1 <= W + EPS) {
              const key = W - l1 + (cp1 > 0 ? 0 : 4 * dd) + noise * rng();
              if (key < eKey) {
                eKey = key;
                eb = b;
                eq1 = q1;
                eq2 = -1;
              }
            }
          }
          // two lots out, p in (k − 1 lots)
          for (let y = x + 1; y < k; y++) {
            const q2 = L[y];
            if (pinned[q2] || f[q1] + f[q2] >= f[p] - EPS) continue;
            let distinct = nd;
            if (ty[q1] === ty[q2]) {
              if (c1 === 2) distinct--;
            } else {
              if (c1 === 1) distinct--;
              if (countOf(b, ty[q2]) === 1) distinct--;
            }
            const cp2 = cp1 - (ty[q2] === tp ? 1 : 0);
            if (!mix && cp2 === 0) continue;
            if (cp2 === 0) distinct++;
            const l2 = base - f[q1] - f[q2] + cs * (k - 2) + dd * (distinct - 1);
            if (l2 <= W + EPS) {
              const key = W - l2 + 1 + (cp2 > 0 ? 0 : 4 * dd) + noise * rng();
              if (key < eKey) {
                eKey = key;
                eb = b;
                eq1 = q1;
                eq2 = q2;
              }
            }
          }
        }
      }
      if (!eb) return false;
      del(eb, eq1);
      if (eq2 >= 0) del(eb, eq2);
      add(eb, p);
      pool.splice(pi, 1);
      pool.push(eq1);
      if (eq2 >= 0) pool.push(eq2);
    }
    return true;
  };

  /** the type of a block's longest lot (its pinned lot when it has one) */
  const home = (b: Bin): number => {
    let h = b.lots[0];
    for (let i = 0; i < b.lots.length; i++) {
      const j = b.lots[i];
      if (f[j] > f[h] || (f[j] === f[h] && j < h)) h = j;
    }
    return ty[h];
  };
  const attempts = opts.attempts;
  let failElim = 0;
  let failEvict = 0;
  for (let a = 0; a < attempts && !stop(); a++) {
    let target: Bin | null = null;
    let pool: number[] = [];
    let mode: Mode = 'mix';
    const kind = a % 4;
    const elim = kind === 0;
    if (elim) {
      // empty one of the least-filled blocks without a pinned lot
      const live = bins.filter((b) => b.lots.length > 0 && b.lots.every((j) => !pinned[j]));
      if (live.length > 0 && bins.length > m) {
        live.sort((x, y) => len(x) - len(y));
        target = live[Math.min(live.length - 1, Math.floor(rng() * Math.min(live.length, 1 + failElim)))];
        pool = target.lots.slice();
      }
    } else if (kind === 3) {
      // pull one lot of a mixed block back to the blocks of its own type (less foreign volume)
      const mixed = bins.filter((b) => b.tt.length > 1);
      if (mixed.length > 0) {
        target = mixed[Math.floor(rng() * mixed.length)];
        const h = home(target);
        const cand = target.lots.filter((j) => ty[j] !== h);
        if (cand.length > 0) pool = [cand[Math.floor(rng() * cand.length)]];
        mode = 'home';
      }
    } else {
      // evict one type from a mixed block (never the type of its pinned lot)
      const mixed = bins.filter((b) => b.tt.length > 1);
      if (mixed.length > 0) {
        target = mixed[Math.floor(rng() * mixed.length)];
        const keep = new Set<number>();
        for (const j of target.lots) if (pinned[j]) keep.add(ty[j]);
        const cand = target.tt.filter((t) => !keep.has(t));
        if (cand.length > 0 && target.tt.length > 1) {
          const t = cand[Math.floor(rng() * cand.length)];
          pool = target.lots.filter((j) => ty[j] === t);
          mode = rng() < 0.2 ? 'mix' : 'same';
        }
      }
    }
    if (!target || pool.length === 0) continue;
    // only the blocks the attempt changes are saved (on their first change), not all of them
    journal = [];
    attempt = a;
    for (let pi = 0; pi < pool.length; pi++) del(target, pool[pi]);
    const noise = elim ? Math.min(8, 0.25 * failElim) : Math.min(8, 0.25 * failEvict);
    const ok = placePool(pool, target, mode, noise);
    const c = ok ? cost(bins) : Infinity;
    // eviction also accepts ties (a type moves to a roomier block, others can follow it there); a
    // pull-back never adds a type change and strictly lowers the foreign volume: always accepted
    if (c < cur - EPS || (!elim && ok && c <= cur + EPS && (mode === 'home' || rng() < 0.5))) {
      cur = Math.min(cur, c);
      bins = bins.filter((b) => b.lots.length > 0);
      if (elim) failElim = 0;
      else failEvict = 0;
    } else {
      for (let xi = 0; xi < journal.length; xi++) {
        const x = journal[xi];
        x.b.lots = x.lots;
        x.b.sumF = x.sumF;
        x.b.tt = x.tt;
        x.b.tc = x.tc;
      }
      if (elim) failElim++;
      else failEvict++;
    }
    journal = null;
  }
  bins = bins.filter((b) => b.lots.length > 0);

  // --- type regrouping: swap/relocate lots between blocks when the total length decreases ---
  let improved = true;
  let rounds = 0;
  while (improved && rounds++ < 20 && !stop()) {
    improved = false;
    for (let xi = 0; xi < bins.length; xi++) {
      const X = bins[xi];
      if (X.tt.length < 2) continue;
      const XL = X.lots.slice();
      for (let ai = 0; ai < XL.length; ai++) {
        const a = XL[ai];
        const lx = len(X);
        del(X, a);
        const remA = lx - len(X);
        let done = false;
        for (let yi = 0; yi < bins.length && !done; yi++) {
          const Y = bins[yi];
          if (Y === X) continue;
          const ly = len(Y);
          const dA = addDelta(Y, a);
          if (ly + dA <= W + EPS && dA < remA - EPS && X.lots.length > 0) {
            add(Y, a);
            done = true;
            break;
          }
          // each lot tried leaves Y (del) and comes back at its end (add), so with the lots of a's
          // type staying in front, the next lot to try is always at index `kept` (no copy of Y.lots)
          const k = Y.lots.length;
          let kept = 0;
          for (let bi = 0; bi < k && !done; bi++) {
            const b = Y.lots[kept];
            if (ty[b] === ty[a]) {
              kept++;
              continue;
            }
            del(Y, b);
            const dB = addDelta(X, b);
            const dA2 = addDelta(Y, a);
            const nx = len(X) + dB;
            const ny = len(Y) + dA2;
            if (nx <= W + EPS && ny <= W + EPS && nx + ny < lx + ly - EPS) {
              add(X, b);
              add(Y, a);
              done = true;
            } else add(Y, b);
          }
        }
        if (done) {
          improved = true;
          break;
        }
        add(X, a);
      }
    }
  }
  bins = bins.filter((b) => b.lots.length > 0);

  // --- plan: lots grouped by type inside a block; blocks spread over the lines (longest first) ---
  const blocks = bins.map((b) => {
    const lots = b.lots.slice().sort((x, y) => {
      const ix = b.tt.indexOf(ty[x]);
      const iy = b.tt.indexOf(ty[y]);
      return ix - iy || f[y] - f[x] || x - y;
    });
    return { lots, len: len(b) };
  });
  blocks.sort((x, y) => y.len - x.len);
  const load = new Array<number>(m).fill(0);
  const plan: Plan = inst.lines.map(() => []);
  for (const b of blocks) {
    let k = 0;
    for (let i = 1; i < m; i++) if (load[i] < load[k] - EPS) k = i;
    const first = plan[k].length === 0;
    load[k] += b.len + (first && !ic ? 0 : C);
    if (!first) plan[k].push(BREAK);
    plan[k].push(...b.lots);
  }
  return plan;
}
