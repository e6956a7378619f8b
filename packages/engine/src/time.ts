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

const pad2 = (x: number): string => (x < 10 ? '0' + x : String(x));

/**
 * `new Date(Math.round(ms)).toISOString()`, formatted arithmetically for years 1970–9999 (a result
 * has thousands of timestamps; this is several times faster than going through a Date each time).
 */
export function toIso(ms: number): string {
  const t = Math.round(ms);
  if (!(t >= 0 && t < 253402300800000)) return new Date(t).toISOString();
  const days = Math.floor(t / 86400000);
  let rem = t - days * 86400000;
  // civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  const h = Math.floor(rem / 3600000);
  rem -= h * 3600000;
  const mi = Math.floor(rem / 60000);
  rem -= mi * 60000;
  const sec = Math.floor(rem / 1000);
  const msec = rem - sec * 1000;
  return (
    String(y).padStart(4, '0') +
    '-' +
    pad2(mo) +
    '-' +
    pad2(d) +
    'T' +
    pad2(h) +
    ':' +
    pad2(mi) +
    ':' +
    pad2(sec) +
    '.' +
    (msec < 10 ? '00' : msec < 100 ? '0' : '') +
    msec +
    'Z'
  );
}

export const MS_PER_HOUR = 3_600_000;

/** The documented default start time when neither `start_time` nor any `start_window` is given. */
export const DEFAULT_START_TIME = '2025-01-01T00:00:00.000Z';
