/**
 * Types of re-planning (replan.ts) and explanations (explain.ts). The wire context travels inside a
 * solve job (JSON); times there are hours relative to `start_time` so a 5,000-lot parent stays small.
 */

/** The state a line starts a replan in: the end of its frozen prefix (LineSim's fields). */
export interface LineStart {
  /** the line is busy (or in the past) until this hour */
  t: number;
  /** the open block's window origin (end of its CLEAN), NaN when no block is open */
  origin: number;
  /** type index of the last frozen fill when the block may continue, else -1 */
  lastType: number;
  /** blocks already opened on the line (0 = none) */
  blocks: number;
}

/** One frozen lot: [lot_id, line (1-based), clean start | null, changeover start | null, fill start, fill end] (hours). */
export type FrozenTuple = [string, number, number | null, number | null, number, number];
/** One lot of the parent plan: [lot_id, line (1-based), fill start (hours), 1 when a CLEAN opened its block else 0]. */
export type ParentTuple = [string, number, number, number];

export interface StabilityOptions {
  /** score cost (hours-equivalent) of every lot that changes line or moves by more than the tolerance */
  weight: number;
  /** a start shift up to this many hours on the same line is not a move */
  tolerance_hours: number;
}

export const DEFAULT_STABILITY: StabilityOptions = { weight: 1, tolerance_hours: 1 };

/** What a replan job carries beside its (already disrupted) input. JSON, structured-clone friendly. */
export interface ReplanContext {
  version: 1;
  parent_id: number | null;
  /** ISO 8601: the instance start (the parent's), which every hour below is relative to */
  start_time: string;
  /** hours: the time of the re-plan; nothing new starts before it */
  at: number;
  /** hours: activities starting before it are frozen (= at with freeze "started") */
  cutoff: number;
  freeze: string;
  frozen: FrozenTuple[];
  parent: ParentTuple[];
  parent_kpis: Record<string, number>;
  stability: StabilityOptions;
  added: string[];
  removed: string[];
  changed: string[];
  line_down: Array<{ line: number; start: number; end: number; reason: string }>;
}

export interface MovedLot {
  lot_id: string;
  from_line: number;
  to_line: number;
  /** new fill start − parent fill start, hours */
  shift_hours: number;
}

/** The result's `replan` part: what changed against the parent. */
export interface ReplanDiff {
  parent_id: number | null;
  at: string;
  cutoff: string;
  frozen_lots: number;
  moved_count: number;
  line_changes: number;
  /** lots that changed line or shifted by more than the tolerance (at most MOVED_LIST_MAX listed) */
  moved: MovedLot[];
  added: string[];
  removed: string[];
  changed: string[];
  kpi_deltas: Record<string, number>;
  stability: StabilityOptions & { cost: number };
  /** which candidate plan won (repair of the parent, the strategy, or the local search) */
  candidate: string;
}

export interface ScoreTerm {
  term: string;
  value: number;
  weight: number;
  contribution: number;
}

export interface LateLotExplanation {
  lot_id: string;
  line: number;
  priority: number;
  window: { start: string | null; end: string };
  fill_end: string;
  late_hours: number;
  /** what ran on its line before it */
  capacity_before: {
    lots: number;
    fill_hours: number;
    setup_hours: number;
    idle_hours: number;
    downtime_hours: number;
  };
  downtime: Array<{ start: string; end: string; reason: string }>;
  reasons: string[];
}

export interface Explanations {
  late_lots: LateLotExplanation[];
  late_lots_total: number;
  score: { total: number; terms: ScoreTerm[] };
  lower_bound: {
    value: number;
    binding: 'none' | 'single-lot' | 'total-work' | 'frozen-prefix' | 'solver';
    argument: string;
    candidates: Array<{ bound: string; value: number }>;
  };
}
