/**
 * Construction + local search for R | S_ijk | Cmax (unrelated lines, sequence- and line-dependent setups).
 *
 * - `constructSequences`: greedy best insertion (jobs in decreasing order of their best processing time).
 * - `descend`: first-improvement descent over inter-line insertion, inter-line swap and intra-line
 *   reinsertion moves, with an exact Held–Karp re-sequencing of small critical lines. Every accepted move
 *   strictly decreases the potential (Cmax, number of lines at Cmax, Σ line loads), so it terminates.
 * - `sequencingLocalSearch`: iterated greedy (destroy a few jobs, best-reinsert them, descend) with a
 *   simulated-annealing-like acceptance, until the deadline. Never returns worse than its input.
 */
import { allowed, EPS, lineSpan, makespan, rng, validateSequences, type SequencingProblem } from './core';

export interface LocalSearchOptions {
  seed?: number;
  /** Hard cap on iterated-greedy iterations (mainly for tests); default unlimited until the deadline. */
  maxIterations?: number;
  /** Called when a new best is found. */
  onImprove?: (sequences: number[][], cmax: number) => void;
  /** Also descend from our own construction and keep the better start (default true). */
  tryConstruction?: boolean;
  /** Tuning knobs (defaults chosen on the Vallada–Ruiz instances). */
  tuning?: { temperature?: number; hkMax?: number; window?: number; destroyMax?: number };
}

class State {
  seqs: number[][];
  loads: number[];
  constructor(
    readonly pr: SequencingProblem,
    seqs: readonly (readonly number[])[],
  ) {
    this.seqs = seqs.map((s) => s.slice());
    this.loads = this.seqs.map((s, k) => lineSpan(pr, k, s));
  }
  clone(): State {
    const s = Object.create(State.prototype) as State;
    (s as { pr: SequencingProblem }).pr = this.pr;
    s.seqs = this.seqs.map((x) => x.slice());
    s.loads = this.loads.slice();
    return s;
  }
  cmax(): number {
    let c = 0;
    for (const l of this.loads) if (l > c) c = l;
    return c;
  }
  sum(): number {
    let c = 0;
    for (const l of this.loads) c += l;
    return c;
  }
  /** Load change when removing position r of line k. */
  removeDelta(k: number, r: number): number {
    const seq = this.seqs[k];
    const S = this.pr.setup[k];
    const j = seq[r];
    let d = -this.pr.p[j][k];
    const hasPrev = r > 0;
    const hasNext = r < seq.length - 1;
    if (hasPrev) d -= S[seq[r - 1]][j];
    if (hasNext) d -= S[j][seq[r + 1]];
    if (hasPrev && hasNext) d += S[seq[r - 1]][seq[r + 1]];
    return d;
  }
  /** Load change when inserting job j before position r of line k (r = length: append). */
  insertDelta(k: number, j: number, r: number, seq: readonly number[] = this.seqs[k]): number {
    const S = this.pr.setup[k];
    let d = this.pr.p[j][k];
    const hasPrev = r > 0;
    const hasNext = r < seq.length;
    if (hasPrev) d += S[seq[r - 1]][j];
    if (hasNext) d += S[j][seq[r]];
    if (hasPrev && hasNext) d -= S[seq[r - 1]][seq[r]];
    return d;
  }
  bestInsertion(k: number, j: number, seq: readonly number[] = this.seqs[k]): { delta: number; pos: number } {
    let best = Infinity;
    let pos = -1;
    for (let r = 0; r <= seq.length; r++) {
      const d = this.insertDelta(k, j, r, seq);
      if (d < best) {
        best = d;
        pos = r;
      }
    }
    return { delta: best, pos };
  }
  /** Load change when the job at position r of line k is replaced by job i (same position). */
  replaceDelta(k: number, r: number, i: number): number {
    const seq = this.seqs[k];
    const S = this.pr.setup[k];
    const j = seq[r];
    let d = this.pr.p[i][k] - this.pr.p[j][k];
    if (r > 0) d += S[seq[r - 1]][i] - S[seq[r - 1]][j];
    if (r < seq.length - 1) d += S[i][seq[r + 1]] - S[j][seq[r + 1]];
    return d;
  }
  recompute(k: number): void {
    this.loads[k] = lineSpan(this.pr, k, this.seqs[k]);
  }
}

