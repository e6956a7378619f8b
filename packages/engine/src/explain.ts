/**
 * Explanations attached to every result: why each late lot is late (its window, what ran on its line
 * before it, downtime), the score per objective term, and which lower bound binds and why.
 * Reads only the instance and the result's activities (like the checker), in O(activities).
 */
import { lowerBound } from './lowerBound';
import { round } from './result';
import type { Explanations, LateLotExplanation, ScoreTerm } from './replan-types';
import { MS_PER_HOUR, parseIso, toIso } from './time';
import type { Instance, ScheduleResult } from './types';

/** At most this many late lots are explained one by one (all are counted). */
export const LATE_LIST_MAX = 50;

export interface ExplainOptions {
  /** replans: lots moved against the parent and the cost per moved lot */
  stability?: { moved: number; weight: number };
  /** replans: the bounds that were considered (the instance's and the frozen prefix's) */
  bounds?: Array<{ bound: string; value: number; argument: string }>;
  /** the weight the strategy gives priority-weighted tardiness (default: priority_weight) */
  tardinessWeight?: number;
  /** `lowerBound(inst)` when the caller already computed it (solve does) */
  instanceBound?: number;
}

function num(v: unknown, d: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

/** Score per term with the objective's weights (config `objective` when present, else today's rule). */
export function scoreTerms(
  inst: Instance,
  result: ScheduleResult,
  opts: ExplainOptions = {},
): Explanations['score'] {
  const cfg = inst.config as unknown as { objective?: unknown; priority_weight: number };
  const obj =
    typeof cfg.objective === 'object' && cfg.objective !== null && !Array.isArray(cfg.objective)
      ? (cfg.objective as Record<string, unknown>)
      : {};
  const terms: ScoreTerm[] = [];
  const add = (term: string, value: number, weight: number) =>
    terms.push({ term, value: round(value), weight, contribution: round(value * weight) });
  add('makespan', result.makespan, num(obj.makespan, 1));
  add(
    'tardiness',
    num(result.kpis.weighted_tardiness, 0),
    num(obj.tardiness, opts.tardinessWeight ?? cfg.priority_weight),
  );
  add('changeover_hours', num(result.kpis.changeover_hours, 0), num(obj.changeover_hours, 0));
  if (opts.stability) add('stability', opts.stability.moved, num(obj.stability, opts.stability.weight));
  return { total: round(terms.reduce((s, t) => s + t.contribution, 0)), terms };
}

function singleLotBound(inst: Instance): {
  value: number;
  lot: string;
  start: number;
  fill: number;
  line: number;
} {
  const C = inst.config.clean_hours;
  const ic = inst.config.initial_clean;
  let best = { value: 0, lot: '', start: 0, fill: 0, line: 0 };
  for (const lot of inst.lots) {
    let v = Infinity;
    let at = { start: 0, fill: 0, line: 0 };
    for (let k = 0; k < inst.lines.length; k++) {
      const f = lot.fill[k];
      if (!Number.isFinite(f)) continue;
      const s = Math.max(lot.startWindow ?? 0, ic ? C : 0);
      if (s + f < v) {
        v = s + f;
        at = { start: s, fill: f, line: k + 1 };
      }
    }
    if (v > best.value) best = { value: v, lot: lot.id, ...at };
  }
  return best;
}

export function explainBound(
  inst: Instance,
  result: ScheduleResult,
  opts: ExplainOptions = {},
): Explanations['lower_bound'] {
  const value = num(result.kpis.lower_bound, 0);
  const base = opts.instanceBound ?? lowerBound(inst);
  const single = singleLotBound(inst);
  let sumFill = 0;
  for (const lot of inst.lots) {
    let f = Infinity;
    for (const x of lot.fill) if (x < f) f = x;
    if (Number.isFinite(f)) sumFill += f;
  }
  const m = inst.lines.length;
  const singleArg = `lot ${single.lot} alone: earliest start ${round(single.start, 2)} h (start window${inst.config.initial_clean ? ', initial clean' : ''}) + ${round(single.fill, 2)} fill hours on line ${single.line}`;
  const workArg = `${round(sumFill, 2)} fill hours of ${inst.lots.length} lots + at least ${round(Math.max(0, base * m - sumFill), 2)} h of cleans and changeovers (cleaning window, product types), shared by ${m} line(s)`;
  const candidates = [
    { bound: 'single-lot', value: round(single.value), argument: singleArg },
    { bound: 'total-work', value: round(base), argument: workArg },
    ...(opts.bounds ?? [])
      .filter((b) => b.bound !== 'instance')
      .map((b) => ({ bound: b.bound, value: round(b.value), argument: b.argument })),
  ];
  if (value <= 1e-9)
    return {
      value,
      binding: 'none',
      argument: 'no work to schedule',
      candidates: candidates.map(({ bound, value: v }) => ({ bound, value: v })),
    };
  const top = candidates.reduce((a, b) => (b.value > a.value + 1e-6 ? b : a));
  let binding: Explanations['lower_bound']['binding'];
  let argument: string;
  if (value > top.value + 1e-3) {
    binding = 'solver';
    argument = `proven by the solver (MILP relaxation), above the combinatorial bounds (best ${top.bound} ${top.value} h)`;
  } else if (top.bound.startsWith('frozen')) {
    binding = 'frozen-prefix';
    argument = top.argument;
  } else if (top.bound === 'single-lot' || single.value >= base - 1e-6) {
    binding = 'single-lot';
    argument = singleArg;
  } else {
    binding = 'total-work';
    argument = workArg;
  }
  return {
    value,
    binding,
    argument: `${argument} ⇒ makespan ≥ ${round(value, 2)} h`,
    candidates: candidates.map(({ bound, value: v }) => ({ bound, value: v })),
  };
}

export function explainLateLots(
  inst: Instance,
  result: ScheduleResult,
): { list: LateLotExplanation[]; total: number } {
  const S = inst.startMs;
  // no due date, no late lot: skip reading back every activity's times
  if (!inst.lots.some((l) => l.endWindow !== null)) return { list: [], total: 0 };
  const h = (ms: number) => (ms - S) / MS_PER_HOUR;
  const lotById = new Map(inst.lots.map((l) => [l.id, l]));
  type Act = { kind: string; lot?: string; s: number; e: number; reason?: string };
  const byLine = new Map<number, Act[]>();
  for (const a of result.activities) {
    const s = parseIso(a.start);
    const e = parseIso(a.end);
    if (s === null || e === null) continue;
    if (!byLine.has(a.line)) byLine.set(a.line, []);
    byLine.get(a.line)!.push({ kind: a.kind, lot: a.lot_id, s: h(s), e: h(e), reason: a.reason });
  }
  type Cap = LateLotExplanation['capacity_before'];
  // first pass: every late lot with what ran before it (cheap); reasons only for the listed ones
  const late: Array<{
    line: number;
    idx: number;
    cap: Cap;
    lot: Instance['lots'][number];
    end: number;
    weight: number;
  }> = [];
  for (const [line, acts] of byLine) {
    acts.sort((x, y) => x.s - y.s);
    const cap: Cap = { lots: 0, fill_hours: 0, setup_hours: 0, idle_hours: 0, downtime_hours: 0 };
    acts.forEach((a, idx) => {
      const d = a.e - a.s;
      if (a.kind === 'FILL' && a.lot) {
        const lot = lotById.get(a.lot);
        if (lot && lot.endWindow !== null && a.e > lot.endWindow + 1e-4)
          late.push({
            line,
            idx,
            cap: { ...cap },
            lot,
            end: a.e,
            weight: (a.e - lot.endWindow) * (1 + Math.max(0, lot.priority)),
          });
        cap.lots++;
        cap.fill_hours += d;
      } else if (a.kind === 'CLEAN' || a.kind === 'CHANGEOVER') cap.setup_hours += d;
      else if (a.kind === 'IDLE') cap.idle_hours += d;
      else if (a.kind === 'DOWNTIME') cap.downtime_hours += d;
    });
  }
  late.sort((a, b) => b.weight - a.weight || a.lot.id.localeCompare(b.lot.id));
  const C = inst.config.clean_hours;
  const ic = inst.config.initial_clean;
  const list = late.slice(0, LATE_LIST_MAX).map(({ line, idx, cap, lot, end }): LateLotExplanation => {
    const due = lot.endWindow!;
    const lateH = end - due;
    const before = byLine.get(line)!.slice(0, idx);
    const downs = before
      .filter((a) => a.kind === 'DOWNTIME')
      .map((a) => ({
        start: toIso(S + a.s * MS_PER_HOUR),
        end: toIso(S + a.e * MS_PER_HOUR),
        reason: a.reason ?? 'downtime',
      }));
    const reasons: string[] = [];
    let ef = Infinity;
    for (const f of lot.fill)
      if (Number.isFinite(f)) ef = Math.min(ef, Math.max(lot.startWindow ?? 0, ic ? C : 0) + f);
    if (ef > due + 1e-4)
      reasons.push(
        `its window is too short: even alone on an empty line it cannot finish before ${round(ef, 2)} h (start window${ic ? ' + clean' : ''} + fill), ${round(ef - due, 2)} h after its due time`,
      );
    if (cap.downtime_hours > 0)
      reasons.push(
        `${round(cap.downtime_hours, 2)} h of downtime on line ${line} before it (${[...new Set(downs.map((x) => x.reason))].join('; ')})${cap.downtime_hours >= lateH - 1e-6 ? ', more than its lateness' : ''}`,
      );
    if (cap.lots > 0) {
      const laterDue = before.filter((a) => {
        const o = a.kind === 'FILL' && a.lot ? lotById.get(a.lot) : undefined;
        return o && (o.endWindow === null || o.endWindow > due) && o.priority <= lot.priority;
      }).length;
      reasons.push(
        `line ${line} was busy before it with ${cap.lots} lot(s): ${round(cap.fill_hours, 2)} fill hours and ${round(cap.setup_hours, 2)} h of cleans/changeovers${laterDue ? `; ${laterDue} of them are due later with no higher priority (placed earlier for makespan, blocks or changeovers)` : ''}`,
      );
    }
    if (cap.idle_hours > 1e-6)
      reasons.push(`${round(cap.idle_hours, 2)} h idle before it on line ${line} (start windows)`);
    if (reasons.length === 0) reasons.push('the lines were fully loaded before its due time');
    return {
      lot_id: lot.id,
      line,
      priority: lot.priority,
      window: {
        start: lot.startWindow === null ? null : toIso(S + lot.startWindow * MS_PER_HOUR),
        end: toIso(S + due * MS_PER_HOUR),
      },
      fill_end: toIso(S + end * MS_PER_HOUR),
      late_hours: round(lateH),
      capacity_before: {
        lots: cap.lots,
        fill_hours: round(cap.fill_hours),
        setup_hours: round(cap.setup_hours),
        idle_hours: round(cap.idle_hours),
        downtime_hours: round(cap.downtime_hours),
      },
      downtime: downs.slice(0, 10),
      reasons,
    };
  });
  return { list, total: late.length };
}

export function explain(inst: Instance, result: ScheduleResult, opts: ExplainOptions = {}): Explanations {
  const late = explainLateLots(inst, result);
  return {
    late_lots: late.list,
    late_lots_total: late.total,
    score: scoreTerms(inst, result, opts),
    lower_bound: explainBound(inst, result, opts),
  };
}
