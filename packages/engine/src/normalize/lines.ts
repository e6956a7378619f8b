import { INPUT_LIMITS } from '@fillsched/contracts/catalogue';
import { isPlainObject } from '../config';
import { MS_PER_HOUR, parseIso } from '../time';
import type { Downtime, Line } from '../types';
import { configValue } from './config';

export type RawMatrix = Record<string, Record<string, number>>;

/**
 * The line ids, known before the lots are read (their `fill_hours_by_line` names lines): the ids
 * of `config.lines` (`#<n>` for one without), else `1..line_count`; none when line_count is invalid
 * (the config check reported it).
 */
export function lineIdsOf(cfg: Record<string, unknown>): { linesRaw: unknown[] | null; lineIds: string[] } {
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
  return { linesRaw, lineIds };
}

/**
 * The lines with their rate, name and downtime in hours from `startMs` (past windows dropped,
 * overlapping ones merged), each with its own changeover matrix if it has one (`matrix` is set
 * once the tables are built).
 */
export function buildLines(
  linesRaw: unknown[] | null,
  lineIds: string[],
  defaultRateVph: number,
  startMs: number,
): { lines: Line[]; lineMatrices: (RawMatrix | null)[] } {
  const lines: Line[] = [];
  const lineMatrices: (RawMatrix | null)[] = [];
  for (let i = 0; i < lineIds.length; i++) {
    const l = linesRaw && isPlainObject(linesRaw[i]) ? (linesRaw[i] as Record<string, unknown>) : {};
    lines.push({
      index: i,
      number: i + 1,
      id: lineIds[i],
      name: typeof l.name === 'string' ? l.name : `Line ${lineIds[i]}`,
      fillRateVph: typeof l.fill_rate_vph === 'number' ? l.fill_rate_vph : defaultRateVph,
      downtime: Array.isArray(l.downtime)
        ? downtimeHours(l.downtime as Record<string, unknown>[], startMs)
        : [],
      matrix: -1,
    });
    lineMatrices.push(isPlainObject(l.changeover_matrix) ? (l.changeover_matrix as RawMatrix) : null);
  }
  return { lines, lineMatrices };
}

/** Validated downtime windows in hours from `startMs`, sorted, overlapping ones merged (reasons joined). */
function downtimeHours(raw: Record<string, unknown>[], startMs: number): Downtime[] {
  const downtime: Downtime[] = [];
  for (const d of raw) {
    const s = (parseIso(d.start)! - startMs) / MS_PER_HOUR;
    const e = (parseIso(d.end)! - startMs) / MS_PER_HOUR;
    if (e <= 0) continue;
    downtime.push({
      start: Math.max(0, s),
      end: e,
      reason: typeof d.reason === 'string' ? d.reason : 'maintenance',
    });
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
  return merged;
}
