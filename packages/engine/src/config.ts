import { didYouMean } from './suggest';
import { parseIso } from './time';
import type { ValidationIssue, ValidationReport } from './types';

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

const KEY_MAP = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeType(t: ConfigKeyType): string {
  return t === 'null-or-number'
    ? 'a number or null'
    : t === 'integer'
      ? 'an integer'
      : `a${t === 'object' || t === 'array' ? 'n' : ''} ${t}`;
}

function checkScalar(
  spec: ConfigKeySpec,
  v: unknown,
  loc: (string | number)[],
  errors: ValidationIssue[],
): void {
  const t = spec.type;
  if (v === null && (t === 'null-or-number' || spec.default === null)) return;
  if (t === 'boolean') {
    if (typeof v !== 'boolean')
      errors.push({ loc, msg: `${spec.key} must be a boolean`, type: 'type_error.bool' });
    return;
  }
  if (t === 'string') {
    if (typeof v !== 'string')
      errors.push({ loc, msg: `${spec.key} must be a string`, type: 'type_error.str' });
    return;
  }
  if (t === 'object') {
    if (!isPlainObject(v))
      errors.push({ loc, msg: `${spec.key} must be an object`, type: 'type_error.dict' });
    return;
  }
  if (t === 'array') {
    if (!Array.isArray(v)) errors.push({ loc, msg: `${spec.key} must be an array`, type: 'type_error.list' });
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    errors.push({
      loc,
      msg: `${spec.key} must be ${describeType(t)}`,
      type: t === 'integer' ? 'type_error.integer' : 'type_error.float',
    });
    return;
  }
  if (t === 'integer' && !Number.isInteger(v)) {
    errors.push({ loc, msg: `${spec.key} must be an integer`, type: 'type_error.integer' });
    return;
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
    errors.push({
      loc,
      msg: `${spec.key} must be ${spec.exclusiveMin ? 'greater than' : 'at least'} ${spec.min}${spec.unit ? ' ' + spec.unit : ''}`,
      type: spec.exclusiveMin ? 'value_error.number.not_gt' : 'value_error.number.not_ge',
    });
  } else if (spec.max !== undefined && v > spec.max) {
    errors.push({
      loc,
      msg: `${spec.key} must be at most ${spec.max}${spec.unit ? ' ' + spec.unit : ''}`,
      type: 'value_error.number.not_le',
    });
  }
}

/** Validates a changeover matrix {from: {to: hours}}. */
export function checkMatrix(m: unknown, loc: (string | number)[], errors: ValidationIssue[]): void {
  if (m === null || m === undefined) return;
  if (!isPlainObject(m)) {
    errors.push({
      loc,
      msg: 'changeover_matrix must be an object {from_type: {to_type: hours}}',
      type: 'type_error.dict',
    });
    return;
  }
  for (const [from, row] of Object.entries(m)) {
    if (!isPlainObject(row)) {
      errors.push({
        loc: [...loc, from],
        msg: `changeover_matrix['${from}'] must be an object {to_type: hours}`,
        type: 'type_error.dict',
      });
      continue;
    }
    for (const [to, h] of Object.entries(row)) {
      if (typeof h !== 'number' || !Number.isFinite(h) || h < 0 || h > 10000) {
        errors.push({
          loc: [...loc, from, to],
          msg: `changeover from '${from}' to '${to}' must be a number of hours in [0, 10000]`,
          type: 'value_error.number',
        });
      }
    }
  }
}

const LINE_KEYS = new Set(['id', 'name', 'fill_rate_vph', 'changeover_matrix', 'downtime']);

