import {
  CONFIG_KEYS,
  INPUT_LIMITS,
  didYouMean,
  type ConfigKeySpec,
  type ConfigKeyType,
} from '@fillsched/contracts/catalogue';
import { checkObjective } from './objective-config';
import { parseIso } from './time';
import type { ValidationIssue, ValidationReport } from './types';

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
    if (key === 'objective') checkObjective(v, errors);
    else checkScalar(spec, v, ['config', key], errors);
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