function better(a: State, b: State): boolean {
  const ca = a.cmax();
  const cb = b.cmax();
  if (ca < cb - EPS) return true;
  if (ca > cb + EPS) return false;
  return a.sum() < b.sum() - EPS;
}

/** Exact minimum-span ordering of a set of jobs on line k (Held–Karp over subsets; jobs ≤ 12). */
export function optimalLineOrder(problem: SequencingProblem, k: number, jobs: readonly number[]): number[] {
  const q = jobs.length;
  if (q <= 2) {
    if (q < 2) return jobs.slice();
    const [a, b] = jobs;
    return problem.setup[k][a][b] <= problem.setup[k][b][a] ? [a, b] : [b, a];
  }
  const S = problem.setup[k];
  const full = 1 << q;
  const dp = new Float64Array(full * q).fill(Infinity);
  const par = new Int8Array(full * q).fill(-1);
  for (let i = 0; i < q; i++) dp[(1 << i) * q + i] = 0;
  for (let mask = 1; mask < full; mask++) {
    for (let last = 0; last < q; last++) {
      const v = dp[mask * q + last];
      if (v === Infinity || !(mask & (1 << last))) continue;
      const a = jobs[last];
      for (let nx = 0; nx < q; nx++) {
        if (mask & (1 << nx)) continue;
        const nm = mask | (1 << nx);
        const w = v + S[a][jobs[nx]];
        if (w < dp[nm * q + nx]) {
          dp[nm * q + nx] = w;
          par[nm * q + nx] = last;
        }
      }
    }
  }
  let bestLast = 0;
  for (let i = 1; i < q; i++) if (dp[(full - 1) * q + i] < dp[(full - 1) * q + bestLast]) bestLast = i;
  const order: number[] = [];
  let mask = full - 1;
  let cur = bestLast;
  while (cur >= 0) {
    order.push(jobs[cur]);
    const pv = par[mask * q + cur];
    mask &= ~(1 << cur);
    cur = pv;
  }
  return order.reverse();
}

const HK_MAX = 11;
const WINDOW = 8;

/** Best-insertion construction. */
export function constructSequences(problem: SequencingProblem): number[][] {
  const { n, m } = problem;
  const st = new State(
    problem,
    Array.from({ length: m }, () => []),
  );
  const order = Array.from({ length: n }, (_, j) => j);
  const best = order.map((j) => Math.min(...problem.p[j].map((v) => (Number.isFinite(v) ? v : Infinity))));
  order.sort((a, b) => best[b] - best[a] || a - b);
  for (const j of order) insertGreedy(st, j);
  return st.seqs;
}

/** Insert j where the resulting makespan is smallest, ties broken by the smallest load increase. */
function insertGreedy(st: State, j: number): void {
  const cm = st.cmax();
  let bk = -1;
  let bpos = -1;
  let bkey = Infinity;
  let bdelta = Infinity;
  for (let k = 0; k < st.pr.m; k++) {
    if (!allowed(st.pr, j, k)) continue;
    const { delta, pos } = st.bestInsertion(k, j);
    const key = Math.max(cm, st.loads[k] + delta);
    if (key < bkey - EPS || (key < bkey + EPS && delta < bdelta - EPS)) {
      bkey = key;
      bdelta = delta;
      bk = k;
      bpos = pos;
    }
  }
  if (bk < 0) throw new Error(`job ${j} is not allowed on any line`);
  st.seqs[bk].splice(bpos, 0, j);
  st.loads[bk] += bdelta;
}

