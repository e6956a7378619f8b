/**
 * The solve that runs inside the worker thread (it blocks: HiGHS' run() and the local search are synchronous).
 * Given a loaded HiGHS module, it chooses between
 *  - the full MILP (small instances): a short iterated-greedy warm-up, then branch-and-cut warm-started with the
 *    best sequences, proving optimality when the time allows;
 *  - MILP-based large-neighbourhood search (large instances): an assignment-relaxation MIP for the lower bound,
 *    then alternating iterated greedy and sub-MILPs that re-optimise the critical line together with one or two
 *    other lines (all other lines fixed) until the deadline.
 */
import {
  combinatorialLowerBound,
  EPS,
  isIntegral,
  lineSpan,
  makespan,
  minSetupIntoAll,
  rng,
  validateSequences,
  type SequencingProblem,
} from './core';
import { constructSequences, sequencingLocalSearch } from './local-search';
import { buildSetPartitionModel, decodeSetPartition, SETPART_MAX_JOBS } from './setpart';
import { optimalLineOrder } from './local-search';
import {
  buildAssignmentRelaxation,
  buildModel,
  decodeSolution,
  warmStartVector,
  type ModelArrays,
} from './model';

export interface SolveInput {
  problem: SequencingProblem;
  warmStart: number[][] | null;
  timeLimitS: number;
  /** Absolute deadline (ms since epoch) fixed by the caller, so worker start-up counts against the budget. */
  deadlineMs?: number;
  seed?: number;
  /** Force a mode: 'full' = exact model (set partitioning when n ≤ 16, else the arc model), 'arc' = the arc
   * model, 'lns' = large-instance search; default: by model size. */
  mode?: 'full' | 'arc' | 'lns';
}

export interface SolveOutput {
  sequences: number[][];
  objective: number;
  bound: number;
  optimal: boolean;
  mode: 'full' | 'lns' | 'trivial';
  stats: { milpSolves: number; lnsImprovements: number; fullModelCols?: number; fullModelRows?: number };
}

export type SolveEvent =
  | { type: 'progress'; percent: number; incumbent: number | null; bound: number | null; message: string }
  | { type: 'incumbent'; sequences: number[][]; objective: number; bound: number };

/** Minimal structural view of the parts of the `highs` module we use (keeps the worker type-light). */
export interface HighsLike {
  createModel(data: ModelArrays): HighsModelLike;
  constants: {
    callbackType: { mipInterrupt: 6; mipImprovingSolution: 4 };
    modelStatus: { optimal: 7; infeasible: 8 };
  };
}
export interface HighsModelLike {
  options: { set(o: Record<string, unknown>): unknown };
  info: { get(name: string): unknown };
  setSolution(s: { colValue: Float64Array }): unknown;
  run(
    callbacks?: Record<number, (e: { data: Record<string, unknown>; interrupt?: () => void }) => undefined>,
  ): { modelStatus: number };
  getSolution(): { colValue: Float64Array };
  getObjectiveValue(): number;
  dispose(): void;
}

/** Arc count above which the full model is not attempted (n ≈ 20 on 5 lines, 15 on 10 lines). */
export const FULL_MODEL_MAX_ARCS = 2500;

export function fullModelArcs(problem: SequencingProblem): number {
  let arcs = 0;
  for (let k = 0; k < problem.m; k++) {
    let nk = 0;
    for (let j = 0; j < problem.n; j++) if (Number.isFinite(problem.p[j][k])) nk++;
    arcs += nk * nk;
  }
  return arcs;
}

interface MipResult {
  status: number;
  x: Float64Array | null;
  objective: number;
  dualBound: number;
}

