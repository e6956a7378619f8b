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

/** Lots per type (index = type index). */
function typeCounts(inst: Instance): number[] {
  const c = inst.types.map(() => 0);
  for (const l of inst.lots) c[l.typeIndex]++;
  return c;
}

/**
 * Shortest first within each type, the types with the most lots first (the window-fit rule then
 * fills a block with one type's short lots before it switches type).
 */
export function sptByTypeOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  const c = typeCounts(inst);
  const t = (j: number): number => inst.lots[j].typeIndex;
  return inst.lots.map((_, j) => j).sort((a, b) => c[t(b)] - c[t(a)] || t(a) - t(b) || f[a] - f[b] || a - b);
}

/** Longest first within each type, the types with the most lots first. */
export function lptByTypeOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  const c = typeCounts(inst);
  const t = (j: number): number => inst.lots[j].typeIndex;
  return inst.lots.map((_, j) => j).sort((a, b) => c[t(b)] - c[t(a)] || t(a) - t(b) || f[b] - f[a] || a - b);
}

/**
 * Critical first: higher priority, then earlier due date, then earlier release; among equally
 * critical lots, the types with the most lots first and longer lots first within a type.
 */
export function cfsOrder(inst: Instance): number[] {
  const f = inst.lots.map((_, j) => minFill(inst, j));
  const c = typeCounts(inst);
  const t = (j: number): number => inst.lots[j].typeIndex;
  const due = (j: number): number => inst.lots[j].endWindow ?? Infinity;
  const rel = (j: number): number => inst.lots[j].startWindow ?? 0;
  return inst.lots
    .map((_, j) => j)
    .sort(
      (a, b) =>
        inst.lots[b].priority - inst.lots[a].priority ||
        due(a) - due(b) ||
        rel(a) - rel(b) ||
        c[t(b)] - c[t(a)] ||
        t(a) - t(b) ||
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
