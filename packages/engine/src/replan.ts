/**
 * Re-planning after a disruption. The parent's frozen prefix (every lot whose first activity starts
 * before the cutoff) keeps its line and times; the other lots are planned again on lines that start
 * where their prefix ends (Line.initial, honoured by the packer), never before `at`, around the new
 * downtime (the packer opens the block after a downtime with a CLEAN).
 *
 * Three candidates compete on one score — makespan + priority_weight · weighted tardiness +
 * stability weight · lots moved (changed line, or shifted by more than the tolerance):
 *  - repair: the parent's sequence per line, re-timed (the most stable plan);
 *  - the strategy's plan of the remaining lots;
 *  - a stability-aware local search (relocations) from the better of the two.
 */
import { SolveContext, abortError, makeRng } from './context';
import { explain } from './explain';
import { lowerBound } from './lowerBound';
import { BREAK, LineSim, decode, tardinessWeight, type Decoded, type Placement, type Plan } from './packer';
import { buildResult, round } from './result';
import type { LineStart, MovedLot, ReplanContext, ReplanDiff } from './replan-types';
import { parseIso } from './time';
import { solve } from './solve';
import type {
  Instance,
  ScheduleResult,
  SolveOptions,
  SolveOutput,
  SolveProgress,
  ValidationIssue,
} from './types';

type NormalizeOutcomeLike =
  | { ok: true; instance: Instance; warnings: string[] }
  | { ok: false; errors: ValidationIssue[]; warnings: string[] };

/** At most this many moved lots are listed in a diff (all are counted). */
export const MOVED_LIST_MAX = 500;
const EPS = 1e-9;

// ---------------------------------------------------------------- the wire context

function contextIssues(inst: Instance, c: unknown): ValidationIssue[] {
  const bad = (msg: string): ValidationIssue[] => [{ loc: ['replan'], msg, type: 'value_error.replan' }];
  if (typeof c !== 'object' || c === null) return bad('replan context must be an object');
  const r = c as Partial<ReplanContext>;
  if (r.version !== 1) return bad('unsupported replan context version');
  if (parseIso(r.start_time) !== inst.startMs)
    return bad('replan start_time differs from the input start_time');
  if (typeof r.at !== 'number' || typeof r.cutoff !== 'number' || !(r.cutoff >= r.at))
    return bad('replan at/cutoff must be hours with cutoff >= at');
  if (!Array.isArray(r.frozen) || !Array.isArray(r.parent)) return bad('replan frozen/parent must be arrays');
  const ids = new Set(inst.lots.map((l) => l.id));
  for (const f of r.frozen) {
    if (
      !Array.isArray(f) ||
      f.length !== 6 ||
      !ids.has(f[0]) ||
      !Number.isInteger(f[1]) ||
      f[1] < 1 ||
      f[1] > inst.lines.length
    )
      return bad(`bad frozen entry ${JSON.stringify(f).slice(0, 80)}`);
  }
  if (typeof r.stability !== 'object' || r.stability === null) return bad('replan stability missing');
  return [];
}

/** Attaches a job's replan context to its normalized instance (no-op without one). */
export function attachReplan<T extends NormalizeOutcomeLike>(outcome: T, raw: unknown): T {
  if (raw === undefined || raw === null || !outcome.ok) return outcome;
  const issues = contextIssues(outcome.instance, raw);
  if (issues.length) return { ok: false, errors: issues, warnings: outcome.warnings } as unknown as T;
  return { ...outcome, instance: { ...outcome.instance, replan: raw as ReplanContext } };
}

// ---------------------------------------------------------------- the frozen prefix

interface Prefix {
  /** full-instance lot index → placement, frozen lots only */
  placements: Map<number, Placement>;
  /** per line: end of the frozen prefix (0 when none) */
  frozenEnd: number[];
  starts: LineStart[];
}

