import { INPUT_LIMITS, didYouMean } from '@fillsched/contracts/catalogue';
import { isPlainObject } from '../config';
import { MS_PER_HOUR, parseIso } from '../time';
import type { Line, Lot, ValidationIssue } from '../types';
import { MAX_ERRORS, toNumber, type Issues } from './issues';

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
const EPS = 1e-9;

/** A lot as read from the request: fields checked, times still epoch ms, no line yet. */
export interface ReadLot {
  id: string;
  type: string;
  vials: number;
  priority: number;
  sw: number | null;
  ew: number | null;
  fillHours: number | null;
  byLine: Map<string, number> | null;
}

/** One lot's fields being read: where its issues point and whether it is still valid. */
class LotFields {
  ok = true;
  constructor(
    readonly lot: Record<string, unknown>,
    readonly index: number,
    readonly issues: Issues,
  ) {}
  name = '';
  loc(f?: string): (string | number)[] {
    return f ? ['lots_data', this.index, f] : ['lots_data', this.index];
  }
  fail(issue: ValidationIssue): void {
    this.issues.errors.push(issue);
    this.ok = false;
  }
}

/** The size check of `lots_data`; true when it may be read lot by lot. */
export function checkLotsList(lotsRaw: unknown, errors: ValidationIssue[]): lotsRaw is unknown[] {
  if (!Array.isArray(lotsRaw)) {
    errors.push({
      loc: ['lots_data'],
      msg: 'lots_data must be a list of lots',
      type: lotsRaw === undefined ? 'value_error.missing' : 'type_error.list',
    });
    return false;
  }
  if (lotsRaw.length === 0) {
    errors.push({
      loc: ['lots_data'],
      msg: 'lots_data must contain at least one lot',
      type: 'value_error.list.min_items',
    });
    return false;
  }
  if (lotsRaw.length > INPUT_LIMITS.maxLots) {
    errors.push({
      loc: ['lots_data'],
      msg: `at most ${INPUT_LIMITS.maxLots} lots per request (got ${lotsRaw.length})`,
      type: 'value_error.list.max_items',
    });
    return false;
  }
  return true;
}

/**
 * Reads every lot: id (unique), type (aliases product, lot_type), fill-hour overrides (on known
 * lines), vials (alias quantity; at least min_batch_size), priority, windows. Unknown fields are
 * warnings; a lot with an error is left out (the caller stops on any error).
 */
export function readLots(
  lotsRaw: unknown[],
  ctx: { lineIds: string[]; minBatch: number | null },
  issues: Issues,
): ReadLot[] {
  const out: ReadLot[] = [];
  const ids = new Map<string, number>();
  const lineIdSet = new Set(ctx.lineIds);
  lotsRaw.forEach((lot, i) => {
    if (issues.errors.length > MAX_ERRORS) return;
    if (!isPlainObject(lot)) {
      issues.errors.push({ loc: ['lots_data', i], msg: 'a lot must be an object', type: 'type_error.dict' });
      return;
    }
    const f = new LotFields(lot, i, issues);
    const id = lotId(f, ids);
    f.name = id || `#${i}`;
    for (const k of Object.keys(lot))
      if (!LOT_KEYS.has(k))
        issues.warn.add(
          'unknown lot field',
          `Unknown field '${k}' in lot ${f.name} is ignored${didYouMean(k, LOT_KEYS)}`,
        );
    const type = lotType(f);
    const fillHours = fillHoursOf(f);
    const byLine = fillHoursByLine(f, ctx.lineIds, lineIdSet);
    const vials = vialsOf(f, fillHours === null && byLine === null, ctx.minBatch);
    const priority = priorityOf(f);
    const { sw, ew } = windowsOf(f);
    if (f.ok) out.push({ id, type, vials, priority, sw, ew, fillHours, byLine });
  });
  return out;
}

function lotId(f: LotFields, ids: Map<string, number>): string {
  const idRaw = f.lot.lot_id;
  if (idRaw === undefined || idRaw === null) {
    f.fail({ loc: f.loc('lot_id'), msg: 'field required', type: 'value_error.missing' });
    return '';
  }
  if (typeof idRaw !== 'string' && typeof idRaw !== 'number') {
    f.fail({ loc: f.loc('lot_id'), msg: 'lot_id must be a string', type: 'type_error.str' });
    return '';
  }
  const id = String(idRaw).trim();
  if (id.length === 0)
    f.fail({ loc: f.loc('lot_id'), msg: 'lot_id must not be empty', type: 'value_error.any_str.min_length' });
  else if (id.length > 64)
    f.fail({
      loc: f.loc('lot_id'),
      msg: 'lot_id must be at most 64 characters',
      type: 'value_error.any_str.max_length',
    });
  else if (ids.has(id))
    f.fail({
      loc: f.loc('lot_id'),
      msg: `duplicate lot_id '${id}' (first used by lots_data[${ids.get(id)}])`,
      type: 'value_error.duplicate',
    });
  else ids.set(id, f.index);
  return id;
}

