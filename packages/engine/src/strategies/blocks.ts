/**
 * The block model behind smart-pack (and the first stage of hybrid-pack / milp-opt).
 *
 * A solution is, per line, a list of blocks; a block is an ordered list of lots whose internal
 * length (Σ fill + Σ changeovers) fits the cleaning window. A line's load is Σ (clean + internal)
 * (minus one clean without initial_clean). This is exactly the packer's makespan when there are no
 * start windows and no downtime, and a good surrogate otherwise.
 *
 * Search: best-insertion construction (largest lots first, best fit, type grouping falls out of the
 * changeover costs), then iterated greedy: destroy (random lots, lots of the critical line, or a whole
 * block to empty it) and repair by best insertion over every block and line, with a simulated-annealing
 * acceptance; deterministic for a seed (the iteration count is fixed; the time limit only cuts it short).
 */
import { makeRng, type SolveContext } from '../context';
import { BREAK, LineSim, decode, evalLine, planOf, type Plan } from '../packer';
import { asWeights, linePenalty, planObjective, type SearchWeights } from './exact';
import type { Instance } from '../types';
import { binPackApplies, binPackPlan, longLotShare } from './binpack';
import { streamCutPlan } from './streamcut';
import { polish } from './polish';

interface Block {
  lots: number[];
  internal: number;
}

/** An undoable change: r = removal (bi = index of the block if it was dropped), i = insertion. */
interface UndoOp {
  t: 'r' | 'i';
  j: number;
  k: number;
  b: Block;
  p: number;
  delta: number;
  bi: number;
}

export interface BlockSearchOptions {
  iterations: number;
  seed: number;
  phase: string;
  /** percent range of the overall progress covered by this search */
  progressFrom: number;
  progressTo: number;
  /** restrict positions to block ends when the instance is large */
  fullPositions?: boolean;
  /**
   * Accept moves on exact packer evaluations of the lines they touch (start windows, downtime, due
   * dates) instead of the block-length surrogate. Default: when the instance has start windows or
   * downtime, or due dates and a positive weight.
   */
  exact?: boolean;
  /** objective weights, or the weight of priority-weighted tardiness against makespan (0 = makespan only) */
  weight?: number | SearchWeights;
  /** stop after this many iterations without improvement (default max(150, 8n)) */
  stall?: number;
  /** other complete plans (e.g. list schedules); the search starts from the best of these and its own construction */
  starts?: Plan[];
  /** elimination / eviction attempts of the dedicated bin packing (identical default lines) */
  binPackAttempts?: number;
  /** type orders the stream cut tries on small instances (streamcut.ts; it also stops at its work budget) */
  streamCutTrials?: number;
  /** skip the block construction (large instances: start from the best of `starts`) */
  skipConstruction?: boolean;
}

/** Whether packer timing (idle, downtime, tardiness) can differ from the block-length surrogate. */
export function needsExact(inst: Instance, weight: number | SearchWeights): boolean {
  const w = asWeights(weight);
  if (w.co > 0 || w.mk <= 0) return true;
  if (inst.lines.some((l) => l.downtime.length > 0)) return true;
  if (inst.lots.some((l) => (l.startWindow ?? 0) > 0)) return true;
  return w.wt > 0 && inst.lots.some((l) => l.endWindow !== null);
}

export class BlockModel {
  readonly n: number;
  readonly m: number;
  readonly C: number;
  readonly W: number;
  readonly ic: boolean;
  readonly fill: Float64Array;
  readonly type: Int32Array;
  private readonly tables: (Float64Array | null)[];
  readonly hasMatrix: boolean;
  private readonly T: number;
  private readonly same: number;
  private readonly diff: number;
  lines: Block[][];
  sumInternal: number[];
  where: (Block | null)[];
  lineOf: Int32Array;
  fullPositions: boolean;
  /** only the last block of each line is considered (used to finish a construction cut by the time limit) */
  fast = false;
  private readonly lambda: number;
  readonly minFill: Float64Array;
  /** undo log of remove/insert operations (null = not logging) */
  log: UndoOp[] | null = null;

