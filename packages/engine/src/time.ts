/**
 * ISO 8601 handling. Naive timestamps (no `Z` / offset) are interpreted as UTC; output is always
 * `Date.prototype.toISOString()` (UTC, `Z` suffix), so no information is lost.
 */
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO 8601 date or date-time; returns epoch milliseconds or null when invalid. */
export function parseIso(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const s = value.trim();
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = '', tz] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = frac ? Math.round(Number('0.' + frac) * 1000) : 0;
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day) return null; // e.g. 2024-02-31
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offH = Number(digits.slice(0, 2));
    const offM = Number(digits.slice(2, 4));
    if (offH > 23 || offM > 59) return null;
    t -= sign * (offH * 60 + offM) * 60000;
  }
  return Number.isFinite(t) ? t : null;
}

export function toIso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

export const MS_PER_HOUR = 3_600_000;

/** The documented default start time when neither `start_time` nor any `start_window` is given. */
export const DEFAULT_START_TIME = '2025-01-01T00:00:00.000Z';
