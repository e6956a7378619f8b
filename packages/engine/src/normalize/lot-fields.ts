import { isPlainObject } from '../config';
import { parseIso } from '../time';
import type { ValidationIssue } from '../types';
import { toNumber, type Issues } from './issues';

// The fields of one lot, each read by its own function: the value, or an error that marks the lot invalid.

/** One lot's fields being read: where its issues point and whether it is still valid. */
export class LotFields {
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

export function lotId(f: LotFields, ids: Map<string, number>): string {
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

export function lotType(f: LotFields): string {
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

export function fillHoursOf(f: LotFields): number | null {
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

export function fillHoursByLine(
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
export function vialsOf(f: LotFields, required: boolean, minBatch: number | null): number {
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

export function priorityOf(f: LotFields): number {
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

export function windowsOf(f: LotFields): { sw: number | null; ew: number | null } {
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