  constructor(readonly inst: Instance) {
    this.n = inst.lots.length;
    this.m = inst.lines.length;
    this.C = inst.config.clean_hours;
    this.W = inst.config.window_hours ?? Infinity;
    this.ic = inst.config.initial_clean;
    this.fill = new Float64Array(this.n * this.m);
    this.type = new Int32Array(this.n);
    for (let j = 0; j < this.n; j++) {
      this.type[j] = inst.lots[j].typeIndex;
      for (let k = 0; k < this.m; k++) this.fill[j * this.m + k] = inst.lots[j].fill[k];
    }
    this.T = inst.types.length;
    this.tables = inst.lines.map((l) => (l.matrix >= 0 ? inst.matrices[l.matrix].hours : null));
    this.hasMatrix = this.tables.some((t) => t !== null);
    this.same = inst.config.changeover_same_hours;
    this.diff = inst.config.changeover_diff_hours;
    this.lines = inst.lines.map(() => []);
    this.sumInternal = inst.lines.map(() => 0);
    this.where = new Array(this.n).fill(null);
    this.lineOf = new Int32Array(this.n).fill(-1);
    this.fullPositions = this.n <= 2000;
    this.minFill = new Float64Array(this.n);
    for (let j = 0; j < this.n; j++) {
      let f = Infinity;
      for (let k = 0; k < this.m; k++) f = Math.min(f, this.fill[j * this.m + k]);
      this.minFill[j] = f;
    }
    this.lambda = 0.1 / this.m;
  }

  co(k: number, i: number, j: number): number {
    const a = this.type[i];
    const b = this.type[j];
    const t = this.tables[k];
    return t ? t[a * this.T + b] : a === b ? this.same : this.diff;
  }

  load(k: number): number {
    const nb = this.lines[k].length;
    return nb * this.C + this.sumInternal[k] - (!this.ic && nb > 0 ? this.C : 0);
  }

  cmax(): number {
    let c = 0;
    for (let k = 0; k < this.m; k++) c = Math.max(c, this.load(k));
    return c;
  }

  /** The true objective (makespan, then total load). */
  objective(): number {
    let c = 0;
    let s = 0;
    for (let k = 0; k < this.m; k++) {
      const l = this.load(k);
      c = Math.max(c, l);
      s += l;
    }
    return c + this.lambda * s;
  }

  /** The search objective (the true objective; kept separate so a search bias can be added). */
  searchObjective(): number {
    return this.objective();
  }

  remove(j: number): number {
    const b = this.where[j]!;
    const k = this.lineOf[j];
    const p = b.lots.indexOf(j);
    const L = b.lots;
    const prev = p > 0 ? L[p - 1] : -1;
    const next = p < L.length - 1 ? L[p + 1] : -1;
    let delta = this.fill[j * this.m + k];
    if (prev >= 0) delta += this.co(k, prev, j);
    if (next >= 0) delta += this.co(k, j, next);
    if (prev >= 0 && next >= 0) delta -= this.co(k, prev, next);
    L.splice(p, 1);
    b.internal -= delta;
    this.sumInternal[k] -= delta;
    let bi = -1;
    if (L.length === 0) {
      const bl = this.lines[k];
      bi = bl.indexOf(b);
      bl.splice(bi, 1);
    }
    if (this.log) this.log.push({ t: 'r', j, k, b, p, delta, bi });
    this.where[j] = null;
    this.lineOf[j] = -1;
    return k;
  }

