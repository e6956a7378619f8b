import { CONFIG_KEYS, INPUT_LIMITS, checkConfigInto, isPlainObject } from './config';
import { resolveObjectiveConfig } from './objective-config';
import { didYouMean } from './suggest';
import { DEFAULT_START_TIME, MS_PER_HOUR, parseIso, toIso } from './time';
import type {
  ChangeoverTable,
  Downtime,
  Instance,
  Line,
  Lot,
  RawScheduleInput,
  ResolvedConfig,
  ValidationIssue,
  ValidationReport,
} from './types';

export type NormalizeOutcome =
  | { ok: true; instance: Instance; warnings: string[] }
  | { ok: false; errors: ValidationIssue[]; warnings: string[] };

const LOT_KEYS = new Set([
  'lot_id',
  'type',
  'product',
  'lot_type',
  'vials',
  'quantity',
  'priority',
  'start_window',
  'end_window',
  'fill_hours',
  'fill_hours_by_line',
]);
const MAX_WARNINGS_PER_KIND = 20;
const MAX_ERRORS = 1000;
/** Bound on the dense changeover tables (types² × distinct tables). */
const MAX_MATRIX_CELLS = 16_000_000;
const EPS = 1e-9;

class Warnings {
  readonly list: string[] = [];
  private readonly counts = new Map<string, number>();
  add(kind: string, msg: string): void {
    const c = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, c);
    if (c <= MAX_WARNINGS_PER_KIND) this.list.push(msg);
  }
  finish(): string[] {
    for (const [kind, c] of this.counts) {
      if (c > MAX_WARNINGS_PER_KIND)
        this.list.push(`... and ${c - MAX_WARNINGS_PER_KIND} more warnings like the above (${kind})`);
    }
    return this.list;
  }
}

function configValue<T>(cfg: Record<string, unknown>, key: string): T {
  const v = cfg[key];
  if (v !== undefined) return v as T;
  return CONFIG_KEYS.find((k) => k.key === key)!.default as T;
}

function toInteger(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?(e[+-]?\d+)?\s*$/i.test(v)) return Number(v);
  return null;
}

function fmtHours(h: number): string {
  return `${Math.round(h * 100) / 100} h`;
}

/** Normalizes and validates a schedule request. Never throws on bad input; returns errors instead. */
export function normalizeInput(raw: RawScheduleInput): NormalizeOutcome {
  const errors: ValidationIssue[] = [];
  const warn = new Warnings();
  const cfgWarnings: string[] = [];
  try {
    return normalizeInner(raw, errors, warn, cfgWarnings);
  } catch (e) {
    errors.push({
      loc: [],
      msg: `invalid input: ${(e as Error)?.message ?? String(e)}`,
      type: 'value_error',
    });
    return { ok: false, errors, warnings: [...cfgWarnings, ...warn.finish()] };
  }
}

