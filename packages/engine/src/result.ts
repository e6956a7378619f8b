/** Builds the API result shape (activities, KPIs, per-line figures) from a decoded schedule. */
import type { Decoded, Placement } from './packer';
import { MS_PER_HOUR, toIso } from './time';
import type { Activity, Instance, PerLine, ScheduleResult } from './types';

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function gapOf(makespan: number, lb: number): number {
  if (lb <= 1e-12) return makespan <= 1e-9 ? 0 : 1;
  return Math.max(0, (makespan - lb) / lb);
}

export function buildResult(inst: Instance, d: Decoded, lowerBound: number): ScheduleResult {
  const C = inst.config.clean_hours;
  const activities: Activity[] = [];
  const perLine: PerLine[] = [];
  // an activity usually starts where the previous one ended: one timestamp formatted once
  let lastH = NaN;
  let lastIso = '';
  const iso = (h: number): string => {
    if (h !== lastH) {
      lastH = h;
      lastIso = toIso(inst.startMs + h * MS_PER_HOUR);
    }
    return lastIso;
  };
  const mk = (
    kind: Activity['kind'],
    k: number,
    s: number,
    e: number,
    lot?: { id: string; type: string },
    reason?: string,
  ): Activity => {
    const a: Activity = {
      kind,
      line: k + 1,
      start: iso(s),
      end: iso(e),
      duration: round((e - s) * 60, 4),
      duration_hours: round(e - s, 6),
    };
    if (lot) {
      a.lot_id = lot.id;
      a.type = lot.type;
    }
    if (reason !== undefined) a.reason = reason;
    return a;
  };
  const byLine: Placement[][] = inst.lines.map(() => []);
  for (const p of d.placements) byLine[p.line].push(p);
  let totalFill = 0;
  let changeovers = 0;
  let coHours = 0;
  let cleans = 0;
  let cleanHours = 0;
  let idle = 0;
  let down = 0;
  let makespan = 0;
  for (let k = 0; k < inst.lines.length; k++) {
    const ps = byLine[k].sort((a, b) => a.fillStart - b.fillStart);
    const lineActs: Array<[string, number, number, Placement]> = [];
    let fill = 0;
    let lc = 0;
    let lcl = 0;
    for (const p of ps) {
      if (p.cleanStart !== null) lineActs.push(['CLEAN', p.cleanStart, p.cleanStart + C, p]);
      if (p.coStart !== null) lineActs.push(['CHANGEOVER', p.coStart, p.fillStart, p]);
      lineActs.push(['FILL', p.fillStart, p.fillEnd, p]);
    }
    let cursor = 0;
    const dts = inst.lines[k].downtime;
    let di = 0;
    for (let ai = 0; ai < lineActs.length; ai++) {
      const act = lineActs[ai];
      const kind = act[0];
      const s = act[1];
      const e = act[2];
      const p = act[3];
      if (s > cursor + 1e-9) {
        // the gap: downtime pieces and idle
        let c = cursor;
        while (di < dts.length && dts[di].start < s - 1e-9) {
          const dt = dts[di];
          if (dt.end <= c + 1e-9) {
            di++;
            continue;
          }
          const ds = Math.max(c, dt.start);
          if (ds > c + 1e-9) {
            activities.push(mk('IDLE', k, c, ds));
            idle += ds - c;
          }
          const de = Math.min(dt.end, s);
          activities.push(mk('DOWNTIME', k, ds, de, undefined, dt.reason));
          down += de - ds;
          c = de;
          if (dt.end <= s + 1e-9) di++;
          else break;
        }
        if (s > c + 1e-9) {
          activities.push(mk('IDLE', k, c, s));
          idle += s - c;
        }
      }
      const lot = inst.lots[p.lot];
      if (kind === 'CLEAN') {
        activities.push(mk('CLEAN', k, s, e));
        cleans++;
        lcl++;
        cleanHours += e - s;
      } else if (kind === 'CHANGEOVER') {
        activities.push(mk('CHANGEOVER', k, s, e, lot));
        changeovers++;
        lc++;
        coHours += e - s;
      } else {
        activities.push(mk('FILL', k, s, e, lot));
        fill += e - s;
      }
      cursor = Math.max(cursor, e);
    }
    totalFill += fill;
    makespan = Math.max(makespan, cursor);
    perLine.push({
      line: k + 1,
      line_id: inst.lines[k].id,
      makespan: round(cursor),
      fill_hours: round(fill),
      utilization: cursor > 0 ? round(fill / cursor) : 0,
      changeovers: lc,
      cleans: lcl,
      lots: ps.length,
    });
  }
  const m = inst.lines.length;
  const n = inst.lots.length;
  const utilization = makespan > 0 ? round(totalFill / (makespan * m)) : 0;
  const maxMk = inst.config.max_makespan;
  const lb = Math.floor(lowerBound * 1e4) / 1e4; // never rounded above the makespan
  const result: ScheduleResult = {
    makespan: round(makespan),
    utilization,
    changeovers,
    lots_scheduled: n,
    window_violations: d.violations,
    kpis: {
      total_production_time: round(makespan),
      average_line_utilization: round(perLine.reduce((s, p) => s + p.utilization, 0) / m),
      on_time_delivery_rate: n > 0 ? round((n - d.violations) / n) : 1,
      changeover_hours: round(coHours),
      clean_hours: round(cleanHours),
      cleans,
      tardiness_hours: round(d.tardiness),
      weighted_tardiness: round(d.weightedTardiness),
      lower_bound: lb,
      gap: round(gapOf(makespan, lb), 6),
      fill_hours: round(totalFill),
      idle_hours: round(idle),
      downtime_hours: round(down),
      lines: m,
    },
    per_line: perLine,
    activities,
  };
  if (maxMk !== null) result.kpis.max_makespan_exceeded = makespan > maxMk + 1e-9;
  return result;
}