function frozenPrefix(inst: Instance, ctx: ReplanContext): Prefix {
  const idx = new Map(inst.lots.map((l, j) => [l.id, j]));
  const placements = new Map<number, Placement>();
  const byLine: Placement[][] = inst.lines.map(() => []);
  for (const [id, line, clean, co, fs, fe] of ctx.frozen) {
    const j = idx.get(id);
    if (j === undefined) throw new Error(`frozen lot ${id} is not in the instance`);
    const p: Placement = {
      lot: j,
      line: line - 1,
      fillStart: fs,
      fillEnd: fe,
      coStart: co,
      cleanStart: clean,
    };
    placements.set(j, p);
    byLine[line - 1].push(p);
  }
  const C = inst.config.clean_hours;
  const frozenEnd: number[] = [];
  const starts: LineStart[] = [];
  for (let k = 0; k < inst.lines.length; k++) {
    const ps = byLine[k].sort((a, b) => a.fillStart - b.fillStart);
    let origin = NaN;
    let blocks = 0;
    for (const p of ps) {
      if (p.cleanStart !== null) {
        blocks++;
        origin = p.cleanStart + C;
      } else if (blocks === 0) {
        blocks = 1; // the first block of a line without initial clean: window counted from hour 0
        origin = 0;
      }
    }
    const last = ps[ps.length - 1];
    const end = last ? last.fillEnd : 0;
    const t = Math.max(ctx.at, end);
    let lastType = last ? inst.lots[last.lot].typeIndex : -1;
    // a downtime between the prefix and `at` closes the block: the next lot opens one with a CLEAN
    if (inst.lines[k].downtime.some((d) => d.start < t - EPS && d.end > end + EPS)) {
      lastType = -1;
      origin = NaN;
      blocks = Math.max(blocks, 1);
    }
    frozenEnd.push(end);
    starts.push({ t, origin: lastType >= 0 ? origin : NaN, lastType, blocks });
  }
  return { placements, frozenEnd, starts };
}

// ---------------------------------------------------------------- scoring

interface Scorer {
  sub: Instance;
  /** sub lot index → parent [line index, fill start, opened a block] or null (added) */
  parentOf: Array<[number, number, number] | null>;
  makespanWeight: number;
  weight: number;
  stabilityWeight: number;
  tolerance: number;
  frozenEnd: number[];
}

interface LineEval {
  end: number;
  wt: number;
  moved: number;
}

function evalSeq(s: Scorer, k: number, seq: readonly number[], sim: LineSim): LineEval {
  sim.reset();
  let wt = 0;
  let moved = 0;
  let force = false;
  let last = -1;
  for (const j of seq) {
    if (j === BREAK) {
      force = sim.blocks > 0;
      continue;
    }
    const fe = sim.evaluate(j, force);
    if (!Number.isFinite(fe)) return { end: Infinity, wt: Infinity, moved: Infinity };
    sim.commit(j);
    force = false;
    last = fe;
    const lot = s.sub.lots[j];
    if (lot.endWindow !== null && fe > lot.endWindow + 1e-7)
      wt += (fe - lot.endWindow) * tardinessWeight(lot.priority);
    const p = s.parentOf[j];
    if (p && (p[0] !== k || Math.abs(sim.fillStart - p[1]) > s.tolerance + 1e-7)) moved++;
  }
  return { end: Math.max(s.frozenEnd[k], last), wt, moved };
}

function total(s: Scorer, evals: LineEval[]): number {
  let mk = 0;
  let wt = 0;
  let moved = 0;
  let sum = 0;
  for (const e of evals) {
    mk = Math.max(mk, e.end);
    wt += e.wt;
    moved += e.moved;
    sum += e.end;
  }
  return s.makespanWeight * mk + s.weight * wt + s.stabilityWeight * moved + (0.001 / evals.length) * sum;
}

function scorePlan(s: Scorer, plan: Plan): number {
  return total(
    s,
    s.sub.lines.map((_, k) => evalSeq(s, k, plan[k] ?? [], new LineSim(s.sub, k))),
  );
}

// ---------------------------------------------------------------- candidates

