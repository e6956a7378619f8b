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

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