  /** Best insertion of lot j over all lines, blocks and positions; returns the line used. */
  insertBest(j: number, onlyLine = -1): number {
    const m = this.m;
    // top two loads, for the makespan effect of adding to one line
    let top1 = -Infinity;
    let top2 = -Infinity;
    let topK = -1;
    for (let k = 0; k < m; k++) {
      const l = this.load(k);
      if (l > top1) {
        top2 = top1;
        top1 = l;
        topK = k;
      } else if (l > top2) top2 = l;
    }
    let bestScore = Infinity;
    let bestK = -1;
    let bestB: Block | null = null;
    let bestP = 0;
    let bestDelta = 0;
    const W = this.W;
    const lam = this.lambda;
    for (let k = 0; k < m; k++) {
      if (onlyLine >= 0 && k !== onlyLine) continue;
      const f = this.fill[j * m + k];
      if (!Number.isFinite(f)) continue;
      const L0 = this.load(k);
      const other = k === topK ? top2 : top1;
      const blocks = this.lines[k];
      for (let bi = this.fast ? Math.max(0, blocks.length - 1) : 0; bi < blocks.length; bi++) {
        const b = blocks[bi];
        const lots = b.lots;
        const len = lots.length;
        const room = W - b.internal - f;
        if (room < -1e-9) continue;
        const full = this.fullPositions || len <= 8;
        for (let p = 0; p <= len; p++) {
          if (!full && p !== 0 && p !== len) {
            p = len - 1;
            continue;
          }
          const prev = p > 0 ? lots[p - 1] : -1;
          const next = p < len ? lots[p] : -1;
          let d = f;
          if (prev >= 0) d += this.co(k, prev, j);
          if (next >= 0) d += this.co(k, j, next);
          if (prev >= 0 && next >= 0) d -= this.co(k, prev, next);
          if (b.internal + d > W + 1e-9) continue;
          const nl = L0 + d;
          const score = (nl > other ? nl : other) + lam * d;
          if (score < bestScore - 1e-12) {
            bestScore = score;
            bestK = k;
            bestB = b;
            bestP = p;
            bestDelta = d;
          }
        }
      }
      // a new block
      if (blocks.length === 0 || Number.isFinite(W)) {
        const needClean = this.ic || blocks.length > 0;
        const d = f + (needClean ? this.C : 0);
        const nl = L0 + d;
        const score = (nl > other ? nl : other) + lam * d;
        if (score < bestScore - 1e-12) {
          bestScore = score;
          bestK = k;
          bestB = null;
          bestP = 0;
          bestDelta = f;
        }
      }
    }
    if (bestK < 0) {
      if (onlyLine >= 0) return this.insertBest(j, -1);
      throw new Error(`lot ${this.inst.lots[j].id} fits no line`);
    }
    let created = -1;
    if (bestB === null) {
      bestB = { lots: [j], internal: bestDelta };
      created = this.newBlockIndex(bestK, j);
      this.lines[bestK].splice(created, 0, bestB);
    } else {
      bestB.lots.splice(bestP, 0, j);
      bestB.internal += bestDelta;
    }
    this.sumInternal[bestK] += bestDelta;
    this.where[j] = bestB;
    this.lineOf[j] = bestK;
    if (this.log) this.log.push({ t: 'i', j, k: bestK, b: bestB, p: bestP, delta: bestDelta, bi: created });
    return bestK;
  }

  /** Inserts lot j into block b (null = a new block) of line k at position p. */
  insertAt(j: number, k: number, b: Block | null, p: number): void {
    let created = -1;
    let delta: number;
    if (b === null) {
      delta = this.fill[j * this.m + k];
      b = { lots: [j], internal: delta };
      created = this.newBlockIndex(k, j);
      this.lines[k].splice(created, 0, b);
    } else {
      delta = this.insertDelta(k, b.lots, -1, j, p);
      b.lots.splice(p, 0, j);
      b.internal += delta;
    }
    this.sumInternal[k] += delta;
    this.where[j] = b;
    this.lineOf[j] = k;
    if (this.log) this.log.push({ t: 'i', j, k, b, p, delta, bi: created });
  }

