/**
 * Lot CSV in the reference format `Lot ID,Type,Vials` (header names are matched case-insensitively,
 * ignoring spaces and underscores; aliases: lot_id/LotID/id, product/lot_type, quantity), plus the
 * optional guide columns priority, start_window, end_window, fill_hours. Quoted fields (RFC 4180) are
 * supported. Error locations are ['csv', line number in the file (header = 1), column name].
 */
import type { ValidationIssue } from './types';

const ALIASES: Record<string, string> = {
  lotid: 'lot_id',
  lot: 'lot_id',
  id: 'lot_id',
  type: 'type',
  product: 'type',
  lottype: 'type',
  vials: 'vials',
  quantity: 'vials',
  qty: 'vials',
  priority: 'priority',
  startwindow: 'start_window',
  endwindow: 'end_window',
  fillhours: 'fill_hours',
};
const DISPLAY: Record<string, string> = { lot_id: 'Lot ID', type: 'Type', vials: 'Vials' };

export function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let inQuotes = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < s.length) {
    const c = s[i];
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field.length === 0) {
      inQuotes = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && s[i + 1] === '\n') i++;
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function parseLotsCsv(text: string): { lots: Record<string, unknown>[]; errors: ValidationIssue[] } {
  const errors: ValidationIssue[] = [];
  const lots: Record<string, unknown>[] = [];
  if (typeof text !== 'string')
    return { lots, errors: [{ loc: ['csv'], msg: 'CSV text expected', type: 'type_error.str' }] };
  const rows = splitCsv(text);
  // skip leading blank lines
  let h = 0;
  while (h < rows.length && rows[h].every((c) => c.trim() === '')) h++;
  if (h >= rows.length) {
    errors.push({
      loc: ['csv', 1],
      msg: 'empty CSV: expected a header `Lot ID,Type,Vials`',
      type: 'value_error.csv.empty',
    });
    return { lots, errors };
  }
  const header = rows[h].map((c) => c.trim());
  const cols = header.map((c) => ALIASES[c.toLowerCase().replace(/[\s_-]/g, '')] ?? null);
  for (const req of ['lot_id', 'type', 'vials']) {
    if (!cols.includes(req)) {
      errors.push({
        loc: ['csv', h + 1, DISPLAY[req]],
        msg: `missing column '${DISPLAY[req]}' (expected header: Lot ID,Type,Vials)`,
        type: 'value_error.csv.missing_column',
      });
    }
  }
  if (errors.length > 0) return { lots, errors };
  const unknown = header.filter((_, i) => cols[i] === null);
  void unknown;
  const seen = new Map<string, number>();
  for (let r = h + 1; r < rows.length; r++) {
    const cells = rows[r];
    const line = r + 1;
    if (cells.every((c) => c.trim() === '')) continue;
    if (cells.length > header.length && cells.slice(header.length).some((c) => c.trim() !== '')) {
      errors.push({
        loc: ['csv', line],
        msg: `row has ${cells.length} fields, the header has ${header.length}`,
        type: 'value_error.csv.fields',
      });
      continue;
    }
    const lot: Record<string, unknown> = {};
    let ok = true;
    const err = (col: string, msg: string, type: string): void => {
      errors.push({ loc: ['csv', line, DISPLAY[col] ?? col], msg, type });
      ok = false;
    };
    for (let c = 0; c < header.length; c++) {
      const key = cols[c];
      if (!key) continue;
      const raw = (cells[c] ?? '').trim();
      if (key === 'lot_id' || key === 'type') {
        if (raw === '') err(key, `${DISPLAY[key]} must not be blank`, 'value_error.missing');
        else lot[key] = raw;
      } else if (key === 'vials') {
        if (raw === '') err(key, 'Vials must not be blank', 'value_error.missing');
        else if (!/^[+-]?\d+$/.test(raw))
          err(key, `Vials must be a positive integer (got '${raw}')`, 'type_error.integer');
        else if (Number(raw) <= 0)
          err(key, `Vials must be greater than 0 (got ${raw})`, 'value_error.number.not_gt');
        else lot.vials = Number(raw);
      } else if (key === 'priority') {
        if (raw === '') continue;
        if (!/^[+-]?\d+$/.test(raw))
          err(key, `priority must be an integer (got '${raw}')`, 'type_error.integer');
        else lot.priority = Number(raw);
      } else if (key === 'fill_hours') {
        if (raw === '') continue;
        const v = Number(raw);
        if (!Number.isFinite(v) || v <= 0)
          err(key, `fill_hours must be a number greater than 0 (got '${raw}')`, 'value_error.number.not_gt');
        else lot.fill_hours = v;
      } else if (raw !== '') lot[key] = raw;
    }
    if (ok && typeof lot.lot_id === 'string') {
      const prev = seen.get(lot.lot_id);
      if (prev !== undefined) {
        err('lot_id', `duplicate Lot ID '${lot.lot_id}' (first on line ${prev})`, 'value_error.duplicate');
      } else seen.set(lot.lot_id, line);
    }
    if (ok) lots.push(lot);
  }
  return { lots, errors };
}
