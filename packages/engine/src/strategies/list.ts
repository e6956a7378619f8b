/** List-scheduling heuristics: LPT, SPT and critical-first (priority, then due date). */
import type { SolveContext } from '../context';
import { LineSim, type Plan } from '../packer';
import type { Instance } from '../types';

export function minFill(inst: Instance, j: number): number {
  let f = Infinity;
  for (const x of inst.lots[j].fill) if (x < f) f = x;
  return f;
}

/**
 * Appends lots in the given order, each to the line where it finishes earliest (ties: the line
 * whose last lot has the same type, then the lowest line number).
 */
export async function listSchedule(
  inst: Instance,
  order: number[],
  ctx: SolveContext,
  phase: string,
): Promise<Plan> {
  const sims = inst.lines.map((_, k) => new LineSim(inst, k));
  const plan: Plan = inst.lines.map(() => []);
  for (let i = 0; i < order.length; i++) {
    const j = order[i];
    let bestK = -1;
    let bestFe = Infinity;
    for (let k = 0; k < sims.length; k++) {
      const fe = sims[k].evaluate(j, false);
      if (
        fe < bestFe - 1e-9 ||
        (fe < bestFe + 1e-9 &&
          bestK >= 0 &&
          sims[k].lastType === inst.lots[j].typeIndex &&
          sims[bestK].lastType !== inst.lots[j].typeIndex)
      ) {
        bestFe = fe;
        bestK = k;
      }
    }
    sims[bestK].evaluate(j, false);
    sims[bestK].commit(j);
    plan[bestK].push(j);
    if (ctx.due()) await ctx.checkpoint(phase, (100 * i) / order.length);
  }
  return plan;
}

export function lptOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  return inst.lots.map((_, j) => j).sort((a, b) => f[b] - f[a] || a - b);
}

export function sptOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  return inst.lots.map((_, j) => j).sort((a, b) => f[a] - f[b] || a - b);
}

/** Critical first: higher priority, then earlier due date, then earlier release, then longer lot. */
export function cfsOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  const due = (j: number): number => inst.lots[j].endWindow ?? Infinity;
  const rel = (j: number): number => inst.lots[j].startWindow ?? 0;
  return inst.lots
    .map((_, j) => j)
    .sort(
      (a, b) =>
        inst.lots[b].priority - inst.lots[a].priority ||
        due(a) - due(b) ||
        rel(a) - rel(b) ||
        f[b] - f[a] ||
        a - b,
    );
}

/** Release order: earliest start window first, lots of a type together, longer lots first. */
export function releaseOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  const rel = (j: number): number => inst.lots[j].startWindow ?? 0;
  return inst.lots
    .map((_, j) => j)
    .sort(
      (a, b) => rel(a) - rel(b) || inst.lots[a].typeIndex - inst.lots[b].typeIndex || f[b] - f[a] || a - b,
    );
}