function runMip(
  highs: HighsLike,
  arrays: ModelArrays,
  start: Float64Array | null,
  timeLimitS: number,
  seed: number,
  onTick?: (data: Record<string, unknown>) => void,
  extraOptions: Record<string, unknown> = {},
): MipResult {
  const model = highs.createModel(arrays);
  try {
    model.options.set({
      output_flag: false,
      time_limit: Math.max(0.01, timeLimitS),
      mip_rel_gap: 0,
      random_seed: seed % 2147483647,
      ...extraOptions,
    });
    if (start) {
      try {
        model.setSolution({ colValue: start });
      } catch {
        /* an unusable start only costs time */
      }
    }
    // Belt and braces: HiGHS checks time_limit itself, but also interrupt from the MIP callback once the
    // wall-clock limit has passed (some phases check the limit rarely on a loaded machine).
    const hardStop = Date.now() + Math.max(0.01, timeLimitS) * 1000 + 50;
    const callbacks: Record<
      number,
      (e: { data: Record<string, unknown>; interrupt?: () => void }) => undefined
    > = {
      [highs.constants.callbackType.mipInterrupt]: (e) => {
        onTick?.(e.data);
        if (Date.now() > hardStop) e.interrupt?.();
        return undefined;
      },
    };
    const r = model.run(callbacks);
    let x: Float64Array | null = null;
    let objective = Infinity;
    const primalStatus = Number(model.info.get('primal_solution_status'));
    if (primalStatus === 2) {
      x = model.getSolution().colValue;
      objective = model.getObjectiveValue();
    }
    const db = Number(model.info.get('mip_dual_bound'));
    return { status: r.modelStatus, x, objective, dualBound: Number.isFinite(db) ? db : -Infinity };
  } finally {
    model.dispose();
  }
}