/** One first-improvement descent; returns when no improving move exists or the deadline passes. */
function descend(st: State, deadline: number, rand: () => number, hkMax = HK_MAX, window = WINDOW): void {
  const pr = st.pr;
  const m = pr.m;
  for (;;) {
    if (Date.now() > deadline) return;
    const cm = st.cmax();
    let moved = false;
    const lines = Array.from({ length: m }, (_, k) => k);
    // Start from critical lines, then the rest in random order.
    lines.sort((a, b) => st.loads[b] - st.loads[a] || rand() - 0.5);
    // 1. Inter-line insertion.
    outer: for (const a of lines) {
      if (pr.n > 500 && Date.now() > deadline) return;
      const critA = st.loads[a] >= cm - EPS;
      const seqA = st.seqs[a];
      for (let r = 0; r < seqA.length; r++) {
        const j = seqA[r];
        const newA = st.loads[a] + st.removeDelta(a, r);
        for (let b = 0; b < m; b++) {
          if (b === a || !allowed(pr, j, b)) continue;
          if (pr.p[j][b] + st.loads[b] >= cm - EPS) continue; // can never fit below Cmax
          const { delta, pos } = st.bestInsertion(b, j);
          const newB = st.loads[b] + delta;
          if (Math.max(newA, newB) < cm - EPS && (critA || newA + newB < st.loads[a] + st.loads[b] - EPS)) {
            seqA.splice(r, 1);
            st.seqs[b].splice(pos, 0, j);
            st.loads[a] = newA;
            st.loads[b] = newB;
            moved = true;
            break outer;
          }
        }
      }
    }
    if (moved) continue;
    // 2. Intra-line reinsertion (or-opt of one job) on every line.
    for (const a of lines) {
      if (improveLineOrder(st, a)) moved = true;
    }
    if (moved) continue;
    // 3. Inter-line swap (same positions).
    outer2: for (const a of lines) {
      if (pr.n > 500 && Date.now() > deadline) return;
      const critA = st.loads[a] >= cm - EPS;
      const seqA = st.seqs[a];
      for (let b = 0; b < m; b++) {
        if (b === a) continue;
        const critB = st.loads[b] >= cm - EPS;
        if (!critA && !critB && b < a) continue; // symmetric pair already seen
        const seqB = st.seqs[b];
        for (let r = 0; r < seqA.length; r++) {
          const j = seqA[r];
          if (!allowed(pr, j, b)) continue;
          for (let q = 0; q < seqB.length; q++) {
            const i = seqB[q];
            if (!allowed(pr, i, a)) continue;
            const newA = st.loads[a] + st.replaceDelta(a, r, i);
            if (newA >= cm - EPS) continue;
            const newB = st.loads[b] + st.replaceDelta(b, q, j);
            if (
              Math.max(newA, newB) < cm - EPS &&
              (critA || critB || newA + newB < st.loads[a] + st.loads[b] - EPS)
            ) {
              seqA[r] = i;
              seqB[q] = j;
              st.loads[a] = newA;
              st.loads[b] = newB;
              moved = true;
              break outer2;
            }
          }
        }
      }
    }
    if (moved) continue;
    // 4. Exact re-sequencing of small critical lines.
    for (const a of lines) {
      if (st.loads[a] < cm - EPS) break;
      if (st.seqs[a].length <= hkMax && st.seqs[a].length > 2) {
        const order = optimalLineOrder(pr, a, st.seqs[a]);
        const l = lineSpan(pr, a, order);
        if (l < st.loads[a] - EPS) {
          st.seqs[a] = order;
          st.loads[a] = l;
          moved = true;
        }
      } else if (st.seqs[a].length > hkMax && windowReorder(st, a, window)) moved = true;
    }
    if (!moved) return;
  }
}