function lotType(f: LotFields): string {
  const { lot, name } = f;
  const typeKey =
    lot.type !== undefined
      ? 'type'
      : lot.product !== undefined
        ? 'product'
        : lot.lot_type !== undefined
          ? 'lot_type'
          : 'type';
  const typeRaw = lot[typeKey];
  if (typeRaw === undefined || typeRaw === null) {
    f.fail({
      loc: f.loc('type'),
      msg: `field required (type of lot ${name}; aliases: product, lot_type)`,
      type: 'value_error.missing',
    });
    return '';
  }
  if (typeof typeRaw !== 'string' && typeof typeRaw !== 'number') {
    f.fail({ loc: f.loc(typeKey), msg: 'type must be a string', type: 'type_error.str' });
    return '';
  }
  const type = String(typeRaw).trim();
  if (type.length === 0)
    f.fail({
      loc: f.loc(typeKey),
      msg: `type of lot ${name} must not be empty`,
      type: 'value_error.any_str.min_length',
    });
  return type;
}

function fillHoursOf(f: LotFields): number | null {
  const raw = f.lot.fill_hours;
  if (raw === undefined || raw === null) return null;
  const fh = toNumber(raw);
  if (fh === null || !(fh > 0) || fh > 1e6) {
    f.fail({
      loc: f.loc('fill_hours'),
      msg: 'fill_hours must be a number of hours greater than 0',
      type: 'value_error.number.not_gt',
    });
    return null;
  }
  return fh;
}

function fillHoursByLine(
  f: LotFields,
  lineIds: string[],
  lineIdSet: Set<string>,
): Map<string, number> | null {
  const raw = f.lot.fill_hours_by_line;
  if (raw === undefined || raw === null) return null;
  if (!isPlainObject(raw)) {
    f.fail({
      loc: f.loc('fill_hours_by_line'),
      msg: 'fill_hours_by_line must be an object {line_id: hours}',
      type: 'type_error.dict',
    });
    return null;
  }
  const byLine = new Map<string, number>();
  for (const [lk, hv] of Object.entries(raw)) {
    const h = toNumber(hv);
    if (!lineIdSet.has(lk))
      f.fail({
        loc: [...f.loc('fill_hours_by_line'), lk],
        msg: `unknown line '${lk}' (known lines: ${lineIds.slice(0, 20).join(', ')})`,
        type: 'value_error.unknown_line',
      });
    else if (h === null || !(h > 0) || h > 1e6)
      f.fail({
        loc: [...f.loc('fill_hours_by_line'), lk],
        msg: 'fill hours must be a number greater than 0',
        type: 'value_error.number.not_gt',
      });
    else byLine.set(lk, h);
  }
  if (f.ok && byLine.size === 0)
    f.fail({
      loc: f.loc('fill_hours_by_line'),
      msg: `lot ${f.name} may run on no line (fill_hours_by_line is empty)`,
      type: 'value_error.no_line',
    });
  return byLine;
}

/** Vials (alias quantity): required unless fill hours are given; 0 when absent or invalid. */
function vialsOf(f: LotFields, required: boolean, minBatch: number | null): number {
  const { lot, name } = f;
  const vialsKey = lot.vials !== undefined ? 'vials' : lot.quantity !== undefined ? 'quantity' : 'vials';
  const vialsRaw = lot[vialsKey];
  if (vialsRaw === undefined || vialsRaw === null || vialsRaw === '') {
    if (required)
      f.fail({
        loc: f.loc('vials'),
        msg: `field required (vials of lot ${name}; alias: quantity)`,
        type: 'value_error.missing',
      });
    return 0;
  }
  const v = toNumber(vialsRaw);
  const loc = f.loc(vialsKey);
  if (v === null)
    f.fail({ loc, msg: `vials of lot ${name} must be a positive integer`, type: 'type_error.integer' });
  else if (!Number.isInteger(v))
    f.fail({ loc, msg: `vials of lot ${name} must be an integer (got ${v})`, type: 'type_error.integer' });
  else if (v <= 0)
    f.fail({
      loc,
      msg: `vials of lot ${name} must be greater than 0 (got ${v})`,
      type: 'value_error.number.not_gt',
    });
  else if (v > 1e12)
    f.fail({ loc, msg: `vials of lot ${name} must be at most 1e12`, type: 'value_error.number.not_le' });
  else {
    if (minBatch !== null && v < minBatch)
      f.fail({
        loc,
        msg: `lot ${name} has ${v} vials, below min_batch_size ${minBatch}`,
        type: 'value_error.min_batch_size',
      });
    return v;
  }
  return 0;
}

