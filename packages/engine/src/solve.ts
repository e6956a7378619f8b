import { SolveContext, abortError } from './context';
import { lowerBound } from './lowerBound';
import { explain } from './explain';
import {
  compareTerms,
  objectiveOf,
  scoreOf,
  scoreTerms,
  searchWeights,
  type Objective,
  type ScoreTerms,
  type StabilityCost,
} from './objective';
import { decode, planOf, type Decoded, type Plan } from './packer';
import { solveReplan, tardinessWeightOf } from './replan';
import { buildResult } from './result';
import { binPackApplies, longLotShare } from './strategies/binpack';
import { blockSearch, needsExact } from './strategies/blocks';
import { exactSearch, planObjective, type SearchWeights } from './strategies/exact';
import {
  cfsOrder,
  listSchedule,
  lptByTypeOrder,
  lptOrder,
  releaseOrder,
  sptByTypeOrder,
  sptOrder,
} from './strategies/list';
import { runMilp } from './strategies/milpOpt';
import { windowFit } from './strategies/windowfit';
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

/** What a strategy hands back: candidate plans (the best under the objective is kept) and notes. */
interface StrategyRun {
  plans: Plan[];
  bound: number | null;
  note: string;
}

/**
 * A list rule's candidates: its order as a list schedule (each lot to the line where it finishes
 * earliest) and block by block (`windowFit`, with and without the reference's deque rotation).
 */
async function listCandidates(
  inst: Instance,
  orders: number[][],
  ctx: SolveContext,
  phase: string,
): Promise<Plan[]> {
  const out: Plan[] = [];
  for (const o of orders) {
    out.push(await listSchedule(inst, o, ctx, phase));
    for (const rotate of [false, true]) {
      const p = await windowFit(inst, o, rotate, ctx, phase);
      if (p) out.push(p);
    }
  }
  return out;
}

/** Window-fit packings, longest first overall and type by type (starts of the searches). */
async function windowFits(inst: Instance, ctx: SolveContext, phase: string): Promise<Plan[]> {
  const out: Plan[] = [];
  for (const o of [lptOrder(inst), lptByTypeOrder(inst)]) {
    if (ctx.expired()) break;
    const p = await windowFit(inst, o, false, ctx, phase);
    if (p) out.push(p);
  }
  return out;
}

async function runStrategy(
  inst: Instance,
  strategy: StrategyId,
  ctx: SolveContext,
  seed: number,
  sw: SearchWeights,
  signal?: AbortSignal,
): Promise<StrategyRun> {
  const b = budgets(inst);
  switch (strategy) {
    case 'lpt-pack':
      return {
        plans: await listCandidates(inst, [lptOrder(inst)], ctx, 'lpt'),
        bound: null,
        note: 'longest lots first: earliest-finishing line or window fit, the better kept',
      };
    case 'spt-pack':
      return {
        plans: await listCandidates(inst, [sptOrder(inst), sptByTypeOrder(inst)], ctx, 'spt'),
        bound: null,
        note: 'shortest lots first (overall or within type): earliest-finishing line or window fit, the better kept',
      };
    case 'cfs-pack':
      return {
        plans: await listCandidates(inst, [cfsOrder(inst)], ctx, 'cfs'),
        bound: null,
        note: 'highest priority, then earliest due date first: earliest-finishing line or window fit, the better kept',
      };
    case 'smart-pack': {
      const exact = needsExact(inst, sw);
      // window-fit packings (longest first, overall and type by type) compete as starts, except where
      // the dedicated block packing replaces the constructions (over 300 lots, at least a quarter of
      // them needing a block of their own, makespan only): there it is the stronger start by far
      // (lots_large.csv: 36,361 h against 36,429 h) and the fits' O(lots²) scans cost a third of the run
      const bpRegime =
        inst.lots.length > 300 &&
        sw.mk === 1 &&
        sw.co === 0 &&
        sw.wt === 0 &&
        binPackApplies(inst) &&
        longLotShare(inst) >= 0.25;
      const fits = bpRegime ? [] : await windowFits(inst, ctx, 'smart-pack');
      const starts = exact
        ? [
            await listSchedule(inst, releaseOrder(inst), ctx, 'smart-pack'),
            ...(inst.lots.length > LARGE
              ? []
              : [await listSchedule(inst, lptOrder(inst), ctx, 'smart-pack')]),
            ...fits,
          ]
        : fits;
      // a window-fit start already within 0.5 % of the bound makespan-wise, and few lots that need a
      // block of their own (where the dedicated packing is strongest): skip the slower constructions
      const close =
        longLotShare(inst) < 0.25 &&
        sw.mk === 1 &&
        sw.co === 0 &&
        !exact &&
        fits.some((p) => decode(inst, p).makespan <= ctx.lowerBound * 1.005 + 1e-9);
      const r = await blockSearch(inst, ctx, {
        iterations: b.smart,
        seed,
        phase: 'smart-pack',
        progressFrom: 0,
        progressTo: 95,
        starts,
        weight: sw,
        skipConstruction: close || (exact && inst.lots.length > LARGE),
      });
      const plans = [r.plan, ...fits];
      // a planner's objective beyond makespan: the block model keeps a block's types together, so
      // a short exact local search (any sequence) follows, as in hybrid-pack
      if (inst.config.objective !== null && needsExact(inst, sw) && !ctx.expired())
        plans.unshift(
          await exactSearch(inst, ctx, planOf(inst, decode(inst, r.plan)), {
            iterations: Math.max(500, Math.round(b.smart / 2)),
            seed: seed + 2,
            phase: 'smart-pack: local search',
            progressFrom: 95,
            progressTo: 99,
            weight: sw,
          }),
        );
      return {
        plans,
        bound: null,
        note: r.iterations > 0 ? `block packing, ${r.iterations} iterated-greedy steps` : 'block packing',
      };
    }
    case 'hybrid-pack':
      return {
        plans: await hybrid(inst, ctx, seed, sw, b, 0, 95),
        bound: null,
        note: 'block packing + list heuristics + exact local search',
      };
    case 'milp-opt': {
      const cands = await hybrid(inst, ctx, seed, sw, b, 0, 40);
      const heur = bestPlanBy(inst, cands, sw);
      const r = await runMilp(inst, ctx, heur, seed, signal);
      return { plans: [r.plan, ...cands], bound: r.bound, note: r.message };
    }
  }
}