/** Or-opt: moves blocks of 1–3 consecutive jobs within line a to their best position while that shortens the line. */
function improveLineOrder(st: State, a: number): boolean {
  const seq = st.seqs[a];
  const S = st.pr.setup[a];
  let any = false;
  let improved = true;
  while (improved) {
    improved = false;
    for (let len = 1; len <= 3; len++) {
      for (let r = 0; r + len <= seq.length; r++) {
        const first = seq[r];
        const last = seq[r + len - 1];
        const prev = r > 0 ? seq[r - 1] : -1;
        const next = r + len < seq.length ? seq[r + len] : -1;
        // removal gain
        let rem = 0;
        if (prev >= 0) rem -= S[prev][first];
        if (next >= 0) rem -= S[last][next];
        if (prev >= 0 && next >= 0) rem += S[prev][next];
        // best reinsertion among the other gaps of the reduced sequence
        let bestD = -rem - EPS;
        let bestPos = -1;
        const q = seq.length - len; // reduced length
        for (let g = 0; g <= q; g++) {
          if (g === r) continue; // original place
          const before = g > 0 ? (g - 1 < r ? seq[g - 1] : seq[g - 1 + len]) : -1;
          const after = g < q ? (g < r ? seq[g] : seq[g + len]) : -1;
          let d = 0;
          if (before >= 0) d += S[before][first];
          if (after >= 0) d += S[last][after];
          if (before >= 0 && after >= 0) d -= S[before][after];
          if (d < bestD) {
            bestD = d;
            bestPos = g;
          }
        }
        if (bestPos >= 0) {
          const block = seq.splice(r, len);
          seq.splice(bestPos, 0, ...block);
          st.loads[a] += rem + bestD;
          improved = true;
          any = true;
        }
      }
    }
  }
  return any;
}

/**
 * Exact re-ordering of windows of w consecutive jobs with the jobs around the window fixed
 * (Held–Karp with fixed entry/exit), sliding by w/2. Returns true if line a got shorter.
 */
function windowReorder(st: State, a: number, w: number): boolean {
  const seq = st.seqs[a];
  const S = st.pr.setup[a];
  if (seq.length < 3) return false;
  w = Math.min(w, seq.length);
  let any = false;
  const step = Math.max(1, Math.floor(w / 2));
  for (let r = 0; r + w <= seq.length; r += step) {
    const jobs = seq.slice(r, r + w);
    const prev = r > 0 ? seq[r - 1] : -1;
    const next = r + w < seq.length ? seq[r + w] : -1;
    const full = 1 << w;
    const dp = new Float64Array(full * w).fill(Infinity);
    const par = new Int8Array(full * w).fill(-1);
    for (let i = 0; i < w; i++) dp[(1 << i) * w + i] = prev >= 0 ? S[prev][jobs[i]] : 0;
    for (let mask = 1; mask < full; mask++)
      for (let last = 0; last < w; last++) {
        const v = dp[mask * w + last];
        if (v === Infinity) continue;
        const row = S[jobs[last]];
        for (let nx = 0; nx < w; nx++) {
          if (mask & (1 << nx)) continue;
          const idx = (mask | (1 << nx)) * w + nx;
          const val = v + row[jobs[nx]];
          if (val < dp[idx]) {
            dp[idx] = val;
            par[idx] = last;
          }
        }
      }
    let best = Infinity;
    let bl = -1;
    for (let i = 0; i < w; i++) {
      const v = dp[(full - 1) * w + i] + (next >= 0 ? S[jobs[i]][next] : 0);
      if (v < best) {
        best = v;
        bl = i;
      }
    }
    let cur = (prev >= 0 ? S[prev][jobs[0]] : 0) + (next >= 0 ? S[jobs[w - 1]][next] : 0);
    for (let i = 1; i < w; i++) cur += S[jobs[i - 1]][jobs[i]];
    if (best < cur - EPS) {
      const order: number[] = [];
      let mask = full - 1;
      let c = bl;
      while (c >= 0) {
        order.push(jobs[c]);
        const pv = par[mask * w + c];
        mask &= ~(1 << c);
        c = pv;
      }
      order.reverse();
      for (let i = 0; i < w; i++) seq[r + i] = order[i];
      st.loads[a] += best - cur;
      any = true;
    }
  }
  return any;
}