function priorityOf(f: LotFields): number {
  const raw = f.lot.priority;
  if (raw === undefined || raw === null) {
    f.issues.warn.add("missing 'priority'", `Missing 'priority' field for lot ${f.name}, defaulting to 0`);
    return 0;
  }
  const p = toNumber(raw);
  if (p === null || !Number.isInteger(p) || Math.abs(p) > 1e9) {
    f.fail({
      loc: f.loc('priority'),
      msg: `priority of lot ${f.name} must be an integer`,
      type: 'type_error.integer',
    });
    return 0;
  }
  return p;
}

function windowsOf(f: LotFields): { sw: number | null; ew: number | null } {
  const at = (key: 'start_window' | 'end_window'): number | null => {
    const raw = f.lot[key];
    if (raw === undefined || raw === null) return null;
    const ms = parseIso(raw);
    if (ms === null)
      f.fail({
        loc: f.loc(key),
        msg: `${key} of lot ${f.name} must be an ISO 8601 date-time`,
        type: 'value_error.datetime',
      });
    return ms;
  };
  const sw = at('start_window');
  const ew = at('end_window');
  if (sw !== null && ew !== null && sw > ew)
    f.fail({
      loc: f.loc('start_window'),
      msg: `start_window of lot ${f.name} is after its end_window`,
      type: 'value_error.window',
    });
  return { sw, ew };
}

/** Product types in order of first appearance, and each one's index. */
export function typesOf(lots: ReadLot[]): { types: string[]; typeIndex: Map<string, number> } {
  const typeIndex = new Map<string, number>();
  const types: string[] = [];
  for (const p of lots) {
    if (!typeIndex.has(p.type)) {
      typeIndex.set(p.type, types.length);
      types.push(p.type);
    }
  }
  return { types, typeIndex };
}

/**
 * The lots with their fill hours per line (Infinity where a lot may not run, or where it would not
 * fit in the cleaning window `windowHours`) and windows in hours from `startMs`. A lot that fits on
 * no line is an error naming the largest admissible lot.
 */
export function placeLots(
  read: ReadLot[],
  ctx: { lines: Line[]; typeIndex: Map<string, number>; windowHours: number | null; startMs: number },
  errors: ValidationIssue[],
): Lot[] {
  const { lines, startMs } = ctx;
  const W = ctx.windowHours;
  const lots: Lot[] = [];
  for (let i = 0; i < read.length; i++) {
    const p = read[i];
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
      errors.push(tooLarge(p, i, fill, lines, W!));
      continue;
    }
    if (W !== null) for (let k = 0; k < fill.length; k++) if (fill[k] > W + EPS) fill[k] = Infinity;
    lots.push({
      index: i,
      id: p.id,
      type: p.type,
      typeIndex: ctx.typeIndex.get(p.type)!,
      vials: p.vials,
      priority: p.priority,
      startWindow: p.sw === null ? null : Math.max(0, (p.sw - startMs) / MS_PER_HOUR),
      endWindow: p.ew === null ? null : (p.ew - startMs) / MS_PER_HOUR,
      fill,
    });
  }
  return lots;
}

function tooLarge(p: ReadLot, i: number, fill: number[], lines: Line[], W: number): ValidationIssue {
  const minFill = Math.min(...fill);
  let msg = `lot ${p.id} needs ${Math.round(minFill * 100) / 100} h of filling on its best line, longer than the ${W} h cleaning window of every line`;
  if (!p.byLine && p.fillHours === null) {
    const maxRate = Math.max(...lines.map((l) => l.fillRateVph));
    msg += `; the largest admissible lot has ${Math.floor((W + EPS) * maxRate)} vials`;
  } else msg += `; fill hours must be at most ${W} h`;
  return {
    loc: ['lots_data', i, p.byLine ? 'fill_hours_by_line' : p.fillHours !== null ? 'fill_hours' : 'vials'],
    msg,
    type: 'value_error.lot_too_large',
  };
}
