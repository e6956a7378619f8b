export { STRATEGY_IDS, STRATEGIES, isStrategyId, type StrategyId } from '@fillsched/contracts/catalogue';
import type { StrategyId } from '@fillsched/contracts/catalogue';
import type { Explanations, LineStart, ReplanContext, ReplanDiff } from './replan-types';
import type { ObjectiveConfig, Score, StabilityCost } from './objective';

/** loc like ['lots_data', 0, 'vials'] or ['config', 'clean_hours'] (the REST layer prefixes 'body'). */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface ValidationReport {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: string[];
}

/** The JSON body of POST /api/v1/schedule (minus name/strategy). */
export interface RawScheduleInput {
  lots_data: unknown;
  config?: unknown;
  start_time?: unknown;
}

/** Fully resolved configuration (every key defaulted). Times in hours unless stated. */
export interface ResolvedConfig {
  line_count: number;
  fill_rate_vph: number;
  clean_hours: number;
  /** null = no cleaning regime (blocks are unbounded). */
  window_hours: number | null;
  initial_clean: boolean;
  changeover_same_hours: number;
  changeover_diff_hours: number;
  changeover_matrix: Record<string, Record<string, number>> | null;
  min_batch_size: number | null;
  max_makespan: number | null;
  priority_weight: number;
  time_limit_s: number;
  seed: number;
  /** config `objective`: weights or lexicographic levels; null = each strategy's default */
  objective: ObjectiveConfig | null;
}

/** A normalized lot. Times are hours relative to the instance start time. */
export interface Lot {
  index: number;
  id: string;
  type: string;
  typeIndex: number;
  vials: number;
  priority: number;
  /** earliest start (hours from start), null = none; clamped at >= 0 */
  startWindow: number | null;
  /** due time (hours from start), null = none (may be negative: already late) */
  endWindow: number | null;
  /** fill hours on each line (index = line index); Infinity = not allowed on that line */
  fill: number[];
}

export interface Downtime {
  start: number;
  end: number;
  reason: string;
}

export interface Line {
  index: number;
  /** 1-based line number used in outputs */
  number: number;
  id: string;
  name: string;
  fillRateVph: number;
  /** sorted, merged, clipped to >= 0 (hours from start) */
  downtime: Downtime[];
  /** index into Instance.matrices (the dense type x type changeover table of this line) or -1 */
  matrix: number;
  /** a replan's frozen prefix: the line starts in this state instead of empty at hour 0 */
  initial?: LineStart;
}

/** A dense changeover table over the instance's types: hours[a * T + b] = changeover from a to b. */
export interface ChangeoverTable {
  hours: Float64Array;
}

/** The normalized, fully-defaulted domain model. Plain data (structured-clone friendly). */
export interface Instance {
  lots: Lot[];
  lines: Line[];
  types: string[];
  /** ISO 8601 (UTC) */
  startTime: string;
  startMs: number;
  config: ResolvedConfig;
  /** dense tables; lines with matrix -1 use the same/different defaults */
  matrices: ChangeoverTable[];
  /** set on a replan job (attachReplan): solve() keeps the parent's frozen prefix */
  replan?: ReplanContext;
}

export interface SolveProgress {
  phase: string;
  percent: number;
  best_makespan: number | null;
  lower_bound: number;
  message: string;
}

export interface SolveOptions {
  strategy: StrategyId;
  seed?: number;
  timeLimitS?: number;
  signal?: AbortSignal;
  onProgress?: (p: SolveProgress) => void;
  /**
   * Cost of a schedule against a parent plan (re-plans): the objective's `stability` term. The
   * strategies' candidates are compared with it; absent = 0.
   */
  stability?: StabilityCost;
}

export interface Activity {
  kind: 'CLEAN' | 'CHANGEOVER' | 'FILL' | 'IDLE' | 'DOWNTIME';
  line: number;
  lot_id?: string;
  type?: string;
  start: string;
  end: string;
  duration: number;
  duration_hours: number;
  reason?: string;
}

export interface ScheduleKpis {
  total_production_time: number;
  average_line_utilization: number;
  on_time_delivery_rate: number;
  changeover_hours: number;
  clean_hours: number;
  cleans: number;
  tardiness_hours: number;
  lower_bound: number;
  gap: number;
  max_makespan_exceeded?: boolean;
  fill_hours: number;
  idle_hours: number;
  downtime_hours: number;
  weighted_tardiness: number;
  lines: number;
  [key: string]: unknown;
}

export interface PerLine {
  line: number;
  line_id: string;
  makespan: number;
  fill_hours: number;
  utilization: number;
  changeovers: number;
  cleans: number;
  lots: number;
}

export interface ScheduleResult {
  makespan: number;
  utilization: number;
  changeovers: number;
  lots_scheduled: number;
  window_violations: number;
  kpis: ScheduleKpis;
  per_line: PerLine[];
  activities: Activity[];
  /** why lots are late, the score per term, the lower bound's binding argument (explain.ts) */
  explanations?: Explanations;
  /** a replan's diff against its parent (replan.ts) */
  replan?: ReplanDiff;
  /** the objective's terms for this schedule (config `objective`) and its value or levels */
  score?: Score;
}

export interface SolveOutput {
  strategy: StrategyId;
  result: ScheduleResult;
  lower_bound: number;
  gap: number;
  execution_time: number;
}