/** The parent's order per line; lots without a parent place (added) go where they finish first. */
function repairPlan(s: Scorer): Plan {
  const m = s.sub.lines.length;
  const seqs: Array<Array<[number, number, number]>> = s.sub.lines.map(() => []);
  const loose: number[] = [];
  s.sub.lots.forEach((lot, j) => {
    const p = s.parentOf[j];
    if (p && Number.isFinite(lot.fill[p[0]])) seqs[p[0]].push([p[1], j, p[2]]);
    else loose.push(j);
  });
  // the parent's block breaks too, so that without a disruption the parent comes back as it was
  const plan: Plan = seqs.map((q, k) => {
    const out: number[] = [];
    for (const [, j, clean] of q.sort((a, b) => a[0] - b[0])) {
      if (clean && (out.length > 0 || (s.sub.lines[k].initial?.blocks ?? 0) > 0)) out.push(BREAK);
      out.push(j);
    }
    return out;
  });
  for (const j of loose) {
    let best = -1;
    let bestEnd = Infinity;
    for (let k = 0; k < m; k++) {
      const sim = new LineSim(s.sub, k);
      let force = false;
      for (const i of plan[k]) {
        if (i === BREAK) force = sim.blocks > 0;
        else {
          sim.append(i, force);
          force = false;
        }
      }
      const fe = sim.evaluate(j, false);
      if (fe < bestEnd) {
        bestEnd = fe;
        best = k;
      }
    }
    if (best < 0) throw new Error(`lot ${s.sub.lots[j].id} can run on no line`);
    plan[best].push(j);
  }
  return plan;
}

/** The strategy's schedule of the remaining lots, read back as a plan (block breaks kept). */
function planOfResult(sub: Instance, result: ScheduleResult): Plan {
  const idx = new Map(sub.lots.map((l, j) => [l.id, j]));
  const plan: Plan = sub.lines.map(() => []);
  const acts = result.activities
    .map((a) => ({ a, s: parseIso(a.start) ?? 0 }))
    .sort((x, y) => x.a.line - y.a.line || x.s - y.s);
  let clean = false;
  for (const { a } of acts) {
    const k = a.line - 1;
    if (a.kind === 'CLEAN') clean = true;
    else if (a.kind === 'FILL' && a.lot_id !== undefined) {
      const j = idx.get(a.lot_id);
      if (j === undefined) continue;
      if (clean && (plan[k].length > 0 || (sub.lines[k].initial?.blocks ?? 0) > 0)) plan[k].push(BREAK);
      plan[k].push(j);
      clean = false;
    }
  }
  return plan;
}

/** Relocation moves accepted when the score drops; deterministic for a seed. */
async function localSearch(
  s: Scorer,
  start: Plan,
  ctx: SolveContext,
  seed: number,
  from: number,
  to: number,
): Promise<Plan> {
  const m = s.sub.lines.length;
  const n = s.sub.lots.length;
  const seqs = start.map((q) => q.filter((j) => j !== BREAK));
  const sims = s.sub.lines.map((_, k) => new LineSim(s.sub, k));
  const evals = seqs.map((q, k) => evalSeq(s, k, q, sims[k]));
  let cur = total(s, evals);
  const rng = makeRng(seed);
  // each move re-evaluates two lines (≈ 2n/m lots): bound the work, not only the move count
  const iterations = Math.min(20_000, 100 * n, Math.ceil(4e6 / Math.max(1, (2 * n) / m)));
  const stall = Math.max(2_000, 10 * n);
  let lastGain = 0;
  for (let it = 0; it < iterations && it - lastGain < stall; it++) {
    if (ctx.due()) await ctx.checkpoint('replan: local search', from + ((to - from) * it) / iterations);
    if (ctx.expired()) break;
    // take from the critical line half of the time
    let a = Math.floor(rng() * m);
    if (rng() < 0.5) for (let k = 0; k < m; k++) if (evals[k].end > evals[a].end) a = k;
    if (seqs[a].length === 0) continue;
    const i = Math.floor(rng() * seqs[a].length);
    const j = seqs[a][i];
    const b = Math.floor(rng() * m);
    if (!Number.isFinite(s.sub.lots[j].fill[b])) continue;
    const ra = seqs[a].slice();
    ra.splice(i, 1);
    const rb = a === b ? ra.slice() : seqs[b].slice();
    const pos = Math.floor(rng() * (rb.length + 1));
    rb.splice(pos, 0, j);
    const ea = a === b ? null : evalSeq(s, a, ra, sims[a]);
    const eb = evalSeq(s, b, rb, sims[b]);
    const trial = evals.slice();
    if (ea) trial[a] = ea;
    trial[b] = eb;
    const score = total(s, trial);
    if (score < cur - 1e-9) {
      cur = score;
      lastGain = it;
      if (a !== b) seqs[a] = ra;
      seqs[b] = rb;
      if (ea) evals[a] = ea;
      evals[b] = eb;
    }
  }
  return seqs;
}