export function runSequencingSolve(
  highs: HighsLike,
  input: SolveInput,
  emit: (e: SolveEvent) => void,
): SolveOutput {
  const t0 = Date.now();
  const { problem } = input;
  const seed = input.seed ?? 1;
  const deadline = input.deadlineMs ?? t0 + Math.max(0, input.timeLimitS) * 1000;
  const integral = isIntegral(problem);
  const roundBound = (b: number): number => (integral ? Math.ceil(b - 1e-6) : b);
  const stats: SolveOutput['stats'] = { milpSolves: 0, lnsImprovements: 0 };

  let best: number[][] =
    input.warmStart && validateSequences(problem, input.warmStart).length === 0
      ? input.warmStart.map((s) => s.slice())
      : constructSequences(problem);
  let bestObj = makespan(problem, best);
  let bound = combinatorialLowerBound(problem);
  const percent = (): number =>
    Math.min(100, Math.max(0, ((Date.now() - t0) / Math.max(1, deadline - t0)) * 100));
  const progress = (message: string): void =>
    emit({ type: 'progress', percent: percent(), incumbent: bestObj, bound, message });
  const offer = (seqs: number[][], source: string): boolean => {
    if (validateSequences(problem, seqs).length) return false;
    const obj = makespan(problem, seqs);
    if (obj < bestObj - EPS) {
      best = seqs.map((s) => s.slice());
      bestObj = obj;
      emit({ type: 'incumbent', sequences: best, objective: bestObj, bound });
      progress(`improved by ${source}`);
      return true;
    }
    return false;
  };
  const done = (mode: SolveOutput['mode']): SolveOutput => ({
    sequences: best,
    objective: bestObj,
    bound: Math.min(bound, bestObj),
    optimal: bestObj <= bound + EPS,
    mode,
    stats,
  });
  emit({ type: 'incumbent', sequences: best, objective: bestObj, bound });
  progress('start');
  if (problem.n === 0 || bestObj <= bound + EPS) return done('trivial');

  const forceArc = input.mode === 'arc';
  const mode =
    input.mode === 'arc'
      ? 'full'
      : (input.mode ?? (fullModelArcs(problem) <= FULL_MODEL_MAX_ARCS ? 'full' : 'lns'));
  let lastTick = 0;
  const tick = (data: Record<string, unknown>, what: string): void => {
    const now = Date.now();
    if (now - lastTick < 150) return;
    lastTick = now;
    emit({
      type: 'progress',
      percent: percent(),
      incumbent: bestObj,
      // The exact models are restricted to solutions below the incumbent, so their dual bound d proves
      // optimum ≥ min(incumbent, d). LNS sub-MILPs and the relaxation say nothing here.
      bound: Math.min(
        bestObj,
        Math.max(
          bound,
          Number.isFinite(Number(data.mip_dual_bound)) && mode === 'full'
            ? roundBound(Number(data.mip_dual_bound))
            : bound,
        ),
      ),
      message: what,
    });
  };

  if (mode === 'full') {
    // Warm-up: iterated greedy gives HiGHS a good incumbent/cutoff. Short before set partitioning (which
    // finds the optimum itself), longer before the arc model (whose own incumbent search is slow).
    const left = deadline - Date.now();
    const warm =
      problem.n <= SETPART_MAX_JOBS && !forceArc ? Math.min(200, 0.05 * left) : Math.min(3000, 0.25 * left);
    offer(sequencingLocalSearch(problem, best, Date.now() + warm, { seed }), 'local search');
    if (bestObj <= bound + EPS) return done('full');
    if (problem.n <= SETPART_MAX_JOBS && !forceArc) {
      // Set partitioning over line schedules cheaper than the incumbent: exact and very tight.
      const origObj = bestObj;
      const cap = integral ? bestObj - 1 : bestObj * (1 - 1e-9) - 1e-9;
      const sp = buildSetPartitionModel(
        problem,
        Array.from({ length: problem.n }, (_, j) => j),
        Array.from({ length: problem.m }, (_, k) => k),
        cap,
      );
      if (sp) {
        stats.fullModelCols = sp.arrays.numCols;
        stats.fullModelRows = sp.arrays.numRows;
        progress(`set-partitioning MILP: ${sp.columns} line schedules below ${cap}`);
        // Presolve (probing) costs more than it saves on these pure set-partitioning models.
        const r = runMip(
          highs,
          sp.arrays,
          null,
          (deadline - Date.now()) / 1000,
          seed,
          (d) => tick(d, 'branch and bound (set partitioning)'),
          { presolve: 'off' },
        );
        stats.milpSolves++;
        if (r.x) {
          const sets = decodeSetPartition(sp, r.x);
          offer(
            sets.map((set, k) => optimalLineOrder(problem, k, set)),
            'MILP',
          );
        }
        if (r.status === highs.constants.modelStatus.optimal)
          bound = Math.max(bound, Math.min(origObj, roundBound(r.objective)));
        else if (r.status === highs.constants.modelStatus.infeasible) bound = Math.max(bound, origObj);
        else if (Number.isFinite(r.dualBound))
          bound = Math.max(bound, Math.min(origObj, roundBound(r.dualBound)));
        progress(`set-partitioning MILP finished (status ${r.status})`);
        return done('full');
      }
    }
    const model = buildModel(problem, { cmaxLower: bound, cmaxUpper: bestObj });
    stats.fullModelCols = model.arrays.numCols;
    stats.fullModelRows = model.arrays.numRows;
    const remaining = (deadline - Date.now()) / 1000;
    progress(`full MILP: ${model.arrays.numCols} columns, ${model.arrays.numRows} rows`);
    const r = runMip(highs, model.arrays, warmStartVector(problem, model, best), remaining, seed, (d) =>
      tick(d, 'branch and cut'),
    );
    stats.milpSolves++;
    if (r.x) offer(decodeSolution(model, r.x), 'MILP');
    if (r.status === highs.constants.modelStatus.optimal)
      bound = Math.max(bound, roundBound(r.dualBound > -Infinity ? r.dualBound : r.objective));
    else if (r.status === highs.constants.modelStatus.infeasible)
      bound = Math.max(bound, bestObj); // nothing below the cutoff
    else bound = Math.max(bound, roundBound(r.dualBound));
    progress('full MILP finished');
    return done('full');
  }

  // ---- Large instances: a first iterated-greedy chunk (so a good incumbent exists early), the
  // assignment-relaxation bound, then IG + MILP-LNS until the deadline. ----
  const rand = rng(seed);
  const total = deadline - Date.now();
  offer(
    sequencingLocalSearch(problem, best, Date.now() + Math.max(200, Math.min(3000, total / 6)), {
      seed,
      onImprove: (s) => offer(s, 'iterated greedy'),
    }),
    'iterated greedy',
  );
  if (Date.now() < deadline - 100) {
    const sIn = minSetupIntoAll(problem);
    const rel = buildAssignmentRelaxation(problem, sIn, bound);
    const limit = Math.min(0.1 * total, 3000, deadline - Date.now() - 50) / 1000;
    progress('assignment relaxation bound');
    const r = runMip(highs, rel.arrays, null, limit, seed, (d) => tick(d, 'assignment relaxation'), {
      objective_bound: bestObj,
    });
    stats.milpSolves++;
    if (r.status === highs.constants.modelStatus.optimal) bound = Math.max(bound, roundBound(r.objective));
    else if (Number.isFinite(r.dualBound)) bound = Math.max(bound, roundBound(r.dualBound));
    progress('bound computed');
  }
  if (bestObj <= bound + EPS) return done('lns');
  let cur = best.map((s) => s.slice());
  const igChunk = Math.max(500, Math.min(4000, total / 6));
  const lnsLimit = Math.max(0.2, Math.min(1.5, total / 20000));
  let iteration = 0;
  while (Date.now() < deadline - 20 && bestObj > bound + EPS) {
    iteration++;
    cur = sequencingLocalSearch(problem, cur, Math.min(deadline, Date.now() + igChunk), {
      seed: seed + iteration,
      tryConstruction: false,
      onImprove: (s) => offer(s, 'iterated greedy'),
    });
    offer(cur, 'iterated greedy');
    if (Date.now() > deadline - 100) break;
    // LNS step: critical line + 1–2 partners, at most ~18 jobs.
    const loads = cur.map((s, k) => lineSpan(problem, k, s));
    const cm = Math.max(...loads);
    const crit = loads.map((l, k) => (l >= cm - EPS ? k : -1)).filter((k) => k >= 0);
    const c = crit[Math.floor(rand() * crit.length)];
    const others = loads.map((_, k) => k).filter((k) => k !== c);
    // prefer lightly loaded lines, with randomness
    others.sort((a, b) => loads[a] * (0.7 + 0.6 * rand()) - loads[b] * (0.7 + 0.6 * rand()));
    const lines = [c];
    let jobsCount = cur[c].length;
    for (const k of others) {
      if (lines.length >= 3) break;
      if (jobsCount + cur[k].length > SETPART_MAX_JOBS) continue;
      lines.push(k);
      jobsCount += cur[k].length;
    }
    lines.sort((a, b) => a - b);
    const jobs = lines.flatMap((k) => cur[k]);
    const oldMax = Math.max(...lines.map((k) => loads[k]));
    const oldSum = lines.reduce((s, k) => s + loads[k], 0);
    const limit = Math.min(lnsLimit, (deadline - Date.now()) / 1000 - 0.05);
    if (limit <= 0.05) break;
    const weight = 1 / (4 * lines.length * Math.max(1, oldSum));
    let sub: number[][] | null = null;
    // Exact sub-problem by set partitioning when small enough, else the arc model with a time limit.
    // Exact sub-problem by set partitioning; larger neighbourhoods are left to the iterated greedy
    // (arc-model sub-MILPs of 20+ jobs rarely improve within a sub-second limit).
    const sp =
      jobs.length <= SETPART_MAX_JOBS && lines.length >= 2
        ? buildSetPartitionModel(problem, jobs, lines, oldMax, 200000, weight)
        : null;
    if (sp) {
      const r = runMip(
        highs,
        sp.arrays,
        null,
        limit,
        seed + iteration,
        (d) => tick(d, 'LNS sub-MILP (set partitioning)'),
        { presolve: 'off' },
      );
      stats.milpSolves++;
      if (r.x) sub = decodeSetPartition(sp, r.x).map((set, kl) => optimalLineOrder(problem, lines[kl], set));
    }
    if (sub) {
      const cand = cur.map((s) => s.slice());
      lines.forEach((k, kl) => (cand[k] = sub[kl]));
      if (validateSequences(problem, cand).length === 0) {
        const newLoads = lines.map((k) => lineSpan(problem, k, cand[k]));
        const newMax = Math.max(...newLoads);
        const newSum = newLoads.reduce((s, v) => s + v, 0);
        if (newMax < oldMax - EPS || (newMax <= oldMax + EPS && newSum < oldSum - EPS)) {
          cur = cand;
          stats.lnsImprovements++;
          offer(cur, 'MILP-LNS');
        }
      }
    }
  }
  return done('lns');
}