  /**
   * Internal-length change when lot j is inserted at position p of `lots` with the element at
   * index `skip` left out (skip = -1: nothing left out).
   */
  insertDelta(k: number, lots: readonly number[], skip: number, j: number, p: number): number {
    const at = (i: number): number => (skip >= 0 && i >= skip ? lots[i + 1] : lots[i]);
    const len = lots.length - (skip >= 0 ? 1 : 0);
    const prev = p > 0 ? at(p - 1) : -1;
    const next = p < len ? at(p) : -1;
    let d = this.fill[j * this.m + k];
    if (prev >= 0) d += this.co(k, prev, j);
    if (next >= 0) d += this.co(k, j, next);
    if (prev >= 0 && next >= 0) d -= this.co(k, prev, next);
    return d;
  }

  /** Internal-length change when the element at index p of `lots` is removed. */
  removeDelta(k: number, lots: readonly number[], p: number): number {
    const j = lots[p];
    const prev = p > 0 ? lots[p - 1] : -1;
    const next = p < lots.length - 1 ? lots[p + 1] : -1;
    let d = this.fill[j * this.m + k];
    if (prev >= 0) d += this.co(k, prev, j);
    if (next >= 0) d += this.co(k, j, next);
    if (prev >= 0 && next >= 0) d -= this.co(k, prev, next);
    return d;
  }

  /** Best position for j in `lots` without index `skip`: [delta, position]. */
  bestPos(k: number, lots: readonly number[], skip: number, j: number): [number, number] {
    const len = lots.length - (skip >= 0 ? 1 : 0);
    let best = Infinity;
    let bp = 0;
    for (let p = 0; p <= len; p++) {
      const d = this.insertDelta(k, lots, skip, j, p);
      if (d < best - 1e-12) {
        best = d;
        bp = p;
      }
    }
    return [best, bp];
  }

  /** Undoes the logged operations (newest first) and clears the log. */
  undo(): void {
    const log = this.log;
    if (!log) return;
    for (let i = log.length - 1; i >= 0; i--) {
      const op = log[i];
      const { j, k, b, p, delta } = op;
      if (op.t === 'i') {
        b.lots.splice(p, 1);
        b.internal -= delta;
        this.sumInternal[k] -= delta;
        if (op.bi >= 0) this.lines[k].splice(op.bi, 1);
        this.where[j] = null;
        this.lineOf[j] = -1;
      } else {
        if (op.bi >= 0) this.lines[k].splice(op.bi, 0, b);
        b.lots.splice(p, 0, j);
        b.internal += delta;
        this.sumInternal[k] += delta;
        this.where[j] = b;
        this.lineOf[j] = k;
      }
    }
    log.length = 0;
  }

  /** Recomputes block lengths from scratch (removes accumulated float error). */
  recompute(): void {
    for (let k = 0; k < this.m; k++) {
      let s = 0;
      for (const b of this.lines[k]) {
        let x = 0;
        for (let i = 0; i < b.lots.length; i++) {
          x += this.fill[b.lots[i] * this.m + k];
          if (i > 0) x += this.co(k, b.lots[i - 1], b.lots[i]);
        }
        b.internal = x;
        s += x;
      }
      this.sumInternal[k] = s;
    }
  }

  /** Loads a plan (BREAK-separated blocks per line) into the model. */
  loadPlan(plan: Plan): void {
    this.lines = this.inst.lines.map(() => []);
    for (let k = 0; k < this.m; k++) {
      let cur: Block | null = null;
      for (const j of plan[k] ?? []) {
        if (j === BREAK) {
          cur = null;
          continue;
        }
        if (!cur) {
          cur = { lots: [], internal: 0 };
          this.lines[k].push(cur);
        }
        cur.lots.push(j);
        this.where[j] = cur;
        this.lineOf[j] = k;
      }
    }
    this.recompute();
  }

  /** Where a new block opened by lot j goes on line k: blocks stay ordered by the start window of their first lot. */
  newBlockIndex(k: number, j: number): number {
    const rel = this.inst.lots[j].startWindow ?? 0;
    const blocks = this.lines[k];
    if (rel <= 0 || blocks.length === 0) return blocks.length;
    let i = blocks.length;
    while (i > 0 && (this.inst.lots[blocks[i - 1].lots[0]].startWindow ?? 0) > rel) i--;
    return i;
  }