function normalizeInner(
  raw: RawScheduleInput,
  errors: ValidationIssue[],
  warn: Warnings,
  cfgWarnings: string[],
): NormalizeOutcome {
  const fail = (): NormalizeOutcome => ({
    ok: false,
    errors: errors.slice(0, MAX_ERRORS),
    warnings: [...cfgWarnings, ...warn.finish()],
  });
  if (!isPlainObject(raw)) {
    errors.push({ loc: [], msg: 'body must be an object with lots_data', type: 'type_error.dict' });
    return fail();
  }
  checkConfigInto(raw.config, errors, cfgWarnings);
  const cfg: Record<string, unknown> = isPlainObject(raw.config) ? raw.config : {};

  // ---- start time
  let startMs: number | null = null;
  const startRaw = raw.start_time ?? cfg.start_time;
  if (startRaw !== undefined && startRaw !== null) {
    startMs = parseIso(startRaw);
    if (startMs === null) {
      errors.push({
        loc: [
          raw.start_time !== undefined ? 'start_time' : 'config',
          ...(raw.start_time !== undefined ? [] : ['start_time']),
        ],
        msg: 'start_time must be an ISO 8601 date-time',
        type: 'value_error.datetime',
      });
    }
  }

  // ---- lines
  const linesRaw = Array.isArray(cfg.lines) ? (cfg.lines as unknown[]) : null;
  const lineCount = linesRaw ? linesRaw.length : configValue<number>(cfg, 'line_count');
  const lineIds: string[] = [];
  if (linesRaw) {
    linesRaw.forEach((l, i) =>
      lineIds.push(isPlainObject(l) && l.id !== undefined && l.id !== null ? String(l.id) : `#${i + 1}`),
    );
  } else if (
    typeof lineCount === 'number' &&
    Number.isInteger(lineCount) &&
    lineCount >= 1 &&
    lineCount <= INPUT_LIMITS.maxLines
  ) {
    for (let i = 0; i < lineCount; i++) lineIds.push(String(i + 1));
  }
  const lineIdSet = new Set(lineIds);

  // ---- lots
  const lotsRaw = raw.lots_data;
  if (!Array.isArray(lotsRaw)) {
    errors.push({
      loc: ['lots_data'],
      msg: 'lots_data must be a list of lots',
      type: lotsRaw === undefined ? 'value_error.missing' : 'type_error.list',
    });
    return fail();
  }
  if (lotsRaw.length === 0) {
    errors.push({
      loc: ['lots_data'],
      msg: 'lots_data must contain at least one lot',
      type: 'value_error.list.min_items',
    });
    return fail();
  }
  if (lotsRaw.length > INPUT_LIMITS.maxLots) {
    errors.push({
      loc: ['lots_data'],
      msg: `at most ${INPUT_LIMITS.maxLots} lots per request (got ${lotsRaw.length})`,
      type: 'value_error.list.max_items',
    });
    return fail();
  }
  interface Pre {
    id: string;
    type: string;
    vials: number;
    priority: number;
    sw: number | null;
    ew: number | null;
    fillHours: number | null;
    byLine: Map<string, number> | null;
  }
  const pre: Pre[] = [];
  const ids = new Map<string, number>();
  const minBatch = typeof cfg.min_batch_size === 'number' ? cfg.min_batch_size : null;
  lotsRaw.forEach((lot, i) => {
    if (errors.length > MAX_ERRORS) return;
    const loc = (f?: string): (string | number)[] => (f ? ['lots_data', i, f] : ['lots_data', i]);
    if (!isPlainObject(lot)) {
      errors.push({ loc: loc(), msg: 'a lot must be an object', type: 'type_error.dict' });
      return;
    }
    let ok = true;
    // id
    const idRaw = lot.lot_id;
    let id = '';
    if (idRaw === undefined || idRaw === null) {
      errors.push({ loc: loc('lot_id'), msg: 'field required', type: 'value_error.missing' });
      ok = false;
    } else if (typeof idRaw !== 'string' && typeof idRaw !== 'number') {
      errors.push({ loc: loc('lot_id'), msg: 'lot_id must be a string', type: 'type_error.str' });
      ok = false;
    } else {
      id = String(idRaw).trim();
      if (id.length === 0) {
        errors.push({
          loc: loc('lot_id'),
          msg: 'lot_id must not be empty',
          type: 'value_error.any_str.min_length',
        });
        ok = false;
      } else if (id.length > 64) {
        errors.push({
          loc: loc('lot_id'),
          msg: 'lot_id must be at most 64 characters',
          type: 'value_error.any_str.max_length',
        });
        ok = false;
      } else if (ids.has(id)) {
        errors.push({
          loc: loc('lot_id'),
          msg: `duplicate lot_id '${id}' (first used by lots_data[${ids.get(id)}])`,
          type: 'value_error.duplicate',
        });
        ok = false;
      } else ids.set(id, i);
    }
    const name = id || `#${i}`;
    for (const k of Object.keys(lot))
      if (!LOT_KEYS.has(k))
        warn.add(
          'unknown lot field',
          `Unknown field '${k}' in lot ${name} is ignored${didYouMean(k, LOT_KEYS)}`,
        );
    // type
    const typeKey =
      lot.type !== undefined
        ? 'type'
        : lot.product !== undefined
          ? 'product'
          : lot.lot_type !== undefined
            ? 'lot_type'
            : 'type';
    const typeRaw = lot[typeKey];
    let type = '';
    if (typeRaw === undefined || typeRaw === null) {
      errors.push({
        loc: loc('type'),
        msg: `field required (type of lot ${name}; aliases: product, lot_type)`,
        type: 'value_error.missing',
      });
      ok = false;
    } else if (typeof typeRaw !== 'string' && typeof typeRaw !== 'number') {
      errors.push({ loc: loc(typeKey), msg: 'type must be a string', type: 'type_error.str' });
      ok = false;
    } else {
      type = String(typeRaw).trim();
      if (type.length === 0) {
        errors.push({
          loc: loc(typeKey),
          msg: `type of lot ${name} must not be empty`,
          type: 'value_error.any_str.min_length',
        });
        ok = false;
      }
    }
    // fill hours overrides
    let fillHours: number | null = null;
    if (lot.fill_hours !== undefined && lot.fill_hours !== null) {
      const fh = toInteger(lot.fill_hours);
      if (fh === null || !(fh > 0) || fh > 1e6) {
        errors.push({
          loc: loc('fill_hours'),
          msg: 'fill_hours must be a number of hours greater than 0',
          type: 'value_error.number.not_gt',
        });
        ok = false;
      } else fillHours = fh;
    }
    let byLine: Map<string, number> | null = null;
    if (lot.fill_hours_by_line !== undefined && lot.fill_hours_by_line !== null) {
      if (!isPlainObject(lot.fill_hours_by_line)) {
        errors.push({
          loc: loc('fill_hours_by_line'),
          msg: 'fill_hours_by_line must be an object {line_id: hours}',
          type: 'type_error.dict',
        });
        ok = false;
      } else {
        byLine = new Map();
        for (const [lk, hv] of Object.entries(lot.fill_hours_by_line)) {
          const h = toInteger(hv);
          if (!lineIdSet.has(lk)) {
            errors.push({
              loc: [...loc('fill_hours_by_line'), lk],
              msg: `unknown line '${lk}' (known lines: ${lineIds.slice(0, 20).join(', ')})`,
              type: 'value_error.unknown_line',
            });
            ok = false;
          } else if (h === null || !(h > 0) || h > 1e6) {
            errors.push({
              loc: [...loc('fill_hours_by_line'), lk],
              msg: 'fill hours must be a number greater than 0',
              type: 'value_error.number.not_gt',
            });
            ok = false;
          } else byLine.set(lk, h);
        }
        if (ok && byLine.size === 0) {
          errors.push({
            loc: loc('fill_hours_by_line'),
            msg: `lot ${name} may run on no line (fill_hours_by_line is empty)`,
            type: 'value_error.no_line',
          });
          ok = false;
        }
      }
    }
    // vials
    const vialsKey = lot.vials !== undefined ? 'vials' : lot.quantity !== undefined ? 'quantity' : 'vials';
    const vialsRaw = lot[vialsKey];
    let vials = 0;
    if (vialsRaw === undefined || vialsRaw === null || vialsRaw === '') {
      if (fillHours === null && byLine === null) {
        errors.push({
          loc: loc('vials'),
          msg: `field required (vials of lot ${name}; alias: quantity)`,
          type: 'value_error.missing',
        });
        ok = false;
      }
    } else {
      const v = toInteger(vialsRaw);
      if (v === null) {
        errors.push({
          loc: loc(vialsKey),
          msg: `vials of lot ${name} must be a positive integer`,
          type: 'type_error.integer',
        });
        ok = false;
      } else if (!Number.isInteger(v)) {
        errors.push({
          loc: loc(vialsKey),
          msg: `vials of lot ${name} must be an integer (got ${v})`,
          type: 'type_error.integer',
        });
        ok = false;
      } else if (v <= 0) {
        errors.push({
          loc: loc(vialsKey),
          msg: `vials of lot ${name} must be greater than 0 (got ${v})`,
          type: 'value_error.number.not_gt',
        });
        ok = false;
      } else if (v > 1e12) {
        errors.push({
          loc: loc(vialsKey),
          msg: `vials of lot ${name} must be at most 1e12`,
          type: 'value_error.number.not_le',
        });
        ok = false;
      } else {
        vials = v;
        if (minBatch !== null && v < minBatch) {
          errors.push({
            loc: loc(vialsKey),
            msg: `lot ${name} has ${v} vials, below min_batch_size ${minBatch}`,
            type: 'value_error.min_batch_size',
          });
          ok = false;
        }
      }
    }
    // priority
    let priority = 0;
    if (lot.priority === undefined || lot.priority === null) {
      warn.add("missing 'priority'", `Missing 'priority' field for lot ${name}, defaulting to 0`);
    } else {
      const p = toInteger(lot.priority);
      if (p === null || !Number.isInteger(p) || Math.abs(p) > 1e9) {
        errors.push({
          loc: loc('priority'),
          msg: `priority of lot ${name} must be an integer`,
          type: 'type_error.integer',
        });
        ok = false;
      } else priority = p;
    }
    // windows
    let sw: number | null = null;
    let ew: number | null = null;
    if (lot.start_window !== undefined && lot.start_window !== null) {
      sw = parseIso(lot.start_window);
      if (sw === null) {
        errors.push({
          loc: loc('start_window'),
          msg: `start_window of lot ${name} must be an ISO 8601 date-time`,
          type: 'value_error.datetime',
        });
        ok = false;
      }
    }
    if (lot.end_window !== undefined && lot.end_window !== null) {
      ew = parseIso(lot.end_window);
      if (ew === null) {
        errors.push({
          loc: loc('end_window'),
          msg: `end_window of lot ${name} must be an ISO 8601 date-time`,
          type: 'value_error.datetime',
        });
        ok = false;
      }
    }
    if (sw !== null && ew !== null && sw > ew) {
      errors.push({
        loc: loc('start_window'),
        msg: `start_window of lot ${name} is after its end_window`,
        type: 'value_error.window',
      });
      ok = false;
    }
    if (ok) pre.push({ id, type, vials, priority, sw, ew, fillHours, byLine });
  });
  if (errors.length > 0) return fail();

  // ---- resolved config
  const config: ResolvedConfig = {
    line_count: lineIds.length,
    fill_rate_vph: configValue<number>(cfg, 'fill_rate_vph'),
    clean_hours: configValue<number>(cfg, 'clean_hours'),
    window_hours: configValue<number | null>(cfg, 'window_hours'),
    initial_clean: configValue<boolean>(cfg, 'initial_clean'),
    changeover_same_hours: configValue<number>(cfg, 'changeover_same_hours'),
    changeover_diff_hours:
      cfg.changeover_diff_hours !== undefined
        ? (cfg.changeover_diff_hours as number)
        : typeof cfg.changeover_time === 'number'
          ? cfg.changeover_time / 60
          : configValue<number>(cfg, 'changeover_diff_hours'),
    changeover_matrix: isPlainObject(cfg.changeover_matrix)
      ? (cfg.changeover_matrix as Record<string, Record<string, number>>)
      : null,
    min_batch_size: minBatch,
    max_makespan: configValue<number | null>(cfg, 'max_makespan'),
    priority_weight: configValue<number>(cfg, 'priority_weight'),
    time_limit_s: configValue<number>(cfg, 'time_limit_s'),
    seed: configValue<number>(cfg, 'seed'),
    objective: resolveObjectiveConfig(cfg.objective),
  };
  if (config.changeover_same_hours > config.changeover_diff_hours) {
    cfgWarnings.push(
      `changeover_same_hours (${config.changeover_same_hours} h) exceeds the different-product changeover (${config.changeover_diff_hours} h)`,
    );
  }
  if (startMs === null) {
    let minSw = Infinity;
    for (const p of pre) if (p.sw !== null && p.sw < minSw) minSw = p.sw;
    startMs = Number.isFinite(minSw) ? minSw : parseIso(DEFAULT_START_TIME)!;
  }

  // ---- types
  const typeIndex = new Map<string, number>();
  const types: string[] = [];
  for (const p of pre) {
    if (!typeIndex.has(p.type)) {
      typeIndex.set(p.type, types.length);
      types.push(p.type);
    }
  }
  const T = types.length;

  // ---- lines
  const lines: Line[] = [];
  const lineMatrices: (Record<string, Record<string, number>> | null)[] = [];
  for (let i = 0; i < lineIds.length; i++) {
    const l = linesRaw && isPlainObject(linesRaw[i]) ? (linesRaw[i] as Record<string, unknown>) : {};
    const rate = typeof l.fill_rate_vph === 'number' ? l.fill_rate_vph : config.fill_rate_vph;
    const downtime: Downtime[] = [];
    if (Array.isArray(l.downtime)) {
      for (const d of l.downtime as Record<string, unknown>[]) {
        const s = (parseIso(d.start)! - startMs) / MS_PER_HOUR;
        const e = (parseIso(d.end)! - startMs) / MS_PER_HOUR;
        if (e <= 0) continue;
        downtime.push({
          start: Math.max(0, s),
          end: e,
          reason: typeof d.reason === 'string' ? d.reason : 'maintenance',
        });
      }
    }
    downtime.sort((a, b) => a.start - b.start);
    const merged: Downtime[] = [];
    for (const d of downtime) {
      const last = merged[merged.length - 1];
      if (last && d.start <= last.end) {
        last.end = Math.max(last.end, d.end);
        if (!last.reason.includes(d.reason)) last.reason += `; ${d.reason}`;
      } else merged.push({ ...d });
    }
    lines.push({
      index: i,
      number: i + 1,
      id: lineIds[i],
      name: typeof l.name === 'string' ? l.name : `Line ${lineIds[i]}`,
      fillRateVph: rate,
      downtime: merged,
      matrix: -1,
    });
    lineMatrices.push(
      isPlainObject(l.changeover_matrix)
        ? (l.changeover_matrix as Record<string, Record<string, number>>)
        : null,
    );
  }
  // changeover tables
  const matrices: ChangeoverTable[] = [];
  const needGlobal = config.changeover_matrix !== null && lineMatrices.some((m) => m === null);
  const distinct = (needGlobal ? 1 : 0) + lineMatrices.filter((m) => m !== null).length;
  if (distinct > 0 && T * T * distinct > MAX_MATRIX_CELLS) {
    errors.push({
      loc: ['config', 'changeover_matrix'],
      msg: `too many product types (${T}) for changeover matrices on ${distinct} line(s); at most ${Math.floor(Math.sqrt(MAX_MATRIX_CELLS / distinct))} types are supported with a matrix`,
      type: 'value_error.limit',
    });
    return fail();
  }
  const build = (...layers: (Record<string, Record<string, number>> | null)[]): ChangeoverTable => {
    const hours = new Float64Array(T * T);
    for (let a = 0; a < T; a++)
      for (let b = 0; b < T; b++)
        hours[a * T + b] = a === b ? config.changeover_same_hours : config.changeover_diff_hours;
    for (const layer of layers) {
      if (!layer) continue;
      for (const [from, row] of Object.entries(layer)) {
        const a = typeIndex.get(from);
        if (a === undefined) continue;
        for (const [to, h] of Object.entries(row)) {
          const b = typeIndex.get(to);
          if (b !== undefined) hours[a * T + b] = h;
        }
      }
    }
    return { hours };
  };
  let globalIdx = -1;
  if (needGlobal) {
    matrices.push(build(config.changeover_matrix));
    globalIdx = 0;
  }
  for (let i = 0; i < lines.length; i++) {
    if (lineMatrices[i]) {
      matrices.push(build(config.changeover_matrix, lineMatrices[i]));
      lines[i].matrix = matrices.length - 1;
    } else lines[i].matrix = globalIdx;
  }

  // ---- lots with fill hours and the window check
  const W = config.window_hours;
  const lots: Lot[] = [];
  for (let i = 0; i < pre.length; i++) {
    const p = pre[i];
    const fill: number[] = new Array(lines.length);
    let feasibleAny = false;
    let allowedAny = false;
    for (let k = 0; k < lines.length; k++) {
      let f: number;
      if (p.byLine) f = p.byLine.get(lines[k].id) ?? Infinity;
      else if (p.fillHours !== null) f = p.fillHours;
      else f = p.vials / lines[k].fillRateVph;
      fill[k] = f;
      if (Number.isFinite(f)) allowedAny = true;
      if (Number.isFinite(f) && (W === null || f <= W + EPS)) feasibleAny = true;
    }
    if (!allowedAny) {
      errors.push({
        loc: ['lots_data', i],
        msg: `lot ${p.id} may run on no line`,
        type: 'value_error.no_line',
      });
      continue;
    }
    if (!feasibleAny) {
      const minFill = Math.min(...fill);
      let msg = `lot ${p.id} needs ${fmtHours(minFill)} of filling on its best line, longer than the ${W} h cleaning window of every line`;
      if (!p.byLine && p.fillHours === null) {
        const maxRate = Math.max(...lines.map((l) => l.fillRateVph));
        msg += `; the largest admissible lot has ${Math.floor((W! + EPS) * maxRate)} vials`;
      } else msg += `; fill hours must be at most ${W} h`;
      errors.push({
        loc: [
          'lots_data',
          i,
          p.byLine ? 'fill_hours_by_line' : p.fillHours !== null ? 'fill_hours' : 'vials',
        ],
        msg,
        type: 'value_error.lot_too_large',
      });
      continue;
    }
    if (W !== null) for (let k = 0; k < fill.length; k++) if (fill[k] > W + EPS) fill[k] = Infinity;
    lots.push({
      index: i,
      id: p.id,
      type: p.type,
      typeIndex: typeIndex.get(p.type)!,
      vials: p.vials,
      priority: p.priority,
      startWindow: p.sw === null ? null : Math.max(0, (p.sw - startMs) / MS_PER_HOUR),
      endWindow: p.ew === null ? null : (p.ew - startMs) / MS_PER_HOUR,
      fill,
    });
  }
  if (errors.length > 0) return fail();
  const instance: Instance = { lots, lines, types, startTime: toIso(startMs), startMs, config, matrices };
  return { ok: true, instance, warnings: [...cfgWarnings, ...warn.finish()] };
}

/** `{valid, errors, warnings}` as in the API guide's POST /schedule/validate. */
export function validateInput(raw: RawScheduleInput): ValidationReport {
  const out = normalizeInput(raw);
  return out.ok
    ? { valid: true, errors: [], warnings: out.warnings }
    : { valid: false, errors: out.errors, warnings: out.warnings };
}

/** Changeover hours on line k from type a to type b. */
export function changeover(inst: Instance, k: number, a: number, b: number): number {
  const mi = inst.lines[k].matrix;
  if (mi >= 0) return inst.matrices[mi].hours[a * inst.types.length + b];
  return a === b ? inst.config.changeover_same_hours : inst.config.changeover_diff_hours;
}
