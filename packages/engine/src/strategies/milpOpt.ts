/**
 * milp-opt: the best heuristic schedule, then the sequencing MILP (src/milp, HiGHS in a worker
 * thread) warm-started from it; the MILP's sequences are decoded by the packer (which adds cleans,
 * windows, idle and downtime) and the better schedule wins, so milp-opt is never worse than the
 * heuristic it started from.
 */
import type { SolveContext } from '../context';
import { changeover } from '../input';
import { BREAK, decode, type Plan } from '../packer';
import type { Instance } from '../types';

interface SequencingProblem {
  n: number;
  m: number;
  p: number[][];
  setup: number[][][];
}
interface MilpModule {
  solveSequencingMilp(
    problem: SequencingProblem,
    warmStart: number[][],
    options: {
      timeLimitS: number;
      signal?: AbortSignal;
      onProgress?: (p: {
        percent: number;
        incumbent: number | null;
        bound: number | null;
        message: string;
      }) => void;
      seed?: number;
    },
  ): Promise<{ sequences: number[][]; objective: number; bound: number; optimal: boolean }>;
}

/** Largest instance handed to the MILP (n² · m setup variables). */
export const MILP_MAX_LOTS = 200;
const MILP_MAX_CELLS = 2_000_000;

export function loadMilp(): MilpModule | null {
  try {
    const mod = require('../milp') as Partial<MilpModule>;
    return typeof mod.solveSequencingMilp === 'function' ? (mod as MilpModule) : null;
  } catch {
    return null;
  }
}

export function toSequencingProblem(inst: Instance): SequencingProblem {
  const n = inst.lots.length;
  const m = inst.lines.length;
  const p = inst.lots.map((l) => l.fill.slice());
  const setup: number[][][] = [];
  for (let k = 0; k < m; k++) {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = new Array<number>(n);
      for (let j = 0; j < n; j++)
        row[j] = i === j ? 0 : changeover(inst, k, inst.lots[i].typeIndex, inst.lots[j].typeIndex);
      rows.push(row);
    }
    setup.push(rows);
  }
  return { n, m, p, setup };
}

/** Whether the MILP's bound (sequencing without cleaning) is a valid makespan bound for the instance. */
export function milpBoundValid(inst: Instance): boolean {
  if (inst.config.window_hours === null) return true;
  const C = inst.config.clean_hours;
  const T = inst.types.length;
  for (let k = 0; k < inst.lines.length; k++)
    for (let a = 0; a < T; a++)
      for (let b = 0; b < T; b++) if (changeover(inst, k, a, b) > C + 1e-12) return false;
  return true;
}

export interface MilpOutcome {
  plan: Plan;
  bound: number | null;
  optimal: boolean;
  message: string;
}

export async function runMilp(
  inst: Instance,
  ctx: SolveContext,
  heuristic: Plan,
  seed: number,
  signal?: AbortSignal,
): Promise<MilpOutcome> {
  const n = inst.lots.length;
  const m = inst.lines.length;
  if (n > MILP_MAX_LOTS || n * n * m > MILP_MAX_CELLS) {
    return {
      plan: heuristic,
      bound: null,
      optimal: false,
      message: `instance too large for the MILP (${n} lots); heuristic result`,
    };
  }
  const mod = loadMilp();
  if (!mod)
    return {
      plan: heuristic,
      bound: null,
      optimal: false,
      message: 'MILP module unavailable; heuristic result',
    };
  const budget = ctx.remainingS() - 0.15;
  if (budget < 0.2)
    return { plan: heuristic, bound: null, optimal: false, message: 'no time left for the MILP' };
  const problem = toSequencingProblem(inst);
  const warm = heuristic.map((s) => s.filter((j) => j !== BREAK));
  let res: Awaited<ReturnType<MilpModule['solveSequencingMilp']>>;
  try {
    res = await mod.solveSequencingMilp(problem, warm, {
      timeLimitS: budget,
      signal,
      seed,
      onProgress: (p) => {
        ctx.percent = Math.max(ctx.percent, 40 + 0.58 * p.percent);
        ctx.report(
          'milp',
          ctx.percent,
          p.message + (p.bound !== null ? ` (bound ${Math.round(p.bound * 100) / 100})` : ''),
        );
      },
    });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' || ctx.aborted) throw e;
    return {
      plan: heuristic,
      bound: null,
      optimal: false,
      message: `MILP failed (${(e as Error)?.message}); heuristic result`,
    };
  }
  const plan: Plan = inst.lines.map((_, k) => (res.sequences[k] ?? []).slice());
  // sanity: every lot once, on an allowed line
  const seen = new Uint8Array(n);
  let valid = res.sequences.length === m;
  for (let k = 0; k < m && valid; k++)
    for (const j of plan[k]) {
      if (!Number.isInteger(j) || j < 0 || j >= n || seen[j] || !Number.isFinite(inst.lots[j].fill[k]))
        valid = false;
      else seen[j] = 1;
    }
  if (!valid || seen.some((x) => x === 0))
    return {
      plan: heuristic,
      bound: null,
      optimal: false,
      message: 'MILP returned an invalid solution; heuristic result',
    };
  const hd = decode(inst, heuristic);
  const md = decode(inst, plan);
  const better =
    md.makespan < hd.makespan - 1e-9 ||
    (Math.abs(md.makespan - hd.makespan) <= 1e-9 && md.weightedTardiness < hd.weightedTardiness);
  let bound: number | null = null;
  if (milpBoundValid(inst) && Number.isFinite(res.bound))
    bound = res.bound + (inst.config.initial_clean ? inst.config.clean_hours : 0);
  return {
    plan: better ? plan : heuristic,
    bound,
    optimal: res.optimal,
    message: `${res.optimal ? 'optimal sequencing' : 'MILP stopped'}; objective ${Math.round(res.objective * 100) / 100}, bound ${Math.round(res.bound * 100) / 100}; ${better ? 'MILP schedule' : 'heuristic schedule kept'}`,
  };
}
