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
 *    Pairs: lots longer than (W − 2·c_min)/3 ("mid") fit at most two to a block, and at most one in a block
 *    with a long lot, only when the two fit the window together. With ν = the maximum matching of long
 *    and mid lots that fit together, B ≥ long + ⌈(mid − ν)/2⌉ (globally, and per type for K). Globally
 *    also with the maximum matching μ of the graph whose edges are the long–mid and mid–mid pairs that
 *    fit (a block holds one such pair at most): B ≥ long + mid − μ (mid pairs of types that cannot
 *    share a window are counted).
 *    Bin packing: a block holds lots of sizes x = (f + c_min)/(W + c_min) with Σ x ≤ 1, so the dual
 *    feasible function u_ε (1 above 1 − ε, 0 below ε, x between; Martello–Toth's L2 family) gives
 *    B ≥ ⌈Σ u_ε(x)⌉ for every ε ≤ 1/2 (globally, and per type for K).
 *    Type changes in the window: with the defaults, the K − B type changes B blocks must hold take
 *    (diff − same) hours each of the window as well, so B ≥ min(K, ⌈(Σ fill + n·c_min + K·(diff − same))
 *    / (W + c_min + diff − same)⌉) (typeChangeBlocks).
 */
import { changeover } from './input';
import type { Instance } from './types';

/** Above these sizes the matching is not computed and ν = min(long, mid) is used (still valid). */
const PAIR_MAX_EDGES = 3_000_000;
const PAIR_MAX_SIDE = 3_000;

/**
 * Maximum bipartite matching (augmenting paths) of lots `left` against lots `right`, where a pair fits
 * when fill[l] + fill[r] + gap(type[l], type[r]) ≤ W; falls back to min(|left|, |right|), an upper
 * bound on the matching, when the graph is too large to build.
 */
export function maxPairing(
  left: number[],
  right: number[],
  fill: ArrayLike<number>,
  type: ArrayLike<number>,
  gap: (a: number, b: number) => number,
  W: number,
): number {
  const cap = Math.min(left.length, right.length);
  if (cap === 0) return 0;
  if (left.length * right.length > PAIR_MAX_EDGES || cap > PAIR_MAX_SIDE) return cap;
  // lefts sorted by fill: the lots a right lot fits with form a prefix per left type
  const order = left.slice().sort((x, y) => fill[x] - fill[y]);
  const lf = Float64Array.from(order, (i) => fill[i]);
  const byType = new Map<number, number[]>();
  order.forEach((i, li) => {
    const t = type[i];
    const list = byType.get(t);
    if (list) list.push(li);
    else byType.set(t, [li]);
  });
  const adj = right.map((r) => {
    const out: number[] = [];
    for (const [t, list] of byType) {
      const room = W + 1e-9 - fill[r] - gap(t, type[r]);
      for (let i = 0; i < list.length && lf[list[i]] <= room; i++) out.push(list[i]);
    }
    // the longest fitting lots first: they have the fewest other partners (distinct indices: a
    // typed array's native numeric sort, reversed, is the same order without a comparator call)
    return Int32Array.from(out).sort().reverse();
  });
  const matchOf = new Int32Array(order.length).fill(-1);
  let seen = new Uint8Array(left.length);
  const augment = (ri: number): boolean => {
    const nb = adj[ri];
    for (let i = 0; i < nb.length; i++) {
      const li = nb[i];
      if (seen[li]) continue;
      seen[li] = 1;
      if (matchOf[li] < 0 || augment(matchOf[li])) {
        matchOf[li] = ri;
        return true;
      }
    }
    return false;
  };
  // a failed search leaves the matching unchanged and its visited lots useless until the next success,
  // so `seen` is only cleared after an augmentation
  let nu = 0;
  const open: number[] = [];
  // greedy start, the right lots with the fewest partners first
  const byDegree = adj.map((_, ri) => ri).sort((x, y) => adj[x].length - adj[y].length);
  for (const ri of byDegree) {
    const li = adj[ri].find((l) => matchOf[l] < 0);
    if (li === undefined) open.push(ri);
    else {
      matchOf[li] = ri;
      nu++;
    }
  }
  for (const ri of open) {
    if (nu >= cap) break;
    if (adj[ri].length === 0) continue;
    if (augment(ri)) {
      nu++;
      seen = new Uint8Array(left.length);
    }
  }
  return nu;
}

/**
 * max over ε ∈ {0} ∪ {min(x, 1 − x)} of ⌈Σ u_ε(x)⌉, u_ε(x) = 1 if x > 1 − ε, 0 if x < ε, else x:
 * the bins a bin-packing needs (items `sizes` in units of the bin capacity). O(n log n).
 */
export function dffBins(sizes: number[]): number {
  const n = sizes.length;
  if (n === 0) return 0;
  const x = Float64Array.from(sizes).sort();
  const pre = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) pre[i + 1] = pre[i] + x[i];
  // first index with x[i] ≥ v (lo) / > v (hi)
  const lower = (v: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const upper = (v: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let best = Math.ceil(pre[n] - 1e-9);
  let last = -1;
  for (let i = 0; i < n; i++) {
    const eps = Math.min(x[i], 1 - x[i]);
    if (eps <= 0 || eps > 0.5 || eps === last) continue;
    last = eps;
    const a = lower(eps); // items below ε count 0
    const b = upper(1 - eps + 1e-9); // items above 1 − ε count 1
    const v = n - b + (b > a ? pre[b] - pre[a] : 0);
    best = Math.max(best, Math.ceil(v - 1e-9));
  }
  return best;
}

/** Above these sizes the general matching is skipped (the bipartite bound stays). */
const GENERAL_MAX_VERTICES = 4_000;

/**
 * Maximum cardinality matching of a general graph (Edmonds' blossoms, BFS from each free vertex after
 * a greedy start). `adj[v]` lists v's neighbours (symmetric). A search that fails leaves a Hungarian
 * tree whose vertices no later augmenting path can use (Edmonds): they are dropped from the graph.
 */
export function maxMatching(adj: number[][]): number {
  const nv = adj.length;
  const match = new Int32Array(nv).fill(-1);
  const p = new Int32Array(nv);
  const base = new Int32Array(nv);
  const used = new Uint8Array(nv);
  const blossom = new Uint8Array(nv);
  const onPath = new Uint8Array(nv);
  const q = new Int32Array(nv);
  const dead = new Uint8Array(nv);
  const lca = (a0: number, b0: number): number => {
    onPath.fill(0);
    let a = a0;
    for (;;) {
      a = base[a];
      onPath[a] = 1;
      if (match[a] < 0) break;
      a = p[match[a]];
    }
    let b = b0;
    for (;;) {
      b = base[b];
      if (onPath[b]) return b;
      b = p[match[b]];
    }
  };
  const markPath = (v0: number, b: number, child0: number): void => {
    let v = v0;
    let child = child0;
    while (base[v] !== b) {
      blossom[base[v]] = 1;
      blossom[base[match[v]]] = 1;
      p[v] = child;
      child = match[v];
      v = p[match[v]];
    }
  };
  const findPath = (root: number): number => {
    used.fill(0);
    p.fill(-1);
    for (let i = 0; i < nv; i++) base[i] = i;
    used[root] = 1;
    let qh = 0;
    let qt = 0;
    q[qt++] = root;
    while (qh < qt) {
      const v = q[qh++];
      const nb = adj[v];
      for (let ni = 0; ni < nb.length; ni++) {
        const to = nb[ni];
        if (dead[to] || base[v] === base[to] || match[v] === to) continue;
        if (to === root || (match[to] >= 0 && p[match[to]] >= 0)) {
          const cur = lca(v, to);
          blossom.fill(0);
          markPath(v, cur, to);
          markPath(to, cur, v);
          for (let i = 0; i < nv; i++)
            if (blossom[base[i]]) {
              base[i] = cur;
              if (!used[i]) {
                used[i] = 1;
                q[qt++] = i;
              }
            }
        } else if (p[to] < 0) {
          p[to] = v;
          if (match[to] < 0) return to;
          used[match[to]] = 1;
          q[qt++] = match[to];
        }
      }
    }
    return -1;
  };
  let size = 0;
  for (let v = 0; v < nv; v++) {
    if (match[v] >= 0) continue;
    for (const to of adj[v])
      if (match[to] < 0) {
        match[v] = to;
        match[to] = v;
        size++;
        break;
      }
  }
  for (let v = 0; v < nv; v++) {
    if (match[v] >= 0 || dead[v] || adj[v].length === 0) continue;
    let u = findPath(v);
    if (u < 0) {
      for (let i = 0; i < nv; i++) if (used[i] || p[i] >= 0) dead[i] = 1;
      continue;
    }
    size++;
    while (u >= 0) {
      const pv = p[u];
      const next = match[pv];
      match[u] = pv;
      match[pv] = u;
      u = next;
    }
  }
  return size;
}

/**
 * The fewest blocks B ≤ K that can hold lots of total fill `sumFill` when the window W must also hold
 * the (n − B) changeovers of ≥ c_min and the (K − B) extra hours `extra` of the type changes K type
 * blocks force into B blocks: Σ fill + (n − B)·c_min + (K − B)·extra ≤ B·W. With B ≥ K the type term
 * vanishes and the plain volume argument applies, so the answer is capped at K.
 */
export function typeChangeBlocks(
  sumFill: number,
  n: number,
  cMin: number,
  W: number,
  K: number,
  extra: number,
): number {
  const B = Math.ceil((sumFill + n * cMin + K * extra) / (W + cMin + extra) - 1e-9);
  return Math.max(1, Math.min(K, B));
}

/** Above this many types the component bound is skipped (its dynamic programme is 3^T). */
const COMPONENT_MAX_TYPES = 12;

export interface TypeGroupInput {
  /** per type (present types only): Σ fill, number of lots, blocks the type needs on its own (K_t) */
  fill: number[];
  count: number[];
  need: number[];
  W: number;
  cMin: number;
  /** diff − same changeover hours (> 0) */
  extra: number;
  clean: number;
}

/**
 * Least total work (Σ fill + every block's clean + changeovers) of any schedule, by the components
 * of its block–type incidence graph: a component with B_c blocks and a set S of types has at least
 * B_c + |S| − 1 incidences (it is connected), so its blocks hold at least |S| − 1 type changes, and at
 * least K_S − B_c (each type t meets K_t blocks). Its window sum gives Σ_S (fill + c_min·lots) +
 * extra·(|S| − 1) ≤ B_c·(W + c_min). Its work is clean·B_c + c_min·(lots − B_c) + extra·max(|S| − 1,
 * K_S − B_c), piecewise linear in B_c (evaluated at the least B_c, the kink and all lots); the
 * minimum over partitions of the types into components is a subset dynamic programme.
 */
export function typeGroupWork(g: TypeGroupInput): number {
  return typeGroups(g).work;
}

/** typeGroupWork and a partition of the types (indices into g's arrays) that attains it. */
export function typeGroups(g: TypeGroupInput): { work: number; groups: number[][] } {
  const T = g.fill.length;
  const full = (1 << T) - 1;
  const cost = new Float64Array(full + 1);
  for (let mask = 1; mask <= full; mask++) {
    let vol = 0;
    let lots = 0;
    let K = 0;
    let types = 0;
    let maxNeed = 1;
    let fill = 0;
    for (let t = 0; t < T; t++)
      if (mask & (1 << t)) {
        vol += g.fill[t] + g.cMin * g.count[t];
        fill += g.fill[t];
        lots += g.count[t];
        K += g.need[t];
        types++;
        maxNeed = Math.max(maxNeed, g.need[t]);
      }
    const least = Math.min(
      lots,
      Math.max(maxNeed, Math.ceil((vol + g.extra * (types - 1)) / (g.W + g.cMin) - 1e-9)),
    );
    const at = (B: number): number =>
      fill + g.clean * B + g.cMin * (lots - B) + g.extra * Math.max(types - 1, K - B);
    let best = Math.min(at(least), at(lots));
    const kink = K - types + 1;
    if (kink > least && kink < lots) best = Math.min(best, at(kink));
    cost[mask] = best;
  }
  const best = new Float64Array(full + 1).fill(Infinity);
  const choice = new Int32Array(full + 1);
  best[0] = 0;
  for (let mask = 1; mask <= full; mask++) {
    const low = mask & -mask;
    const rest = mask ^ low;
    // the component holding the lowest type: low plus any subset of the rest
    for (let sub = rest; ; sub = (sub - 1) & rest) {
      const v = cost[sub | low] + best[rest ^ sub];
      if (v < best[mask]) {
        best[mask] = v;
        choice[mask] = sub | low;
      }
      if (sub === 0) break;
    }
  }
  const groups: number[][] = [];
  for (let mask = full; mask > 0; mask ^= choice[mask]) {
    const group: number[] = [];
    for (let t = 0; t < T; t++) if (choice[mask] & (1 << t)) group.push(t);
    groups.push(group);
  }
  return { work: best[full], groups };
}

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
  // cheapest way from one lot's type to another's within a block: directly, or through a third lot
  // (≥ two changeovers of ≥ c_min; matrices need not obey the triangle inequality)
  const pairCache = new Map<number, number>();
  const typeOf = Int32Array.from(lots, (l) => l.typeIndex);
  const pairGap = (a: number, b: number): number => {
    const key = a < b ? a * T + b : b * T + a;
    let v = pairCache.get(key);
    if (v === undefined) {
      v = 2 * cMin;
      for (const mi of distinctTables) {
        const k = lines.findIndex((l) => l.matrix === mi);
        v = Math.min(v, changeover(inst, k, a, b), changeover(inst, k, b, a));
      }
      pairCache.set(key, v);
    }
    return v;
  };
  /** Blocks the given lots need by the long/mid pairing argument (0 without a cleaning window). */
  const pairBlocks = (ids: number[]): number => {
    if (W === null) return 0;
    const long: number[] = [];
    const mid: number[] = [];
    for (const i of ids) {
      const f = minFills[i];
      if (2 * f + cMin > W + 1e-9) long.push(i);
      else if (3 * f + 2 * cMin > W + 1e-9) mid.push(i);
    }
    if (mid.length === 0) return long.length;
    const nu = maxPairing(long, mid, minFills, typeOf, pairGap, W);
    return long.length + Math.ceil((mid.length - nu) / 2);
  };
  /** long + mid − μ over all lots (μ: general maximum matching of long–mid and mid–mid pairs that fit). */
  const pairGraphBlocks = (): number => {
    if (W === null) return 0;
    const long: number[] = [];
    const mid: number[] = [];
    minFills.forEach((f, i) => {
      if (2 * f + cMin > W + 1e-9) long.push(i);
      else if (3 * f + 2 * cMin > W + 1e-9) mid.push(i);
    });
    const nv = long.length + mid.length;
    if (mid.length === 0 || nv > GENERAL_MAX_VERTICES || mid.length * nv > PAIR_MAX_EDGES) return 0;
    // by fill, so the partners of a lot that can fit form a prefix (the smallest gap is ≥ c_min); mid
    // lots first with their long partners first, so the greedy start pairs them with long lots
    long.sort((x, y) => minFills[x] - minFills[y]);
    mid.sort((x, y) => minFills[x] - minFills[y]);
    const ids = [...mid, ...long];
    const M = mid.length;
    const fill = Float64Array.from(ids, (i) => minFills[i]);
    const type = Int32Array.from(ids, (i) => typeOf[i]);
    const adj: number[][] = ids.map(() => []);
    const link = (x: number, y: number): void => {
      if (fill[x] + fill[y] + pairGap(type[x], type[y]) <= W + 1e-9) {
        adj[x].push(y);
        adj[y].push(x);
      }
    };
    for (let x = 0; x < M; x++) {
      const room = W + 1e-9 - fill[x] - cMin;
      let end = M;
      while (end < nv && fill[end] <= room) end++;
      // the longest fitting lots first: they have the fewest other partners
      for (let y = end - 1; y >= M; y--) link(x, y);
    }
    for (let x = 0; x < M; x++) {
      const room = W + 1e-9 - fill[x] - cMin;
      for (let y = 0; y < x && fill[y] <= room; y++) link(x, y);
    }
    return nv - maxMatching(adj);
  };
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
    bMin = Math.max(
      bMin,
      bBig,
      pairBlocks(lots.map((_, i) => i)),
      pairGraphBlocks(),
      dffBins(minFills.map((f) => (f + cMin) / (W + cMin))),
    );
  }
  bMin = Math.min(bMin, n);
  // blocks each type needs on its own (the same two arguments per type): a block holding k lots of a
  // type spends at least their fill plus (k − 1) changeovers of ≥ c_min on them. Σ over types = K;
  // a schedule with B blocks then has at least K − B type changes inside blocks.
  let typeBlocks = T;
  const needOf = new Array<number>(T).fill(1);
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
    const ofType: number[][] = Array.from({ length: T }, () => []);
    lots.forEach((lot, i) => ofType[lot.typeIndex].push(i));
    typeBlocks = 0;
    for (let t = 0; t < T; t++) {
      if (typeCount[t] === 0) continue;
      const byVolume = Math.ceil(vol[t] / (W + cMin) - 1e-9);
      const byBig = big[t] + Math.max(0, Math.ceil((small[t] - slack[t]) / (W + cMin) - 1e-9));
      const byDff = dffBins(ofType[t].map((i) => (minFills[i] + cMin) / (W + cMin)));
      needOf[t] = Math.max(1, byVolume, byBig, pairBlocks(ofType[t]), byDff);
      typeBlocks += needOf[t];
    }
  }
  // extra different-type changeovers with defaults on every line
  const allDefault = lines.every((l) => l.matrix < 0);
  const extraPerType = allDefault
    ? Math.max(0, config.changeover_diff_hours - config.changeover_same_hours)
    : 0;
  // the different-type changeovers occupy the window too: B blocks hold Σ fill + (n − B)·c_min plus
  // (K − B)·(diff − same) of type changes within B·W, so fewer blocks than that bound are impossible
  if (W !== null && allDefault && cMin === config.changeover_same_hours && extraPerType > 0)
    bMin = Math.max(bMin, typeChangeBlocks(sumFill, n, cMin, W, typeBlocks, extraPerType));
  bMin = Math.min(bMin, n);
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
  let lb2 = (sumFill + bestOverhead) / m;
  const present = needOf.map((_, t) => t).filter((t) => typeCount[t] > 0);
  if (
    W !== null &&
    allDefault &&
    cMin === config.changeover_same_hours &&
    extraPerType > 0 &&
    present.length >= 2 &&
    present.length <= COMPONENT_MAX_TYPES
  ) {
    const fillOf = new Array<number>(T).fill(0);
    lots.forEach((lot, i) => (fillOf[lot.typeIndex] += minFills[i]));
    const work = typeGroupWork({
      fill: present.map((t) => fillOf[t]),
      count: present.map((t) => typeCount[t]),
      need: present.map((t) => needOf[t]),
      W,
      cMin,
      extra: extraPerType,
      clean: C,
    });
    // without an initial clean, each line's first block may skip its clean
    lb2 = Math.max(lb2, (work - (ic ? 0 : C * m)) / m);
  }
  return Math.max(lb1, lb2);
}