// ---------------------------------------------------------------- the solve

/** Strategies that weigh priority-weighted tardiness today (the others minimise the makespan). */
const TARDINESS_STRATEGIES: readonly string[] = ['cfs-pack', 'hybrid-pack', 'milp-opt'];

/** A numeric weight of config `objective` (the weights form), else the default. */
export function objectiveWeight(inst: Instance, term: string, fallback: number): number {
  const obj = (inst.config as unknown as { objective?: unknown }).objective;
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    const w = (obj as Record<string, unknown>)[term];
    if (typeof w === 'number' && Number.isFinite(w) && w >= 0) return w;
  }
  return fallback;
}

/** The replan's tardiness weight: config `objective.tardiness` when given, else the strategy's own rule. */
export function tardinessWeightOf(inst: Instance, strategy: string): number {
  return objectiveWeight(
    inst,
    'tardiness',
    TARDINESS_STRATEGIES.includes(strategy) ? inst.config.priority_weight : 0,
  );
}

/** solve() of an instance carrying a replan context. */
export async function solveReplan(instance: Instance, options: SolveOptions): Promise<SolveOutput> {
  const t0 = performance.now();
  const ctxR = instance.replan!;
  const full: Instance = { ...instance };
  delete full.replan;
  const prefix = frozenPrefix(full, ctxR);
  const rest: number[] = [];
  for (let j = 0; j < full.lots.length; j++) if (!prefix.placements.has(j)) rest.push(j);
  const sub: Instance = {
    ...full,
    lots: rest.map((j, i) => ({ ...full.lots[j], index: i })),
    lines: full.lines.map((l, k) => ({ ...l, initial: prefix.starts[k] })),
  };
  const parentMap = new Map(
    ctxR.parent.map(([id, line, fs, clean]) => [id, [line - 1, fs, clean] as [number, number, number]]),
  );
  const undisrupted =
    !ctxR.added.length && !ctxR.removed.length && !ctxR.changed.length && !ctxR.line_down.length;
  const scorer: Scorer = {
    sub,
    parentOf: sub.lots.map((l) => parentMap.get(l.id) ?? null),
    makespanWeight: objectiveWeight(full, 'makespan', 1),
    weight: tardinessWeightOf(full, options.strategy),
    stabilityWeight: ctxR.stability.weight,
    tolerance: ctxR.stability.tolerance_hours,
    frozenEnd: prefix.frozenEnd,
  };
  const timeLimit = options.timeLimitS ?? full.config.time_limit_s;
  const seed = (options.seed ?? full.config.seed) >>> 0;
  const lb = replanBound(full, prefix, sub);
  const ctx = new SolveContext(timeLimit > 0 ? timeLimit : 1, lb.value, options.signal, options.onProgress);
  ctx.report(
    'replan',
    0,
    `${ctxR.frozen.length} frozen, ${sub.lots.length} to re-plan on ${sub.lines.length} line(s)`,
  );

  const candidates: Array<{ name: string; plan: Plan; score: number }> = [];
  const add = (name: string, plan: Plan) => candidates.push({ name, plan, score: scorePlan(scorer, plan) });
  let note = '';
  if (sub.lots.length > 0) {
    add('repair', repairPlan(scorer));
  }
  // without a disruption the parent stands (re-timed only): no churn nobody asked for
  if (sub.lots.length > 0 && !undisrupted) {
    try {
      const subOptions = {
        strategy: options.strategy,
        seed,
        timeLimitS: Math.max(0.2, timeLimit * 0.6),
        signal: options.signal,
        onProgress: (p: SolveProgress) => ctx.report(`replan: ${p.phase}`, p.percent * 0.7, p.message),
        // the objective's stability hook (lots moved against the parent) for engines whose
        // strategies compare candidates with config `objective.stability`; ignored otherwise
        stability: (i: Instance, d: Decoded) => stabilityCost(i, ctxR, d.placements).moved,
      };
      const out = await solve(sub, subOptions);
      add(options.strategy, planOfResult(sub, out.result));
    } catch (e) {
      if ((e as Error)?.name === 'AbortError' || ctx.aborted) throw abortError();
      note = `strategy failed (${(e as Error)?.message ?? String(e)}); `;
    }
    const best = candidates.reduce((a, b) => (b.score < a.score ? b : a));
    add('local search', await localSearch(scorer, best.plan, ctx, seed + 17, 70, 95));
  }
  if (options.signal?.aborted) throw abortError();
  const win = candidates.length
    ? candidates.reduce((a, b) => (b.score < a.score - 1e-9 ? b : a))
    : { name: 'frozen', plan: sub.lines.map(() => []), score: 0 };
  const subDecoded = sub.lots.length ? decode(sub, win.plan) : null;

  // merge the frozen prefix and the new plan into one schedule of the full instance
  const placements: Placement[] = new Array(full.lots.length);
  for (const [j, p] of prefix.placements) placements[j] = p;
  if (subDecoded) subDecoded.placements.forEach((p, i) => (placements[rest[i]] = { ...p, lot: rest[i] }));
  const decoded = summarize(full, placements);
  const result = buildResult(full, decoded, Math.min(lb.value, decoded.makespan));
  const diff = diffAgainstParent(full, ctxR, placements, result);
  diff.candidate = win.name;
  result.replan = diff;
  result.kpis.note = `${note}replan: ${win.name} plan won (${candidates.map((c) => `${c.name} ${round(c.score, 3)}`).join(', ')})`;
  result.kpis.stability_cost = diff.stability.cost;
  result.explanations = explain(full, result, {
    stability: { moved: diff.moved_count, weight: ctxR.stability.weight },
    bounds: lb.candidates,
    tardinessWeight: scorer.weight,
  });
  ctx.noteBest(decoded.makespan);
  ctx.report('done', 100, result.kpis.note as string);
  return {
    strategy: options.strategy,
    result,
    lower_bound: result.kpis.lower_bound,
    gap: result.kpis.gap,
    execution_time: Math.round(((performance.now() - t0) / 1000) * 1e6) / 1e6,
  };
}

