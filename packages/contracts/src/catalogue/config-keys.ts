// The config-key catalogue: every key a solve config may carry, its type, default, range and unit.
// The engine validates configs against it; the config service, OpenAPI and the REST contracts list it.

export type ConfigKeyType =
  'number' | 'integer' | 'boolean' | 'string' | 'object' | 'array' | 'null-or-number';

export interface ConfigKeySpec {
  key: string;
  type: ConfigKeyType;
  default: unknown;
  min?: number;
  max?: number;
  /** true when the minimum itself is not allowed (e.g. rates must be > 0) */
  exclusiveMin?: boolean;
  unit?: string;
  description: string;
}

/** Documented size limits of one scheduling request. */
export const INPUT_LIMITS = {
  maxLots: 20_000,
  maxLines: 100,
  maxTypes: 5_000,
  maxDowntimesPerLine: 1_000,
} as const;

export const CONFIG_KEYS: ReadonlyArray<ConfigKeySpec> = [
  {
    key: 'line_count',
    type: 'integer',
    default: 1,
    min: 1,
    max: INPUT_LIMITS.maxLines,
    unit: 'lines',
    description: 'Number of identical filling lines (ignored when `lines` is given, which must then agree).',
  },
  {
    key: 'lines',
    type: 'array',
    default: null,
    description:
      'Explicit lines: [{id, name?, fill_rate_vph?, changeover_matrix?, downtime?: [{start, end, reason?}]}]. Downtime times are ISO 8601 (naive = UTC).',
  },
  {
    key: 'fill_rate_vph',
    type: 'number',
    default: 19920,
    min: 0,
    exclusiveMin: true,
    max: 1e9,
    unit: 'vials/hour',
    description: 'Filling rate of every line without its own rate (19920 vials/h = 332 vials/min).',
  },
  {
    key: 'clean_hours',
    type: 'number',
    default: 24,
    min: 0,
    max: 10000,
    unit: 'hours',
    description: 'Duration of a CLEAN that opens each block.',
  },
  {
    key: 'window_hours',
    type: 'null-or-number',
    default: 120,
    min: 0,
    exclusiveMin: true,
    max: 1e6,
    unit: 'hours',
    description:
      'Maximum time from the end of a CLEAN to the end of the last fill of its block; null = no cleaning regime.',
  },
  {
    key: 'initial_clean',
    type: 'boolean',
    default: true,
    description:
      'Whether the first block of each line starts with a CLEAN (otherwise the line is clean at start_time).',
  },
  {
    key: 'changeover_same_hours',
    type: 'number',
    default: 4,
    min: 0,
    max: 10000,
    unit: 'hours',
    description: 'Changeover between two lots of the same type (when no matrix entry applies).',
  },
  {
    key: 'changeover_diff_hours',
    type: 'number',
    default: 8,
    min: 0,
    max: 10000,
    unit: 'hours',
    description: 'Changeover between two lots of different types (when no matrix entry applies).',
  },
  {
    key: 'changeover_matrix',
    type: 'object',
    default: null,
    description:
      'Global changeover matrix {from_type: {to_type: hours}}; a line matrix wins over it, it wins over the same/different defaults.',
  },
  {
    key: 'changeover_time',
    type: 'number',
    default: null,
    min: 0,
    max: 600000,
    unit: 'minutes',
    description:
      "The API guide's shorthand for the different-product changeover (minutes); `changeover_diff_hours` wins when both are given.",
  },
  {
    key: 'min_batch_size',
    type: 'integer',
    default: null,
    min: 0,
    max: 1e12,
    unit: 'vials',
    description: 'Lots with fewer vials are a validation error.',
  },
  {
    key: 'max_makespan',
    type: 'null-or-number',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 1e9,
    unit: 'hours',
    description: 'Target makespan; exceeding it is reported in kpis.max_makespan_exceeded, not fatal.',
  },
  {
    key: 'priority_weight',
    type: 'number',
    default: 1,
    min: 0,
    max: 1e6,
    description:
      'Weight of priority-weighted tardiness (Σ (1 + max(priority,0)) · tardiness hours) against makespan in cfs-pack and hybrid-pack.',
  },
  {
    key: 'objective',
    type: 'object',
    default: null,
    description:
      "What every strategy optimises: weights {makespan?, tardiness?, changeover_hours?, stability?} (numbers ≥ 0, at least one > 0; tardiness = Σ (1 + max(priority,0)) · hours late; stability only counts in re-plans), or an ordered array of those terms compared lexicographically (a higher level always wins), e.g. ['tardiness', 'makespan']. Default null: makespan (cfs-pack, hybrid-pack and milp-opt add priority_weight · tardiness). The result reports `score` per term.",
  },
  {
    key: 'time_limit_s',
    type: 'number',
    default: 10,
    min: 0,
    exclusiveMin: true,
    // The solvers' cap (contracts MAX_TIME_LIMIT_S): above it is an error, not a silent clamp.
    max: 300,
    unit: 'seconds',
    description: 'Wall-clock budget of a strategy run (heuristics usually stop much earlier).',
  },
  {
    key: 'seed',
    type: 'integer',
    default: 0,
    min: 0,
    max: 2 ** 31 - 1,
    description: 'Random seed; a run is deterministic for a given seed (unless cut by the time limit).',
  },
  {
    key: 'start_time',
    type: 'string',
    default: null,
    description:
      'Schedule start (ISO 8601, naive = UTC). Default: the earliest start_window, else 2025-01-01T00:00:00Z.',
  },
];