async function hybrid(
  inst: Instance,
  ctx: SolveContext,
  seed: number,
  w: SearchWeights,
  b: ReturnType<typeof budgets>,
  from: number,
  to: number,
): Promise<Plan[]> {
  const span = to - from;
  const exact = needsExact(inst, w);
  const starts = [
    ...(await windowFits(inst, ctx, 'hybrid: window fit')),
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
  if (ctx.expired()) return [blocks.plan];
  const best = blocks.plan;
  const start = planOf(inst, decode(inst, best));
  const polished = await exactSearch(inst, ctx, start, {
    iterations: b.hybridExact,
    seed: seed + 2,
    phase: 'hybrid: local search',
    progressFrom: from + span * 0.6,
    progressTo: to,
    weight: w,
  });
  return [polished];
}

/** The candidate with the lowest search objective (the MILP's warm start). */
function bestPlanBy(inst: Instance, plans: Plan[], w: SearchWeights): Plan {
  let best = plans[0];
  let v = Infinity;
  for (const p of plans) {
    const o = planObjective(inst, p, w);
    if (o < v) {
      v = o;
      best = p;
    }
  }
  return best;
}

/** The best decodable plan under the objective (first wins ties); null when none decodes. */
function pickBest(
  inst: Instance,
  plans: Plan[],
  obj: Objective,
  stability: StabilityCost | undefined,
): { decoded: Decoded; terms: ScoreTerms } | null {
  let best: { decoded: Decoded; terms: ScoreTerms } | null = null;
  for (const p of plans) {
    let d: Decoded;
    try {
      d = decode(inst, p);
    } catch {
      continue;
    }
    const terms = scoreTerms(inst, d, stability);
    if (!best || compareTerms(obj, terms, best.terms) < 0) best = { decoded: d, terms };
  }
  return best;
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
  const obj = objectiveOf(instance, strategy);
  let plans: Plan[] = [];
  let bound: number | null = null;
  let note = '';
  try {
    const r = await runStrategy(instance, strategy, ctx, seed, searchWeights(obj), options.signal);
    plans = r.plans;
    bound = r.bound;
    note = r.note;
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' || ctx.aborted) throw abortError();
    // never fail a valid instance: fall back to a plain list schedule
    note = `fallback after internal error: ${(e as Error)?.message ?? String(e)}`;
  }
  if (options.signal?.aborted) throw abortError();
  let chosen = pickBest(instance, plans, obj, options.stability);
  if (!chosen) {
    // a strategy bug must not fail a valid instance: fall back to a plain list schedule
    if (!note.startsWith('fallback'))
      note = 'fallback after internal error: no strategy plan could be decoded';
    const plan = await listSchedule(instance, lptOrder(instance), new SolveContext(3600, lb0), 'fallback');
    chosen = pickBest(instance, [plan], obj, options.stability);
    if (!chosen) throw new Error('fallback list schedule could not be decoded');
  }
  const decoded = chosen.decoded;
  ctx.noteBest(decoded.makespan);
  const lb = Math.max(lb0, Math.min(bound ?? 0, decoded.makespan));
  const result = buildResult(instance, decoded, lb);
  if (note) result.kpis.note = note;
  if (note.startsWith('fallback')) result.kpis.fallback = true;
  result.explanations = explain(instance, result, {
    tardinessWeight: tardinessWeightOf(instance, strategy),
    instanceBound: lb0,
  });
  result.score = scoreOf(instance, obj, chosen.terms);
  ctx.report('done', 100, note);
  return {
    strategy,
    result,
    lower_bound: result.kpis.lower_bound,
    gap: result.kpis.gap,
    execution_time: Math.round(((performance.now() - t0) / 1000) * 1e6) / 1e6,
  };
}
