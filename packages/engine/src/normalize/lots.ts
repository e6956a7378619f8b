import { INPUT_LIMITS, didYouMean } from '@fillsched/contracts/catalogue';
import { isPlainObject } from '../config';
import { MS_PER_HOUR } from '../time';
import type { Line, Lot, ValidationIssue } from '../types';
import { MAX_ERRORS, type Issues } from './issues';
import {
  LotFields,
  fillHoursByLine,
  fillHoursOf,
  lotId,
  lotType,
  priorityOf,
  vialsOf,
  windowsOf,
} from './lot-fields';

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