  /** A line's sequence: its blocks in order, BREAK between blocks. */
  lineSeq(k: number): number[] {
    const blocks = this.lines[k];
    const seq: number[] = [];
    for (const b of blocks) {
      if (seq.length > 0) seq.push(BREAK);
      for (const j of b.lots) seq.push(j);
    }
    return seq;
  }

  toPlan(): Plan {
    return this.lines.map((_, k) => this.lineSeq(k));
  }

  construct(order: number[]): void {
    for (const j of order) this.insertBest(j);
  }
}

/** Iterated greedy over the block model. Returns the best plan found and its surrogate makespan. */
export async function blockSearch(
  inst: Instance,
  ctx: SolveContext,
  opts: BlockSearchOptions,
  start?: Plan,
): Promise<{ plan: Plan; makespan: number; iterations: number }> {
  const model = new BlockModel(inst);
  if (opts.fullPositions !== undefined) model.fullPositions = opts.fullPositions;
  const n = model.n;
  const m = model.m;
  const rng = makeRng(opts.seed);
  const span = opts.progressTo - opts.progressFrom;
  const weight = asWeights(opts.weight ?? 0);
  const startPlans = [...(start ? [start] : []), ...(opts.starts ?? [])];
  let bpPlan: Plan | null = null;
  let bpRegime = false;
  let scAtBound = false;
  const makespanOnly = weight.mk === 1 && weight.wt === 0 && weight.co === 0;
  if (!start && !(opts.skipConstruction && startPlans.length > 0)) {
    // identical default lines without timing constraints: the dedicated bin packing (checked below
    // by exact packer evaluation like every other start). When at least a quarter of the lots need a
    // block of their own and there are over 300 lots, it replaces the slower best-insertion
    // construction and the iterated greedy after it is short; otherwise both starts compete.
    // small instances: the stream cut fills blocks by subset sums (one block fewer on 100-lot
    // families); at the lower bound (makespan only) it is optimal and the other starts are skipped
    const scPlan = streamCutPlan(inst, {
      seed: opts.seed,
      trials: opts.streamCutTrials ?? 200,
      shouldStop: () => ctx.expired(),
    });
    if (scPlan) {
      startPlans.push(scPlan);
      scAtBound = makespanOnly && decode(inst, scPlan).makespan <= ctx.lowerBound + 1e-7;
    }
    if (binPackApplies(inst) && !scAtBound && !ctx.expired()) {
      bpRegime = longLotShare(inst) >= 0.25;
      bpPlan = binPackPlan(inst, {
        seed: opts.seed,
        attempts: opts.binPackAttempts ?? 24,
        shouldStop: () => ctx.expired(),
      });
      if (bpPlan) startPlans.push(bpPlan);
      await ctx.checkpoint(opts.phase, opts.progressFrom + span * 0.1, 'block packing');
    }
  }
  if (
    !start &&
    !scAtBound &&
    !(opts.skipConstruction && startPlans.length > 0) &&
    !(bpPlan && bpRegime && n > 300)
  ) {
    const minFill = model.minFill;
    const order = Array.from({ length: n }, (_, j) => j).sort(
      (a, b) => minFill[b] - minFill[a] || model.type[a] - model.type[b] || a - b,
    );
    for (let i = 0; i < n; i++) {
      model.insertBest(order[i]);
      if (ctx.due()) {
        if (ctx.expired()) model.fast = true; // finish quickly: a complete schedule is always returned
        await ctx.checkpoint(opts.phase, opts.progressFrom + (span * 0.2 * i) / n, 'constructing');
      }
    }
    startPlans.unshift(model.toPlan());
  }
  model.fast = false;
  // start from the best candidate (exact evaluation)
  let bestStart = startPlans[0];
  if (startPlans.length > 1) {
    let bestVal = Infinity;
    for (const p of startPlans) {
      const v = planObjective(inst, p, weight);
      if (v < bestVal) {
        bestVal = v;
        bestStart = p;
      }
    }
  }
  const startDecoded = decode(inst, bestStart);
  if (opts.stall === undefined && m === 1 && makespanOnly && bpRegime && bestStart === bpPlan) {
    // one line, makespan only, the dedicated packing's result in its regime: the block model's
    // objective is then exactly the packing's cost (cleans + block lengths), which its elimination
    // chains and regrouping descent already took to a local optimum of stronger moves than the
    // greedy's re-insertions and the polish' relocations and swaps. On lots_large.csv and 60
    // instances like it (300–1,000 lots, 2–12 types, one line) neither ever improved it, and they
    // were two thirds of smart-pack's time there. (On several lines they do: they balance the lines.)
    ctx.noteBest(startDecoded.makespan);
    return { plan: planOf(inst, startDecoded), makespan: startDecoded.makespan, iterations: 0 };
  }
  model.loadPlan(planOf(inst, startDecoded));
  const exact = opts.exact ?? needsExact(inst, weight);
  const exEnd = new Float64Array(m);
  const exWt = new Float64Array(m);
  const sims = inst.lines.map((_, k) => new LineSim(inst, k));
  const evalExact = (k: number): void => {
    const r = evalLine(inst, k, model.lineSeq(k), sims[k]);
    exEnd[k] = r.end;
    exWt[k] = linePenalty(weight, r);
  };
  const lam = 0.1 / m;
  const exactObj = (): number => {
    let c = 0;
    let w = 0;
    let sum = 0;
    for (let k = 0; k < m; k++) {
      if (exEnd[k] > c) c = exEnd[k];
      w += exWt[k];
      sum += exEnd[k];
    }
    return weight.mk * c + w + lam * sum;
  };
  const exactMk = (): number => {
    let c = 0;
    for (let k = 0; k < m; k++) if (exEnd[k] > c) c = exEnd[k];
    return c;
  };
  if (exact) for (let k = 0; k < m; k++) evalExact(k);
  const searchF = (): number => (exact ? exactObj() : model.searchObjective());
  const trueF = (): number => (exact ? exactObj() : model.objective());
  const mkNow = (): number => (exact ? exactMk() : model.cmax());
  const fullObj = (): number => {
    if (exact) for (let k = 0; k < m; k++) evalExact(k);
    return trueF();
  };
  let curF = searchF();
  let bestObj = trueF();
  let best = model.toPlan();
  let bestMk = mkNow();
  ctx.noteBest(bestMk);
  let avgFill = 0;
  let cnt = 0;
  for (let j = 0; j < n; j++)
    for (let k = 0; k < m; k++) {
      const f = model.fill[j * m + k];
      if (Number.isFinite(f)) {
        avgFill += f;
        cnt++;
      }
    }
  avgFill = cnt > 0 ? avgFill / cnt : 1;
  const temp = Math.max(1e-6, 0.05 * avgFill);
  const iters = n <= 1 ? 0 : opts.iterations;
  const blocksAllowed = Number.isFinite(model.W);
  const removed: number[] = [];
  model.log = [];
  let it = 0;
  const uniq: number[] = [];
  const mark = new Int32Array(n);
  // stop after a long stretch without improvement (deterministic)
  // (a start from the dedicated packing in its regime is a local optimum of stronger moves: shorter)
  const stall = opts.stall ?? (bpRegime && bestStart === bpPlan ? 150 : Math.max(150, 8 * n));
  let lastImprove = 0;
  // makespan only: a schedule at the lower bound is optimal, nothing left to search
  const atBound = (): boolean =>
    weight.mk === 1 && weight.wt === 0 && weight.co === 0 && bestMk <= ctx.lowerBound + 1e-7;
  for (; it < iters; it++) {
    if (it - lastImprove > stall || atBound()) break;
    if (ctx.due()) {
      if (ctx.expired()) break;
      await ctx.checkpoint(
        opts.phase,
        opts.progressFrom + span * (0.2 + (0.8 * it) / iters),
        `iteration ${it}/${iters}`,
      );
    }
    removed.length = 0;
    model.log.length = 0;
    // critical line
    let crit = 0;
    for (let k = 1; k < m; k++) if (model.load(k) > model.load(crit)) crit = k;
    const r = rng();
    if (blocksAllowed && r < 0.35) {
      // empty a (small) block of the critical line, or of any line
      const k = rng() < 0.7 ? crit : Math.floor(rng() * m);
      const bl = model.lines[k];
      if (bl.length > 0) {
        let b = bl[Math.floor(rng() * bl.length)];
        const b2 = bl[Math.floor(rng() * bl.length)];
        if (b2.internal < b.internal) b = b2;
        removed.push(...b.lots);
      }
      if (rng() < 0.9) {
        // make room: also take the smallest lot out of a few other blocks of that line
        const K = 2 + Math.floor(rng() * 6);
        for (let e = 0; e < K && bl.length > 0; e++) {
          const ob = bl[Math.floor(rng() * bl.length)];
          if (ob.lots.length < 2) continue;
          let sj = ob.lots[0];
          for (const j of ob.lots) if (model.minFill[j] < model.minFill[sj]) sj = j;
          removed.push(sj);
        }
      } else {
        const extra = Math.floor(rng() * 3);
        for (let e = 0; e < extra; e++) removed.push(Math.floor(rng() * n));
      }
    } else {
      const d = 2 + Math.floor(rng() * 4);
      const fromCrit = m > 1 && rng() < 0.6;
      const critLots: number[] = [];
      if (fromCrit) for (const b of model.lines[crit]) critLots.push(...b.lots);
      for (let e = 0; e < d; e++) {
        if (fromCrit && critLots.length > 0) removed.push(critLots[Math.floor(rng() * critLots.length)]);
        else removed.push(Math.floor(rng() * n));
      }
    }
    // dedupe
    uniq.length = 0;
    for (const j of removed) {
      if (mark[j] === it + 1) continue;
      mark[j] = it + 1;
      uniq.push(j);
    }
    if (uniq.length === 0) continue;
    for (const j of uniq) model.remove(j);
    // largest first (random order among equal sizes)
    for (let a = uniq.length - 1; a > 0; a--) {
      const b = Math.floor(rng() * (a + 1));
      const t = uniq[a];
      uniq[a] = uniq[b];
      uniq[b] = t;
    }
    uniq.sort((a, b) => model.minFill[b] - model.minFill[a]);
    for (const j of uniq) model.insertBest(j);
    let savedEx: Array<[number, number, number]> | null = null;
    if (exact) {
      savedEx = [];
      for (const op of model.log) {
        if (savedEx.some((x) => x[0] === op.k)) continue;
        savedEx.push([op.k, exEnd[op.k], exWt[op.k]]);
        evalExact(op.k);
      }
    }
    const f = searchF();
    if (f < curF - 1e-9 || rng() < Math.exp(-(f - curF) / temp)) {
      curF = f;
      const obj = trueF();
      if (obj < bestObj - 1e-9) {
        bestObj = obj;
        best = model.toPlan();
        bestMk = mkNow();
        ctx.noteBest(bestMk);
        lastImprove = it;
      }
    } else {
      model.undo();
      if (savedEx)
        for (const [k, e, w] of savedEx) {
          exEnd[k] = e;
          exWt[k] = w;
        }
    }
    if ((it & 1023) === 1023) {
      model.recompute();
      curF = searchF();
    }
  }
  model.log = null;
  // regroup types on the best solution (feasible descent on changeover time)
  if (n > 1 && !ctx.expired()) {
    model.loadPlan(best);
    if (polish(model, n, () => ctx.expired()) > 0) {
      const obj = fullObj();
      if (obj < bestObj - 1e-9) {
        bestObj = obj;
        best = model.toPlan();
        bestMk = mkNow();
        ctx.noteBest(bestMk);
      }
    }
  }
  return { plan: best, makespan: bestMk, iterations: it };
}
