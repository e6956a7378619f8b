import type { ResultActivity } from './ports';

export const EXPORT_CSV_COLUMNS = [
  'line',
  'kind',
  'lot_id',
  'type',
  'start',
  'end',
  'duration_minutes',
  'duration_hours',
] as const;

/** First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field. Text that a spreadsheet would evaluate (starting with =, +, -, @, tab or CR) gets a
 * leading apostrophe, so it shows as text and never runs (OWASP "CSV injection"). Only strings
 * are neutralised: the typed numeric columns (line, duration_minutes, duration_hours) are numbers
 * and stay numbers, negative ones included. Then RFC 4180: quote a field holding a comma, quote,
 * CR or LF (or a neutralised one); double the quotes inside.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = String(value);
  const neutralised = FORMULA_START.test(s);
  if (neutralised) s = `'${s}`;
  return neutralised || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per activity in schedule order; lines end with CRLF as RFC 4180 specifies. */
export function activitiesToCsv(activities: readonly ResultActivity[]): string {
  const rows = [EXPORT_CSV_COLUMNS.join(',')];
  for (const a of activities) {
    rows.push(
      [a.line, a.kind, a.lot_id, a.type, a.start, a.end, a.duration, a.duration_hours]
        .map(csvField)
        .join(','),
    );
  }
  return rows.join('\r\n') + '\r\n';
}