function summarize(inst: Instance, placements: Placement[]): Decoded {
  const lineEnd = inst.lines.map(() => 0);
  let tard = 0;
  let wt = 0;
  let viol = 0;
  for (const p of placements) {
    lineEnd[p.line] = Math.max(lineEnd[p.line], p.fillEnd);
    const lot = inst.lots[p.lot];
    if (lot.endWindow !== null && p.fillEnd > lot.endWindow + 1e-7) {
      const d = p.fillEnd - lot.endWindow;
      tard += d;
      wt += d * tardinessWeight(lot.priority);
      viol++;
    }
  }
  return {
    placements,
    lineEnd,
    makespan: Math.max(0, ...lineEnd),
    tardiness: tard,
    weightedTardiness: wt,
    violations: viol,
  };
}

/** Valid bounds of the replan: the full instance's, plus what the frozen prefix and `at` force. */
function replanBound(
  full: Instance,
  prefix: Prefix,
  sub: Instance,
): { value: number; candidates: Array<{ bound: string; value: number; argument: string }> } {
  const m = full.lines.length;
  const base = lowerBound(full);
  const prefixEnd = Math.max(0, ...prefix.frozenEnd);
  let single = 0;
  let singleLot = '';
  let work = 0;
  for (const lot of sub.lots) {
    let best = Infinity;
    let minF = Infinity;
    for (let k = 0; k < m; k++) {
      const f = lot.fill[k];
      if (!Number.isFinite(f)) continue;
      minF = Math.min(minF, f);
      best = Math.min(best, Math.max(prefix.starts[k].t, lot.startWindow ?? 0) + f);
    }
    if (best > single) {
      single = best;
      singleLot = lot.id;
    }
    work += minF;
  }
  const avail = prefix.starts.reduce((s, x) => s + x.t, 0);
  const load = sub.lots.length ? (avail + work) / m : 0;
  const candidates = [
    {
      bound: 'instance',
      value: base,
      argument: 'the lower bound of the whole instance (single lot / total work)',
    },
    { bound: 'frozen-prefix', value: prefixEnd, argument: 'the last frozen fill ends here' },
    {
      bound: 'frozen-single-lot',
      value: single,
      argument: `lot ${singleLot} cannot start before its line is free (frozen prefix, at) and its start window`,
    },
    {
      bound: 'frozen-load',
      value: load,
      argument: `the lines are busy until the frozen prefix / at (${round(avail, 2)} line-hours) and ${round(work, 2)} fill hours remain, over ${m} line(s)`,
    },
  ];
  return { value: Math.max(...candidates.map((c) => c.value)), candidates };
}