/**
 * Iterated greedy with local search until `deadline` (absolute time in ms, as Date.now()).
 * Returns the best sequences found; never worse than the input (an invalid input is replaced by a
 * construction). Deterministic for a given seed apart from where the deadline cuts the search.
 */
export function sequencingLocalSearch(
  problem: SequencingProblem,
  sequences: readonly (readonly number[])[] | null,
  deadline: number,
  options: LocalSearchOptions = {},
): number[][] {
  const rand = rng(options.seed ?? 1);
  const { n, m } = problem;
  const hkMax = options.tuning?.hkMax ?? HK_MAX;
  const win = options.tuning?.window ?? WINDOW;
  let start: number[][];
  if (sequences && validateSequences(problem, sequences).length === 0)
    start = sequences.map((s) => s.slice());
  else start = constructSequences(problem);
  if (n === 0) return start;
  const input = new State(problem, start);
  let cur = input.clone();
  descend(cur, deadline, rand, hkMax, win);
  // Also try our own construction when we were given a start.
  if (sequences && options.tryConstruction !== false) {
    const own = new State(problem, constructSequences(problem));
    descend(own, deadline, rand, hkMax, win);
    if (better(own, cur)) cur = own;
  }
  let best = cur.clone();
  if (better(best, input))
    options.onImprove?.(
      best.seqs.map((s) => s.slice()),
      best.cmax(),
    );
  const maxIt = options.maxIterations ?? Infinity;
  // Temperature: a fraction of the average processing time (Ruiz & Stützle style).
  let avgP = 0;
  let cnt = 0;
  for (let j = 0; j < n; j++)
    for (let k = 0; k < m; k++)
      if (allowed(problem, j, k)) {
        avgP += problem.p[j][k];
        cnt++;
      }
  avgP /= Math.max(1, cnt);
  const temperature = (options.tuning?.temperature ?? 0.1) * avgP;
  for (let it = 0; it < maxIt && Date.now() < deadline; it++) {
    const cand = cur.clone();
    const d = Math.min(
      n,
      2 + Math.floor(rand() * Math.min(options.tuning?.destroyMax ?? 5, Math.max(1, n / 8))),
    );
    const removed: number[] = [];
    // At least one job from a critical line.
    const cm = cand.cmax();
    const crit: number[] = [];
    for (let k = 0; k < m; k++) if (cand.loads[k] >= cm - EPS && cand.seqs[k].length > 0) crit.push(k);
    if (crit.length > 0) {
      const k = crit[Math.floor(rand() * crit.length)];
      const r = Math.floor(rand() * cand.seqs[k].length);
      removed.push(cand.seqs[k][r]);
      cand.seqs[k].splice(r, 1);
      cand.recompute(k);
    }
    while (removed.length < d) {
      const k = Math.floor(rand() * m);
      if (cand.seqs[k].length === 0) continue;
      const r = Math.floor(rand() * cand.seqs[k].length);
      removed.push(cand.seqs[k][r]);
      cand.seqs[k].splice(r, 1);
      cand.recompute(k);
    }
    for (const j of removed) insertGreedy(cand, j);
    descend(cand, deadline, rand, hkMax, win);
    const dc = cand.cmax() - cur.cmax();
    if (better(cand, cur) || dc <= EPS || rand() < Math.exp(-dc / temperature)) cur = cand;
    if (better(cur, best)) {
      best = cur.clone();
      options.onImprove?.(
        best.seqs.map((s) => s.slice()),
        best.cmax(),
      );
    }
  }
  const out = best.seqs.map((s) => s.slice());
  // Safety: never return worse than the (valid) input.
  if (makespan(problem, out) > makespan(problem, start) + EPS) return start;
  return out;
}