function checkLines(lines: unknown[], errors: ValidationIssue[], warnings: string[]): void {
  if (lines.length === 0)
    errors.push({
      loc: ['config', 'lines'],
      msg: 'lines must not be empty',
      type: 'value_error.list.min_items',
    });
  if (lines.length > INPUT_LIMITS.maxLines) {
    errors.push({
      loc: ['config', 'lines'],
      msg: `at most ${INPUT_LIMITS.maxLines} lines are supported`,
      type: 'value_error.list.max_items',
    });
    return;
  }
  const seen = new Set<string>();
  lines.forEach((ln, i) => {
    const loc = ['config', 'lines', i];
    if (!isPlainObject(ln)) {
      errors.push({
        loc,
        msg: 'a line must be an object {id, name?, fill_rate_vph?, changeover_matrix?, downtime?}',
        type: 'type_error.dict',
      });
      return;
    }
    for (const k of Object.keys(ln))
      if (!LINE_KEYS.has(k))
        warnings.push(`Unknown key '${k}' in config.lines[${i}] is ignored${didYouMean(k, LINE_KEYS)}`);
    const id = ln.id;
    if (
      id === undefined ||
      id === null ||
      (typeof id !== 'string' && typeof id !== 'number') ||
      String(id).trim() === ''
    ) {
      errors.push({
        loc: [...loc, 'id'],
        msg: 'line id is required (a string or a number)',
        type: 'value_error.missing',
      });
    } else if (seen.has(String(id))) {
      errors.push({
        loc: [...loc, 'id'],
        msg: `duplicate line id '${String(id)}'`,
        type: 'value_error.duplicate',
      });
    } else seen.add(String(id));
    if (ln.name !== undefined && ln.name !== null && typeof ln.name !== 'string') {
      errors.push({ loc: [...loc, 'name'], msg: 'line name must be a string', type: 'type_error.str' });
    }
    if (ln.fill_rate_vph !== undefined && ln.fill_rate_vph !== null) {
      const r = ln.fill_rate_vph;
      if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0 || r > 1e9) {
        errors.push({
          loc: [...loc, 'fill_rate_vph'],
          msg: 'fill_rate_vph must be a number greater than 0',
          type: 'value_error.number.not_gt',
        });
      }
    }
    checkMatrix(ln.changeover_matrix, [...loc, 'changeover_matrix'], errors);
    if (ln.downtime !== undefined && ln.downtime !== null) {
      if (!Array.isArray(ln.downtime)) {
        errors.push({
          loc: [...loc, 'downtime'],
          msg: 'downtime must be an array of {start, end, reason?}',
          type: 'type_error.list',
        });
      } else if (ln.downtime.length > INPUT_LIMITS.maxDowntimesPerLine) {
        errors.push({
          loc: [...loc, 'downtime'],
          msg: `at most ${INPUT_LIMITS.maxDowntimesPerLine} downtime windows per line`,
          type: 'value_error.list.max_items',
        });
      } else {
        ln.downtime.forEach((d, di) => {
          const dloc = [...loc, 'downtime', di];
          if (!isPlainObject(d)) {
            errors.push({
              loc: dloc,
              msg: 'downtime must be an object {start, end, reason?}',
              type: 'type_error.dict',
            });
            return;
          }
          const s = parseIso(d.start);
          const e = parseIso(d.end);
          if (s === null)
            errors.push({
              loc: [...dloc, 'start'],
              msg: 'downtime start must be an ISO 8601 date-time',
              type: 'value_error.datetime',
            });
          if (e === null)
            errors.push({
              loc: [...dloc, 'end'],
              msg: 'downtime end must be an ISO 8601 date-time',
              type: 'value_error.datetime',
            });
          if (s !== null && e !== null && e <= s)
            errors.push({
              loc: dloc,
              msg: 'downtime end must be after its start',
              type: 'value_error.window',
            });
          if (d.reason !== undefined && d.reason !== null && typeof d.reason !== 'string') {
            errors.push({
              loc: [...dloc, 'reason'],
              msg: 'downtime reason must be a string',
              type: 'type_error.str',
            });
          }
        });
      }
    }
  });
}

/** Validates a config object: errors for wrong types / ranges, warnings for unknown keys. */
export function validateConfig(config: unknown): ValidationReport {
  const errors: ValidationIssue[] = [];
  const warnings: string[] = [];
  checkConfigInto(config, errors, warnings);
  return { valid: errors.length === 0, errors, warnings };
}

export function checkConfigInto(config: unknown, errors: ValidationIssue[], warnings: string[]): void {
  if (config === undefined || config === null) return;
  if (!isPlainObject(config)) {
    errors.push({ loc: ['config'], msg: 'config must be an object', type: 'type_error.dict' });
    return;
  }
  for (const [key, v] of Object.entries(config)) {
    const spec = KEY_MAP.get(key);
    if (!spec) {
      warnings.push(`Unknown config key '${key}' is ignored${didYouMean(key, KEY_MAP.keys())}`);
      continue;
    }
    if (v === undefined) continue;
    checkScalar(spec, v, ['config', key], errors);
  }
  if (isPlainObject(config.changeover_matrix))
    checkMatrix(config.changeover_matrix, ['config', 'changeover_matrix'], errors);
  if (Array.isArray(config.lines)) checkLines(config.lines, errors, warnings);
  if (
    Array.isArray(config.lines) &&
    typeof config.line_count === 'number' &&
    config.line_count !== config.lines.length
  ) {
    errors.push({
      loc: ['config', 'line_count'],
      msg: `line_count (${config.line_count}) disagrees with the ${config.lines.length} entries of lines`,
      type: 'value_error.line_count',
    });
  }
  if (typeof config.start_time === 'string' && parseIso(config.start_time) === null) {
    errors.push({
      loc: ['config', 'start_time'],
      msg: 'start_time must be an ISO 8601 date-time',
      type: 'value_error.datetime',
    });
  }
  if (typeof config.changeover_time === 'number' && typeof config.changeover_diff_hours === 'number') {
    if (Math.abs(config.changeover_time / 60 - config.changeover_diff_hours) > 1e-9) {
      warnings.push(
        `Both changeover_time (${config.changeover_time} min) and changeover_diff_hours (${config.changeover_diff_hours} h) are given; using changeover_diff_hours`,
      );
    }
  }
}
