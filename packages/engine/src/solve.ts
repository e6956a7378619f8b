import { SolveContext, abortError } from './context';
import { lowerBound } from './lowerBound';
import { explain } from './explain';
import { decode, planOf, type Plan } from './packer';
import { solveReplan, tardinessWeightOf } from './replan';
import { buildResult } from './result';
import { blockSearch, needsExact } from './strategies/blocks';
import { exactSearch, planObjective } from './strategies/exact';
import { cfsOrder, listSchedule, lptOrder, releaseOrder, sptOrder } from './strategies/list';
import { runMilp } from './strategies/milpOpt';
import { isStrategyId, type Instance, type SolveOptions, type SolveOutput, type StrategyId } from './types';

/** Above this many lots, window-aware searches start from list schedules instead of the block construction. */
const LARGE = 3000;

/** Deterministic work budgets (iterations), scaled to the instance size. */
export function budgets(inst: Instance): { smart: number; hybridBlocks: number; hybridExact: number } {
  const n = inst.lots.length;
  if (n <= 2000) {
    // fixed iteration counts (determinism), shrinking per lot as every iteration gets dearer
    return {
      smart: Math.round(Math.min(40_000, 2_000 + 60 * n, Math.max(3_000, 6_000_000 / n))),
      hybridBlocks: Math.round(Math.min(120_000, 6_000 + 150 * n, Math.max(6_000, 20_000_000 / n))),
      hybridExact: Math.round(Math.min(60_000, 2_000 + 40 * n, Math.max(2_000, 20_000_000 / n))),
    };
  }
  return {
    smart: Math.max(50, Math.round(1_000_000 / n)),
    hybridBlocks: Math.max(100, Math.round(2_000_000 / n)),
    hybridExact: Math.max(200, Math.round(20_000_000 / n)),
  };
}

async function runStrategy(
  inst: Instance,
  strategy: StrategyId,
  ctx: SolveContext,
  seed: number,
  signal?: AbortSignal,
): Promise<{ plan: Plan; bound: number | null; note: string }> {
  const b = budgets(inst);
  const w = inst.config.priority_weight;
  switch (strategy) {
    case 'lpt-pack':
      return {
        plan: await listSchedule(inst, lptOrder(inst), ctx, 'lpt'),
        bound: null,
        note: 'longest lots first, earliest-finishing line',
      };
    case 'spt-pack':
      return {
        plan: await listSchedule(inst, sptOrder(inst), ctx, 'spt'),
        bound: null,
        note: 'shortest lots first, earliest-finishing line',
      };
    case 'cfs-pack':
      return {
        plan: await listSchedule(inst, cfsOrder(inst), ctx, 'cfs'),
        bound: null,
        note: 'highest priority, then earliest due date first',
      };
    case 'smart-pack': {
      const exact = needsExact(inst, 0);
      const starts = exact
        ? [
            await listSchedule(inst, releaseOrder(inst), ctx, 'smart-pack'),
            ...(inst.lots.length > LARGE
              ? []
              : [await listSchedule(inst, lptOrder(inst), ctx, 'smart-pack')]),
          ]
        : [];
      const r = await blockSearch(inst, ctx, {
        iterations: b.smart,
        seed,
        phase: 'smart-pack',
        progressFrom: 0,
        progressTo: 95,
        starts,
        skipConstruction: exact && inst.lots.length > LARGE,
      });
      return { plan: r.plan, bound: null, note: `block packing, ${r.iterations} iterated-greedy steps` };
    }
    case 'hybrid-pack':
      return {
        plan: await hybrid(inst, ctx, seed, w, b, 0, 95),
        bound: null,
        note: 'block packing + list heuristics + exact local search',
      };
    case 'milp-opt': {
      const heur = await hybrid(inst, ctx, seed, w, b, 0, 40);
      const r = await runMilp(inst, ctx, heur, seed, signal);
      return { plan: r.plan, bound: r.bound, note: r.message };
    }
  }
}

