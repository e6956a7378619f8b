/**
 * Lot CSV in the reference format `Lot ID,Type,Vials` (header names are matched case-insensitively,
 * ignoring spaces and underscores; aliases: lot_id/LotID/id, product/lot_type, quantity), plus the
 * optional guide columns priority, start_window, end_window, fill_hours. Quoted fields (RFC 4180) are
 * supported. The delimiter is `,`, `;` or tab, detected from the header line (spreadsheets in many
 * locales export `;`). Error locations are ['csv', line number in the file (header = 1), column name].
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
const REQUIRED = ['lot_id', 'type', 'vials'] as const;

export type CsvDelimiter = ',' | ';' | '\t';
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];
const delimiterName = (d: CsvDelimiter): string => (d === '\t' ? 'tab' : `'${d}'`);

/** The canonical column of a header cell, or null for a column we do not read. */
const columnOf = (cell: string): string | null =>
  ALIASES[
    cell
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, '')
  ] ?? null;

const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * The delimiter of a lot CSV, read from its header line (the first non-blank line): the only one of
 * `,` `;` tab found there outside quotes; when several are found, the only one that splits the
 * header into the required columns. Otherwise the file is ambiguous and the issue names what was
 * found, so the user knows what to change. No delimiter at all means a one-column file: `,`.
 */
export function detectDelimiter(
  text: string,
): { ok: true; delimiter: CsvDelimiter } | { ok: false; issue: ValidationIssue } {
  const lines = stripBom(text).split(/\r\n|\n|\r/);
  const index = lines.findIndex((l) => l.trim() !== '');
  if (index < 0) return { ok: true, delimiter: ',' };
  const header = lines[index];
  const counts = new Map<CsvDelimiter, number>();
  let inQuotes = false;
  for (const c of header) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (DELIMITERS as readonly string[]).includes(c))
      counts.set(c as CsvDelimiter, (counts.get(c as CsvDelimiter) ?? 0) + 1);
  }
  const found = DELIMITERS.filter((d) => counts.has(d));
  if (found.length === 0) return { ok: true, delimiter: ',' };
  if (found.length === 1) return { ok: true, delimiter: found[0] };
  const splitsIntoColumns = (d: CsvDelimiter) => {
    const cols = (splitCsv(header, d)[0] ?? []).map(columnOf);
    return REQUIRED.every((r) => cols.includes(r));
  };
  const viable = found.filter(splitsIntoColumns);
  if (viable.length === 1) return { ok: true, delimiter: viable[0] };
  const seen = found.map((d) => `${delimiterName(d)} (${counts.get(d)}×)`).join(' and ');
  return {
    ok: false,
    issue: {
      loc: ['csv', index + 1],
      msg:
        `cannot tell the CSV delimiter: the header line contains ${seen}; ` +
        "separate the columns with one of ',' ';' or tab, e.g. `Lot ID,Type,Vials`",
      type: 'value_error.csv.delimiter',
    },
  };
}

export function splitCsv(text: string, delimiter: CsvDelimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let inQuotes = false;
  const s = stripBom(text);
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
    } else if (c === delimiter) {
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
  const detected = detectDelimiter(text);
  if (!detected.ok) return { lots, errors: [detected.issue] };
  const { delimiter } = detected;
  const rows = splitCsv(text, delimiter);
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
  const cols = header.map(columnOf);
  for (const req of REQUIRED) {
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
        // A `;` or tab file usually comes from a locale that writes decimals with a comma.
        const v = Number(delimiter === ',' ? raw : raw.replace(/^(\d+),(\d+)$/, '$1.$2'));
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
