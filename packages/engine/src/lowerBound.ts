/**
 * Lower bounds on the makespan, valid for every instance:
 *  - LB1 (single lot): max over lots of min over its lines of max(start window, initial clean) + fill.
 *  - LB2 (total work): (Σ min fill + minimum clean and changeover overhead) / lines, where B blocks
 *    need at least B − (initial_clean ? 0 : min(B, m)) cleans and N − B changeovers, and the cleaning
 *    window forces B ≥ (Σ min fill + N·c_min) / (W + c_min); the overhead is minimised over B.
 *    With the same/different defaults, every type needs blocks of its own volume (K = Σ over types of
 *    the blocks its lots alone need, by volume and by its long lots), and B blocks then hold at least
 *    K − B different-type changeovers (K ≥ the number of types). Lots longer than (W − c_min)/2 need a block each, and the other lots
 *    must fit in what those blocks leave (W − f) or in further blocks: another bound on B.
 */
import { changeover } from './input';
import type { Instance } from './types';

export function lowerBound(inst: Instance): number {
  const { lots, lines, config } = inst;
  const n = lots.length;
  const m = lines.length;
  if (n === 0) return 0;
  const C = config.clean_hours;
  const W = config.window_hours;
  const ic = config.initial_clean;
  let lb1 = 0;
  let sumFill = 0;
  const minFills: number[] = [];
  for (const lot of lots) {
    let best = Infinity;
    let minF = Infinity;
    for (let k = 0; k < m; k++) {
      const f = lot.fill[k];
      if (!Number.isFinite(f)) continue;
      minF = Math.min(minF, f);
      const start = Math.max(lot.startWindow ?? 0, ic ? C : 0);
      best = Math.min(best, start + f);
    }
    lb1 = Math.max(lb1, best);
    sumFill += minF;
    minFills.push(minF);
  }
  // minimum changeover into a lot (over lines and predecessor types that exist)
  const T = inst.types.length;
  const typeCount = new Array<number>(T).fill(0);
  for (const lot of lots) typeCount[lot.typeIndex]++;
  let cMin = Infinity;
  const distinctTables = new Set(lines.map((l) => l.matrix));
  for (const mi of distinctTables) {
    const k = lines.findIndex((l) => l.matrix === mi);
    if (mi < 0) {
      if (T >= 2) cMin = Math.min(cMin, config.changeover_diff_hours);
      if (typeCount.some((c) => c >= 2)) cMin = Math.min(cMin, config.changeover_same_hours);
    } else {
      for (let a = 0; a < T; a++)
        for (let b = 0; b < T; b++) {
          if (a === b && typeCount[a] < 2) continue;
          const h = changeover(inst, k, a, b);
          if (h < cMin) cMin = h;
        }
    }
  }
  if (!Number.isFinite(cMin)) cMin = 0;
  let bMin = 1;
  if (W !== null) {
    bMin = Math.max(1, Math.ceil((sumFill + n * cMin) / (W + cMin) - 1e-9));
    // lots longer than (W − c_min)/2 cannot share a block; the other lots fit in the rest of those
    // blocks (W − f each) or in further blocks (W + c_min each, counting one changeover per lot)
    let nBig = 0;
    let bigSlack = 0;
    let smallDemand = 0;
    for (const f of minFills) {
      if (2 * f + cMin > W + 1e-9) {
        nBig++;
        bigSlack += W - f;
      } else smallDemand += f + cMin;
    }
    const bBig = nBig + Math.max(0, Math.ceil((smallDemand - bigSlack) / (W + cMin) - 1e-9));
    bMin = Math.max(bMin, bBig);
  }
  bMin = Math.min(bMin, n);
  // blocks each type needs on its own (the same two arguments per type): a block holding k lots of a
  // type spends at least their fill plus (k − 1) changeovers of ≥ c_min on them. Σ over types = K;
  // a schedule with B blocks then has at least K − B type changes inside blocks.
  let typeBlocks = T;
  if (W !== null) {
    const vol = new Array<number>(T).fill(0);
    const big = new Array<number>(T).fill(0);
    const slack = new Array<number>(T).fill(0);
    const small = new Array<number>(T).fill(0);
    lots.forEach((lot, i) => {
      const t = lot.typeIndex;
      const f = minFills[i];
      vol[t] += f + cMin;
      if (2 * f + cMin > W + 1e-9) {
        big[t]++;
        slack[t] += W - f;
      } else small[t] += f + cMin;
    });
    typeBlocks = 0;
    for (let t = 0; t < T; t++) {
      if (typeCount[t] === 0) continue;
      const byVolume = Math.ceil(vol[t] / (W + cMin) - 1e-9);
      const byBig = big[t] + Math.max(0, Math.ceil((small[t] - slack[t]) / (W + cMin) - 1e-9));
      typeBlocks += Math.max(1, byVolume, byBig);
    }
  }
  // extra different-type changeovers with defaults on every line
  const allDefault = lines.every((l) => l.matrix < 0);
  const extraPerType = allDefault
    ? Math.max(0, config.changeover_diff_hours - config.changeover_same_hours)
    : 0;
  const overhead = (B: number): number => {
    const cleans = Math.max(0, B - (ic ? 0 : Math.min(B, m)));
    const cos = n - B;
    const typeExtra =
      allDefault && cMin === config.changeover_same_hours ? Math.max(0, typeBlocks - B) * extraPerType : 0;
    return cleans * C + cos * cMin + typeExtra;
  };
  let bestOverhead = Infinity;
  // piecewise linear in B: the minimum is at bMin, a kink (m lines, K type blocks) or n
  for (const B of [
    bMin,
    Math.max(bMin, Math.min(m, n)),
    Math.max(bMin, Math.min(T, n)),
    Math.max(bMin, Math.min(typeBlocks, n)),
    n,
  ])
    bestOverhead = Math.min(bestOverhead, overhead(B));
  const lb2 = (sumFill + bestOverhead) / m;
  return Math.max(lb1, lb2);
}
