/**
 * The planner's objective (config key `objective`): weights for the score terms, or an ordered list
 * of levels compared lexicographically (a higher level always wins, as hard/medium/soft scores do in
 * constraint solvers). Terms, all in hours:
 *  - makespan;
 *  - tardiness: Σ (1 + max(priority, 0)) · hours late (the result's weighted_tardiness);
 *  - changeover_hours: total CHANGEOVER time;
 *  - stability: a cost against a parent schedule, only non-zero in re-plans (the caller supplies it
 *    through `SolveOptions.stability`; 0 otherwise).
 * Without the key every strategy keeps its historical objective (`defaultObjective`).
 */
import type { Decoded } from './packer';
import type { Instance } from './types';

export const OBJECTIVE_TERMS = ['makespan', 'tardiness', 'changeover_hours', 'stability'] as const;
export type ObjectiveTerm = (typeof OBJECTIVE_TERMS)[number];
export type ScoreTerms = Record<ObjectiveTerm, number>;

/** Weighted sum (`weights`) or lexicographic levels (`levels`, highest first). */
export type Objective =
  { kind: 'weighted'; weights: ScoreTerms } | { kind: 'lexicographic'; levels: ObjectiveTerm[] };

/** The config value as written: `{makespan?, tardiness?, changeover_hours?, stability?}` or `[term, ...]`. */
export type ObjectiveConfig = Partial<ScoreTerms> | ObjectiveTerm[];

/** Cost of a schedule against a parent (re-plans); supplied by the caller, 0 when absent. */
export type StabilityCost = (inst: Instance, d: Decoded) => number;

export function isObjectiveTerm(s: unknown): s is ObjectiveTerm {
  return typeof s === 'string' && (OBJECTIVE_TERMS as readonly string[]).includes(s);
}

const zero = (): ScoreTerms => ({ makespan: 0, tardiness: 0, changeover_hours: 0, stability: 0 });

/**
 * Today's behaviour per strategy: makespan only, except cfs-pack, hybrid-pack and milp-opt, which add
 * priority_weight · weighted tardiness.
 */
export function defaultObjective(inst: Instance, strategy: string): Objective {
  const w = zero();
  w.makespan = 1;
  if (strategy === 'cfs-pack' || strategy === 'hybrid-pack' || strategy === 'milp-opt')
    w.tardiness = inst.config.priority_weight;
  return { kind: 'weighted', weights: w };
}

/** The objective a strategy optimises on this instance (config `objective` or the default). */
export function objectiveOf(inst: Instance, strategy: string): Objective {
  const o = inst.config.objective;
  if (o === null || o === undefined) return defaultObjective(inst, strategy);
  if (Array.isArray(o)) return { kind: 'lexicographic', levels: o.slice() };
  const w = zero();
  for (const t of OBJECTIVE_TERMS) w[t] = o[t] ?? 0;
  return { kind: 'weighted', weights: w };
}

/** Total CHANGEOVER hours of a decoded schedule. */
export function changeoverHours(d: Decoded): number {
  let s = 0;
  for (const p of d.placements) if (p.coStart !== null) s += p.fillStart - p.coStart;
  return s;
}

export function scoreTerms(inst: Instance, d: Decoded, stability?: StabilityCost): ScoreTerms {
  return {
    makespan: d.makespan,
    tardiness: d.weightedTardiness,
    changeover_hours: changeoverHours(d),
    stability: stability ? stability(inst, d) : 0,
  };
}

const LEX_EPS = 1e-6;

/** < 0 when a is better than b under the objective, > 0 when worse, 0 when equal. */
export function compareTerms(o: Objective, a: ScoreTerms, b: ScoreTerms): number {
  if (o.kind === 'lexicographic') {
    for (const t of o.levels) {
      const d = a[t] - b[t];
      if (Math.abs(d) > LEX_EPS) return d;
    }
    return 0;
  }
  const d = weightedValue(o, a) - weightedValue(o, b);
  return Math.abs(d) > 1e-9 ? d : 0;
}

function weightedValue(o: Objective & { kind: 'weighted' }, t: ScoreTerms): number {
  let s = 0;
  for (const k of OBJECTIVE_TERMS) if (o.weights[k] !== 0) s += o.weights[k] * t[k];
  return s;
}

/**
 * Weights the searches use (makespan, tardiness, changeover hours). A lexicographic objective is
 * scalarised with factors far apart (the highest level 1, each next one 10⁻⁴ of the one above); the final choice between the candidate schedules is exact (`compareTerms`).
 */
export function searchWeights(o: Objective): { mk: number; wt: number; co: number } {
  if (o.kind === 'weighted')
    return { mk: o.weights.makespan, wt: o.weights.tardiness, co: o.weights.changeover_hours };
  const w: ScoreTerms = zero();
  let f = 1;
  for (const t of o.levels) {
    w[t] = f;
    f *= 1e-4;
  }
  return { mk: w.makespan, wt: w.tardiness, co: w.changeover_hours };
}

/** The score reported with a result: every term, and the objective's value (weighted) or levels. */
export interface Score extends ScoreTerms {
  objective: 'default' | 'weighted' | 'lexicographic';
  /** weighted sum (weighted objectives, the default included); null for lexicographic ones */
  value: number | null;
  /** the level order for lexicographic objectives, else null */
  levels: ObjectiveTerm[] | null;
}

export function scoreOf(inst: Instance, o: Objective, terms: ScoreTerms): Score {
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  const base = {
    makespan: round(terms.makespan),
    tardiness: round(terms.tardiness),
    changeover_hours: round(terms.changeover_hours),
    stability: round(terms.stability),
  };
  const explicit = inst.config.objective !== null && inst.config.objective !== undefined;
  if (o.kind === 'lexicographic')
    return { ...base, objective: 'lexicographic', value: null, levels: o.levels };
  return {
    ...base,
    objective: explicit ? 'weighted' : 'default',
    value: round(weightedValue(o, terms)),
    levels: null,
  };
}