async function hybrid(
  inst: Instance,
  ctx: SolveContext,
  seed: number,
  w: number,
  b: ReturnType<typeof budgets>,
  from: number,
  to: number,
): Promise<Plan> {
  const span = to - from;
  const exact = needsExact(inst, w);
  const starts = [
    await listSchedule(inst, cfsOrder(inst), ctx, 'hybrid: critical first'),
    await listSchedule(inst, releaseOrder(inst), ctx, 'hybrid: release order'),
    ...(inst.lots.length > LARGE ? [] : [await listSchedule(inst, lptOrder(inst), ctx, 'hybrid: lpt')]),
  ];
  // a few independent restarts on small instances (the iterated greedy's result varies with the seed)
  const n = inst.lots.length;
  const restarts = n <= 50 ? 6 : n <= 200 ? 3 : 1;
  let blocks: { plan: Plan } | null = null;
  let blocksObj = Infinity;
  for (let r = 0; r < restarts; r++) {
    const res = await blockSearch(inst, ctx, {
      iterations: b.hybridBlocks,
      seed: seed + 1 + 7919 * r,
      phase: 'hybrid: block packing',
      weight: w,
      stall: Math.max(2000, 30 * n),
      progressFrom: from + (span * 0.6 * r) / restarts,
      progressTo: from + (span * 0.6 * (r + 1)) / restarts,
      starts,
      skipConstruction: exact && n > LARGE,
    });
    const o = planObjective(inst, res.plan, w);
    if (o < blocksObj) {
      blocksObj = o;
      blocks = res;
    }
    if (ctx.expired()) break;
  }
  if (!blocks) throw new Error('no block search result');
  if (ctx.expired()) return blocks.plan;
  const best = blocks.plan;
  const start = planOf(inst, decode(inst, best));
  return exactSearch(inst, ctx, start, {
    iterations: b.hybridExact,
    seed: seed + 2,
    phase: 'hybrid: local search',
    progressFrom: from + span * 0.6,
    progressTo: to,
    weight: w,
  });
}

/**
 * Runs one strategy. Resolves with the best schedule found within the time limit; rejects with an
 * Error named 'AbortError' when options.signal aborts.
 */
export async function solve(instance: Instance, options: SolveOptions): Promise<SolveOutput> {
  const t0 = performance.now();
  if (!isStrategyId(options.strategy)) throw new Error(`unknown strategy '${String(options.strategy)}'`);
  if (options.signal?.aborted) throw abortError();
  if (instance.replan) return solveReplan(instance, options);
  const strategy = options.strategy;
  const timeLimit = options.timeLimitS ?? instance.config.time_limit_s;
  const seed = (options.seed ?? instance.config.seed) >>> 0;
  const lb0 = lowerBound(instance);
  const ctx = new SolveContext(timeLimit > 0 ? timeLimit : 1, lb0, options.signal, options.onProgress);
  ctx.report('starting', 0, `${strategy} on ${instance.lots.length} lots, ${instance.lines.length} line(s)`);
  let plan: Plan;
  let bound: number | null = null;
  let note = '';
  try {
    const r = await runStrategy(instance, strategy, ctx, seed, options.signal);
    plan = r.plan;
    bound = r.bound;
    note = r.note;
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' || ctx.aborted) throw abortError();
    // never fail a valid instance: fall back to a plain list schedule
    note = `fallback after internal error: ${(e as Error)?.message ?? String(e)}`;
    plan = await listSchedule(instance, lptOrder(instance), new SolveContext(3600, lb0), 'fallback');
  }
  if (options.signal?.aborted) throw abortError();
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(instance, plan);
  } catch (e) {
    // a strategy bug must not fail a valid instance: fall back to a plain list schedule
    note = `fallback after internal error: ${(e as Error)?.message ?? String(e)}`;
    plan = await listSchedule(instance, lptOrder(instance), new SolveContext(3600, lb0), 'fallback');
    decoded = decode(instance, plan);
  }
  ctx.noteBest(decoded.makespan);
  const lb = Math.max(lb0, Math.min(bound ?? 0, decoded.makespan));
  const result = buildResult(instance, decoded, lb);
  if (note) result.kpis.note = note;
  if (note.startsWith('fallback')) result.kpis.fallback = true;
  result.explanations = explain(instance, result, { tardinessWeight: tardinessWeightOf(instance, strategy) });
  ctx.report('done', 100, note);
  return {
    strategy,
    result,
    lower_bound: result.kpis.lower_bound,
    gap: result.kpis.gap,
    execution_time: Math.round(((performance.now() - t0) / 1000) * 1e6) / 1e6,
  };
}
