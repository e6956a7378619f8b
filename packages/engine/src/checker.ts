/**
 * The independent schedule checker. It looks only at the instance and the result's activities
 * (never at the packer's internal state), verifies every rule of SPEC §3 and re-derives every KPI.
 */
import { changeover } from './input';
import { MS_PER_HOUR, parseIso } from './time';
import type { Activity, Instance, ScheduleResult } from './types';

const TOL_MS = 2; // ISO timestamps carry milliseconds
const TOL_H = 1e-4;

export function checkSchedule(inst: Instance, result: ScheduleResult): { ok: boolean; violations: string[] } {
  const v: string[] = [];
  const add = (msg: string): void => {
    if (v.length < 200) v.push(msg);
  };
  const cfg = inst.config;
  const m = inst.lines.length;
  const lotById = new Map(inst.lots.map((l) => [l.id, l]));
  const fillSeen = new Map<string, { line: number; endMs: number }>();
  const acts = result.activities;
  if (!Array.isArray(acts)) return { ok: false, violations: ['activities is not an array'] };
  const perLine: Array<Array<{ a: Activity; s: number; e: number }>> = inst.lines.map(() => []);
  for (const a of acts) {
    const s = parseIso(a.start);
    const e = parseIso(a.end);
    if (s === null || e === null) {
      add(`activity with unparsable times ${a.start} .. ${a.end}`);
      continue;
    }
    if (!Number.isInteger(a.line) || a.line < 1 || a.line > m) {
      add(`activity on unknown line ${a.line}`);
      continue;
    }
    if (e < s - TOL_MS) add(`activity ${a.kind} on line ${a.line} ends before it starts`);
    const dh = (e - s) / MS_PER_HOUR;
    if (Math.abs(dh - a.duration_hours) > TOL_H)
      add(`${a.kind} ${a.lot_id ?? ''} on line ${a.line}: duration_hours ${a.duration_hours} != ${dh}`);
    if (Math.abs(a.duration - a.duration_hours * 60) > 0.01)
      add(`${a.kind} ${a.lot_id ?? ''}: duration (min) ${a.duration} != 60 × ${a.duration_hours}`);
    perLine[a.line - 1].push({ a, s, e });
  }
  const start = inst.startMs;
  const hours = (ms: number): number => (ms - start) / MS_PER_HOUR;
  let makespanMs = start;
  let fillTotal = 0;
  let changeovers = 0;
  let coHours = 0;
  let cleans = 0;
  let cleanHours = 0;
  const lineFigures: Array<{ end: number; fill: number; co: number; cleans: number; lots: number }> = [];
  for (let k = 0; k < m; k++) {
    const list = perLine[k].sort((x, y) => x.s - y.s || x.e - y.e);
    const dts = inst.lines[k].downtime.map((d) => ({
      s: start + d.start * MS_PER_HOUR,
      e: start + d.end * MS_PER_HOUR,
    }));
    let cursor = start;
    let blockOpen = false;
    let cleanSeen = false;
    let downtimeSeen = false;
    let origin = start;
    let lastFillType: string | null = null;
    let pendingCo: { from: string; dur: number } | null = null;
    let cleanPending = false;
    let fig = { end: 0, fill: 0, co: 0, cleans: 0, lots: 0 };
    for (let i = 0; i < list.length; i++) {
      const { a, s, e } = list[i];
      const where = `line ${k + 1} ${a.kind}${a.lot_id ? ' ' + a.lot_id : ''} at ${a.start}`;
      if (Math.abs(s - cursor) > TOL_MS)
        add(
          `${where}: ${s > cursor ? 'gap before' : 'overlaps the previous activity'} (timeline must be contiguous from start_time)`,
        );
      cursor = Math.max(cursor, e);
      if (a.kind !== 'DOWNTIME' && e - s > TOL_MS) {
        for (const d of dts) if (d.s < e - TOL_MS && d.e > s + TOL_MS) add(`${where}: overlaps a downtime`);
      }
      switch (a.kind) {
        case 'IDLE':
          break;
        case 'DOWNTIME': {
          if (!dts.some((d) => d.s <= s + TOL_MS && d.e >= e - TOL_MS))
            add(`${where}: not within a downtime window of the line`);
          if (pendingCo) add(`${where}: a CHANGEOVER must be followed by its FILL`);
          if (cleanPending) add(`${where}: a CLEAN must be followed by a FILL`);
          blockOpen = false;
          downtimeSeen = true;
          lastFillType = null;
          pendingCo = null;
          break;
        }
        case 'CLEAN': {
          if (Math.abs((e - s) / MS_PER_HOUR - cfg.clean_hours) > TOL_H)
            add(`${where}: CLEAN lasts ${(e - s) / MS_PER_HOUR} h, not ${cfg.clean_hours}`);
          if (pendingCo) add(`${where}: a CHANGEOVER must be followed by its FILL`);
          if (cleanPending) add(`${where}: two CLEANs without a FILL`);
          if (cfg.window_hours === null && blockOpen && lastFillType !== null)
            add(
              `${where}: no cleaning regime (window_hours null): a CLEAN only opens a line or follows a downtime`,
            );
          blockOpen = true;
          cleanSeen = true;
          origin = e;
          lastFillType = null;
          pendingCo = null;
          cleanPending = true;
          cleans++;
          fig.cleans++;
          cleanHours += (e - s) / MS_PER_HOUR;
          break;
        }
        case 'CHANGEOVER': {
          if (!blockOpen || lastFillType === null)
            add(`${where}: CHANGEOVER outside a block or before the first fill of a block`);
          if (pendingCo) add(`${where}: two CHANGEOVERs in a row`);
          pendingCo = { from: lastFillType ?? '', dur: (e - s) / MS_PER_HOUR };
          changeovers++;
          fig.co++;
          coHours += (e - s) / MS_PER_HOUR;
          break;
        }
        case 'FILL': {
          const lot = a.lot_id !== undefined ? lotById.get(a.lot_id) : undefined;
          if (!lot) {
            add(`${where}: unknown lot`);
            break;
          }
          if (fillSeen.has(lot.id)) add(`lot ${lot.id} is filled more than once`);
          fillSeen.set(lot.id, { line: k, endMs: e });
          if (a.type !== lot.type) add(`${where}: type ${a.type} != ${lot.type}`);
          const f = lot.fill[k];
          if (!Number.isFinite(f)) add(`${where}: lot may not run on this line`);
          else if (Math.abs((e - s) / MS_PER_HOUR - f) > TOL_H)
            add(`${where}: fills ${(e - s) / MS_PER_HOUR} h, expected ${f}`);
          if (lot.startWindow !== null && hours(s) < lot.startWindow - TOL_H)
            add(`${where}: starts before its start_window`);
          if (!blockOpen) {
            if (
              !cfg.initial_clean &&
              !cleanSeen &&
              !downtimeSeen &&
              lastFillType === null &&
              fig.lots === 0
            ) {
              blockOpen = true;
              origin = start;
            } else add(`${where}: FILL outside a block (a block starts with a CLEAN)`);
          }
          if (lastFillType !== null) {
            if (!pendingCo) add(`${where}: missing CHANGEOVER before a later lot of a block`);
            else {
              const fromIdx = inst.types.indexOf(pendingCo.from);
              const want = changeover(inst, k, fromIdx, lot.typeIndex);
              if (Math.abs(pendingCo.dur - want) > TOL_H)
                add(
                  `${where}: changeover ${pendingCo.from}→${lot.type} lasts ${pendingCo.dur} h, expected ${want}`,
                );
            }
          } else if (pendingCo) add(`${where}: CHANGEOVER before the first lot of a block`);
          const W = cfg.window_hours;
          if (W !== null && (e - origin) / MS_PER_HOUR > W + TOL_H)
            add(`${where}: block exceeds the ${W} h window (${(e - origin) / MS_PER_HOUR} h)`);
          lastFillType = lot.type;
          pendingCo = null;
          cleanPending = false;
          fig.fill += (e - s) / MS_PER_HOUR;
          fig.lots++;
          fillTotal += (e - s) / MS_PER_HOUR;
          break;
        }
        default:
          add(`${where}: unknown activity kind`);
      }
    }
    if (pendingCo) add(`line ${k + 1}: trailing CHANGEOVER`);
    if (cleanPending) add(`line ${k + 1}: trailing CLEAN`);
    if (list.length > 0 && list[list.length - 1].a.kind !== 'FILL')
      add(`line ${k + 1}: the last activity must be a FILL`);
    fig = { ...fig, end: hours(cursor) };
    makespanMs = Math.max(makespanMs, cursor);
    lineFigures.push(fig);
  }
  for (const lot of inst.lots) if (!fillSeen.has(lot.id)) add(`lot ${lot.id} is never filled`);
  // KPIs
  const n = inst.lots.length;
  let violations = 0;
  let tard = 0;
  for (const lot of inst.lots) {
    const f = fillSeen.get(lot.id);
    if (!f || lot.endWindow === null) continue;
    const late = hours(f.endMs) - lot.endWindow;
    if (late > TOL_H) {
      violations++;
      tard += late;
    }
  }
  const mk = hours(makespanMs);
  const near = (name: string, got: unknown, want: number, tol = 2e-3): void => {
    if (
      typeof got !== 'number' ||
      !Number.isFinite(got) ||
      Math.abs(got - want) > tol * Math.max(1, Math.abs(want))
    ) {
      add(`KPI ${name} = ${String(got)}, re-derived ${want}`);
    }
  };
  near('makespan', result.makespan, mk);
  near('kpis.total_production_time', result.kpis.total_production_time, mk);
  const util = mk > 0 ? fillTotal / (mk * m) : 0;
  near('utilization', result.utilization, util);
  near('changeovers', result.changeovers, changeovers, 0);
  near('lots_scheduled', result.lots_scheduled, n, 0);
  near('window_violations', result.window_violations, violations, 0);
  near('kpis.tardiness_hours', result.kpis.tardiness_hours, tard);
  near('kpis.on_time_delivery_rate', result.kpis.on_time_delivery_rate, n > 0 ? (n - violations) / n : 1);
  near('kpis.changeover_hours', result.kpis.changeover_hours, coHours);
  near('kpis.clean_hours', result.kpis.clean_hours, cleanHours);
  near('kpis.cleans', result.kpis.cleans, cleans, 0);
  near('kpis.fill_hours', result.kpis.fill_hours, fillTotal);
  const lineUtil = lineFigures.map((f) => (f.end > 0 ? f.fill / f.end : 0));
  near(
    'kpis.average_line_utilization',
    result.kpis.average_line_utilization,
    lineUtil.reduce((s, x) => s + x, 0) / m,
  );
  const lb = result.kpis.lower_bound;
  if (typeof lb !== 'number' || lb > mk + 1e-4 + 1e-6 * mk)
    add(`lower bound ${lb} exceeds the makespan ${mk}`);
  else near('kpis.gap', result.kpis.gap, lb > 1e-12 ? (mk - lb) / lb : mk <= 1e-9 ? 0 : 1);
  if (cfg.max_makespan !== null && result.kpis.max_makespan_exceeded !== mk > cfg.max_makespan + 1e-6) {
    if (Math.abs(mk - cfg.max_makespan) > 1e-3)
      add(`kpis.max_makespan_exceeded is ${result.kpis.max_makespan_exceeded}`);
  }
  if (!Array.isArray(result.per_line) || result.per_line.length !== m)
    add('per_line must have one entry per line');
  else {
    for (let k = 0; k < m; k++) {
      const p = result.per_line[k];
      const f = lineFigures[k];
      if (p.line !== k + 1) add(`per_line[${k}].line = ${p.line}`);
      near(`per_line[${k}].makespan`, p.makespan, f.end);
      near(`per_line[${k}].fill_hours`, p.fill_hours, f.fill);
      near(`per_line[${k}].utilization`, p.utilization, lineUtil[k]);
      near(`per_line[${k}].changeovers`, p.changeovers, f.co, 0);
      near(`per_line[${k}].cleans`, p.cleans, f.cleans, 0);
      near(`per_line[${k}].lots`, p.lots, f.lots, 0);
    }
  }
  return { ok: v.length === 0, violations: v };
}