/**
 * The stability score term of a replan: `weight` per lot that changed line or whose fill start moved
 * by more than `tolerance_hours` against the parent (added lots are not moves). For objective code
 * that scores whole placements (config `objective.stability`).
 */
export function stabilityCost(
  inst: Instance,
  ctx: Pick<ReplanContext, 'parent' | 'stability'>,
  placements: readonly Placement[],
): { moved: number; cost: number } {
  const parent = new Map(ctx.parent.map(([id, line, fs]) => [id, { line, fs }]));
  let moved = 0;
  for (const p of placements) {
    const q = parent.get(inst.lots[p.lot].id);
    if (q && (q.line !== p.line + 1 || Math.abs(p.fillStart - q.fs) > ctx.stability.tolerance_hours + 1e-7))
      moved++;
  }
  return { moved, cost: ctx.stability.weight * moved };
}

/** Lots moved (changed line or shifted beyond the tolerance), added, removed; KPI deltas. */
export function diffAgainstParent(
  inst: Instance,
  ctx: ReplanContext,
  placements: readonly Placement[],
  result: ScheduleResult,
): ReplanDiff {
  const parent = new Map(ctx.parent.map(([id, line, fs]) => [id, { line, fs }]));
  const moved: MovedLot[] = [];
  let lineChanges = 0;
  for (const p of placements) {
    const id = inst.lots[p.lot].id;
    const q = parent.get(id);
    if (!q) continue;
    const shift = p.fillStart - q.fs;
    const lineChanged = q.line !== p.line + 1;
    if (lineChanged) lineChanges++;
    if (lineChanged || Math.abs(shift) > ctx.stability.tolerance_hours + 1e-7)
      moved.push({ lot_id: id, from_line: q.line, to_line: p.line + 1, shift_hours: round(shift) });
  }
  moved.sort((a, b) => Math.abs(b.shift_hours) - Math.abs(a.shift_hours) || a.lot_id.localeCompare(b.lot_id));
  const now: Record<string, unknown> = {
    ...result.kpis,
    makespan: result.makespan,
    utilization: result.utilization,
    window_violations: result.window_violations,
  };
  const deltas: Record<string, number> = {};
  for (const [k, v] of Object.entries(ctx.parent_kpis)) {
    const x = now[k];
    if (typeof x === 'number') deltas[k] = round(x - v);
  }
  const iso = (h: number) => new Date(inst.startMs + h * 3_600_000).toISOString();
  return {
    parent_id: ctx.parent_id,
    at: iso(ctx.at),
    cutoff: iso(ctx.cutoff),
    frozen_lots: ctx.frozen.length,
    moved_count: moved.length,
    line_changes: lineChanges,
    moved: moved.slice(0, MOVED_LIST_MAX),
    added: ctx.added,
    removed: ctx.removed,
    changed: ctx.changed,
    kpi_deltas: deltas,
    stability: { ...ctx.stability, cost: round(ctx.stability.weight * moved.length) },
    candidate: '',
  };
}
