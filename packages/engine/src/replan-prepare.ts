/**
 * Turns a completed parent plan plus a replan request (at, disruptions, freeze, overrides) into the
 * input of a new solve and its replan context, or into 422 issues with exact locs (relative to the
 * request body; the REST layer prefixes 'body'). Pure: no I/O, no clock (the caller passes `now`).
 */
import { normalizeInput } from './input';
import { MS_PER_HOUR, parseIso } from './time';
import {
  DEFAULT_STABILITY,
  type FrozenTuple,
  type ParentTuple,
  type ReplanContext,
  type StabilityOptions,
} from './replan-types';
import type { Instance, ValidationIssue } from './types';

/** Config keys a replan may override: none of them changes the timing of the frozen activities. */
export const REPLAN_CONFIG_KEYS = ['priority_weight', 'time_limit_s', 'seed', 'max_makespan', 'objective'];
export const DISRUPTION_TYPES = ['line_down', 'lot_added', 'lot_removed', 'lot_changed'] as const;

export interface ReplanRequest {
  at?: string | null;
  disruptions?: unknown[] | null;
  freeze?: string | null;
  config?: Record<string, unknown> | null;
  stability?: Partial<StabilityOptions> | null;
}

export interface ParentActivity {
  kind: string;
  line: number;
  lot_id?: string;
  start: string;
  end: string;
}

export interface ParentPlan {
  id?: number | null;
  input: { lots_data: unknown[]; config?: Record<string, unknown> | null; start_time?: string | null };
  activities: ParentActivity[];
  kpis?: Record<string, unknown>;
  makespan?: number;
  utilization?: number;
  window_violations?: number;
}

export interface ReplanInput {
  lots_data: Record<string, unknown>[];
  config: Record<string, unknown>;
  start_time: string;
}

export type PrepareOutcome =
  | { ok: true; input: ReplanInput; context: ReplanContext; warnings: string[] }
  | { ok: false; errors: ValidationIssue[] };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

interface ParentLot {
  lot_id: string;
  line: number;
  cleanMs: number | null;
  coMs: number | null;
  fillStartMs: number;
  fillEndMs: number;
  /** when its first activity (CLEAN, CHANGEOVER or FILL) starts */
  startMs: number;
}

/** Each FILL of the parent with the CLEAN / CHANGEOVER that lead into it on its line. */
export function parentLots(activities: readonly ParentActivity[]): ParentLot[] {
  const byLine = new Map<number, Array<{ a: ParentActivity; s: number; e: number }>>();
  for (const a of activities) {
    const s = parseIso(a.start);
    const e = parseIso(a.end);
    if (s === null || e === null) continue;
    if (!byLine.has(a.line)) byLine.set(a.line, []);
    byLine.get(a.line)!.push({ a, s, e });
  }
  const out: ParentLot[] = [];
  for (const [line, list] of byLine) {
    list.sort((x, y) => x.s - y.s || x.e - y.e);
    let clean: number | null = null;
    let co: number | null = null;
    for (const { a, s, e } of list) {
      if (a.kind === 'CLEAN') clean = s;
      else if (a.kind === 'CHANGEOVER') co = s;
      else if (a.kind === 'FILL' && a.lot_id !== undefined) {
        out.push({
          lot_id: a.lot_id,
          line,
          cleanMs: clean,
          coMs: co,
          fillStartMs: s,
          fillEndMs: e,
          startMs: clean ?? co ?? s,
        });
        clean = null;
        co = null;
      }
    }
  }
  return out;
}

/** A line named by its 1-based number (as activities show it) or by its id. */
export function resolveLine(inst: Instance, v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= inst.lines.length) return v - 1;
  if (typeof v === 'string' || typeof v === 'number') {
    const k = inst.lines.findIndex((l) => l.id === String(v));
    if (k >= 0) return k;
  }
  return null;
}

function lotIdOf(l: unknown): string | null {
  return isObj(l) && (typeof l.lot_id === 'string' || typeof l.lot_id === 'number') ? String(l.lot_id) : null;
}

export function prepareReplan(parent: ParentPlan, req: ReplanRequest, now: Date): PrepareOutcome {
  const errors: ValidationIssue[] = [];
  const fail = (): PrepareOutcome => ({ ok: false, errors });
  const norm = normalizeInput({
    lots_data: parent.input.lots_data,
    config: parent.input.config ?? undefined,
    start_time: parent.input.start_time ?? undefined,
  });
  if (!norm.ok) {
    errors.push({ loc: [], msg: 'the parent schedule input is no longer valid', type: 'value_error.parent' });
    return fail();
  }
  const inst = norm.instance;
  const S = inst.startMs;
  const hours = (ms: number): number => (ms - S) / MS_PER_HOUR;

  // ---- at and freeze
  let atMs = now.getTime();
  if (req.at !== undefined && req.at !== null) {
    const p = parseIso(req.at);
    if (p === null)
      errors.push({ loc: ['at'], msg: 'at must be an ISO 8601 date-time', type: 'value_error.datetime' });
    else atMs = p;
  }
  if (atMs < S)
    errors.push({
      loc: ['at'],
      msg: `at (${new Date(atMs).toISOString()}) is before the parent schedule's start ${inst.startTime}`,
      type: 'value_error.at_before_start',
    });
  const freeze = req.freeze ?? 'started';
  let cutoffMs = atMs;
  if (freeze !== 'started') {
    const p = parseIso(freeze);
    if (p === null)
      errors.push({
        loc: ['freeze'],
        msg: 'freeze must be "started" or an ISO 8601 date-time until which everything is frozen',
        type: 'value_error.freeze',
      });
    else cutoffMs = Math.max(atMs, p);
  }
  let stability: StabilityOptions = { ...DEFAULT_STABILITY };
  const objective = isObj(req.config) && isObj(req.config.objective) ? req.config.objective : null;
  if (objective && typeof objective.stability === 'number') stability.weight = objective.stability;
  if (isObj(req.stability)) stability = { ...stability, ...(req.stability as Partial<StabilityOptions>) };
  for (const key of ['weight', 'tolerance_hours'] as const)
    if (typeof stability[key] !== 'number' || !(stability[key] >= 0) || !Number.isFinite(stability[key]))
      errors.push({
        loc: ['stability', key],
        msg: `${key} must be a number >= 0`,
        type: 'value_error.number',
      });
  if (isObj(req.config))
    for (const key of Object.keys(req.config))
      if (!REPLAN_CONFIG_KEYS.includes(key))
        errors.push({
          loc: ['config', key],
          msg: `'${key}' cannot change in a replan (it would move the frozen activities); allowed: ${REPLAN_CONFIG_KEYS.join(', ')}`,
          type: 'value_error.replan_config',
        });
  if (errors.length) return fail();

  // ---- the parent's plan and its frozen prefix
  const plan = parentLots(parent.activities);
  const frozenIds = new Set(plan.filter((p) => p.startMs < cutoffMs).map((p) => p.lot_id));
  const lots = clone(parent.input.lots_data) as Record<string, unknown>[];
  const lotPos = new Map<string, number>();
  lots.forEach((l, i) => {
    const id = lotIdOf(l);
    if (id !== null) lotPos.set(id, i);
  });
  const config: Record<string, unknown> = clone(parent.input.config ?? {});
  if (isObj(req.config)) Object.assign(config, clone(req.config));
  const lines: Record<string, unknown>[] = Array.isArray(config.lines)
    ? (config.lines as Record<string, unknown>[])
    : inst.lines.map((l) => ({ id: l.id }));
  if (!Array.isArray(config.lines)) {
    delete config.line_count;
    config.lines = lines;
  }

  const removed = new Set<string>();
  const changed: string[] = [];
  const added: string[] = [];
  const addedAt = new Map<number, number>(); // lots index → disruption index
  const changedAt = new Map<number, number>();
  const lineDown: ReplanContext['line_down'] = [];
  const list = Array.isArray(req.disruptions) ? req.disruptions : [];
  list.forEach((d, i) => {
    const loc = (...rest: (string | number)[]) => ['disruptions', i, ...rest];
    if (!isObj(d) || !(DISRUPTION_TYPES as readonly string[]).includes(d.type as string)) {
      errors.push({
        loc: loc('type'),
        msg: `type must be one of ${DISRUPTION_TYPES.join(', ')}`,
        type: 'value_error.disruption_type',
      });
      return;
    }
    const knownLot = (field: string, id: unknown): string | null => {
      const s = typeof id === 'string' || typeof id === 'number' ? String(id) : null;
      if (s === null || !lotPos.has(s) || removed.has(s)) {
        errors.push({
          loc: loc(field),
          msg: `unknown lot '${String(id)}': not in the parent schedule${s !== null && removed.has(s) ? ' (already removed)' : ''}`,
          type: 'value_error.unknown_lot',
        });
        return null;
      }
      return s;
    };
    switch (d.type) {
      case 'line_down': {
        const k = resolveLine(inst, d.line);
        if (k === null) {
          errors.push({
            loc: loc('line'),
            msg: `unknown line '${String(d.line)}' (lines 1..${inst.lines.length} by number, or ids ${inst.lines
              .map((l) => l.id)
              .slice(0, 20)
              .join(', ')})`,
            type: 'value_error.unknown_line',
          });
          return;
        }
        const s = parseIso(d.start);
        const e = parseIso(d.end);
        if (s === null)
          errors.push({
            loc: loc('start'),
            msg: 'start must be an ISO 8601 date-time',
            type: 'value_error.datetime',
          });
        if (e === null)
          errors.push({
            loc: loc('end'),
            msg: 'end must be an ISO 8601 date-time',
            type: 'value_error.datetime',
          });
        if (s === null || e === null) return;
        if (e <= s) {
          errors.push({
            loc: loc('end'),
            msg: 'end must be after start',
            type: 'value_error.downtime_order',
          });
          return;
        }
        // the frozen prefix of the line is fixed: a downtime may not overlap it nor lie before it
        let hit: ParentLot | null = null;
        for (const p of plan)
          if (
            frozenIds.has(p.lot_id) &&
            p.line === k + 1 &&
            s < p.fillEndMs &&
            (!hit || p.fillEndMs > hit.fillEndMs)
          )
            hit = p;
        if (hit) {
          errors.push({
            loc: loc('start'),
            msg: `overlaps the frozen activities of line ${k + 1} (lot ${hit.lot_id} runs ${new Date(hit.startMs).toISOString()} .. ${new Date(hit.fillEndMs).toISOString()}); started work cannot be interrupted — start the downtime at or after ${new Date(hit.fillEndMs).toISOString()}`,
            type: 'value_error.overlaps_frozen',
          });
          return;
        }
        const reason = typeof d.reason === 'string' && d.reason.trim() ? d.reason : 'breakdown';
        const entry = lines[k] as Record<string, unknown>;
        const dts = Array.isArray(entry.downtime) ? (entry.downtime as unknown[]) : [];
        entry.downtime = [
          ...dts,
          { start: new Date(s).toISOString(), end: new Date(e).toISOString(), reason },
        ];
        lineDown.push({ line: k + 1, start: r6(hours(s)), end: r6(hours(e)), reason });
        return;
      }
      case 'lot_added': {
        const id = lotIdOf(d.lot);
        if (!isObj(d.lot) || id === null) {
          errors.push({
            loc: loc('lot', 'lot_id'),
            msg: 'lot must be an object with a lot_id',
            type: 'value_error.missing',
          });
          return;
        }
        if (lotPos.has(id)) {
          errors.push({
            loc: loc('lot', 'lot_id'),
            msg: `lot '${id}' already exists in the parent schedule`,
            type: 'value_error.duplicate_lot',
          });
          return;
        }
        addedAt.set(lots.length, i);
        lotPos.set(id, lots.length);
        lots.push(clone(d.lot));
        added.push(id);
        return;
      }
      case 'lot_removed': {
        const id = knownLot('lot_id', d.lot_id);
        if (id === null) return;
        if (frozenIds.has(id)) {
          errors.push({
            loc: loc('lot_id'),
            msg: `lot '${id}' has started before the freeze time and cannot be removed`,
            type: 'value_error.frozen_lot',
          });
          return;
        }
        removed.add(id);
        return;
      }
      case 'lot_changed': {
        const id = knownLot('lot_id', d.lot_id);
        if (id === null) return;
        const pos = lotPos.get(id)!;
        const lot = lots[pos];
        if (d.vials !== undefined) {
          if (typeof d.vials !== 'number' || !(d.vials > 0)) {
            errors.push({ loc: loc('vials'), msg: 'vials must be a number > 0', type: 'value_error.number' });
            return;
          }
          if (frozenIds.has(id)) {
            errors.push({
              loc: loc('vials'),
              msg: `lot '${id}' has started before the freeze time: its size cannot change`,
              type: 'value_error.frozen_lot',
            });
            return;
          }
          const old =
            typeof lot.vials === 'number'
              ? lot.vials
              : typeof lot.quantity === 'number'
                ? lot.quantity
                : null;
          if (typeof lot.fill_hours === 'number' && old) lot.fill_hours = (lot.fill_hours * d.vials) / old;
          if (isObj(lot.fill_hours_by_line) && old)
            for (const key of Object.keys(lot.fill_hours_by_line))
              (lot.fill_hours_by_line as Record<string, number>)[key] *= d.vials / old;
          delete lot.quantity;
          lot.vials = d.vials;
        }
        if (d.priority !== undefined) {
          if (typeof d.priority !== 'number' || !Number.isInteger(d.priority)) {
            errors.push({
              loc: loc('priority'),
              msg: 'priority must be an integer',
              type: 'type_error.integer',
            });
            return;
          }
          lot.priority = d.priority;
        }
        if (d.end_window !== undefined) {
          if (d.end_window !== null && parseIso(d.end_window) === null) {
            errors.push({
              loc: loc('end_window'),
              msg: 'end_window must be an ISO 8601 date-time or null',
              type: 'value_error.datetime',
            });
            return;
          }
          lot.end_window = d.end_window;
        }
        changedAt.set(pos, i);
        changed.push(id);
        return;
      }
    }
  });
  if (errors.length) return fail();

  // ---- the new input, validated with the engine's own rules (issues mapped back to the disruption)
  const keep: number[] = [];
  const newLots: Record<string, unknown>[] = [];
  lots.forEach((l, i) => {
    const id = lotIdOf(l);
    if (id !== null && removed.has(id) && !addedAt.has(i)) return;
    keep.push(i);
    newLots.push(l);
  });
  if (newLots.length === 0) {
    errors.push({
      loc: ['disruptions'],
      msg: 'a replan must keep at least one lot',
      type: 'value_error.no_lots',
    });
    return fail();
  }
  const input: ReplanInput = { lots_data: newLots, config, start_time: inst.startTime };
  const next = normalizeInput(input);
  if (!next.ok) {
    for (const e of next.errors) {
      const [head, idx, ...rest] = e.loc;
      if (head === 'lots_data' && typeof idx === 'number') {
        const orig = keep[idx];
        if (addedAt.has(orig)) e.loc = ['disruptions', addedAt.get(orig)!, 'lot', ...rest];
        else if (changedAt.has(orig)) e.loc = ['disruptions', changedAt.get(orig)!, ...rest];
      } else if (head === 'config' && rest.length >= 2 && idx !== undefined) {
        const di = list.findIndex((d) => isObj(d) && d.type === 'line_down');
        if (di >= 0 && rest.includes('downtime')) e.loc = ['disruptions', di];
      }
      errors.push(e);
    }
    return fail();
  }

  const frozen: FrozenTuple[] = plan
    .filter((p) => frozenIds.has(p.lot_id))
    .map((p) => [
      p.lot_id,
      p.line,
      p.cleanMs === null ? null : hours(p.cleanMs),
      p.coMs === null ? null : hours(p.coMs),
      hours(p.fillStartMs),
      hours(p.fillEndMs),
    ]);
  const parentTuples: ParentTuple[] = plan.map((p) => [
    p.lot_id,
    p.line,
    hours(p.fillStartMs),
    p.cleanMs === null ? 0 : 1,
  ]);
  const parentKpis: Record<string, number> = {};
  const kp = parent.kpis ?? {};
  const pick = (name: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) parentKpis[name] = v;
  };
  pick('makespan', parent.makespan ?? kp.total_production_time);
  pick('utilization', parent.utilization);
  pick('window_violations', parent.window_violations);
  for (const k of [
    'tardiness_hours',
    'weighted_tardiness',
    'changeover_hours',
    'cleans',
    'on_time_delivery_rate',
    'idle_hours',
  ])
    pick(k, kp[k]);
  const context: ReplanContext = {
    version: 1,
    parent_id: parent.id ?? null,
    start_time: inst.startTime,
    at: hours(atMs),
    cutoff: hours(cutoffMs),
    freeze,
    frozen,
    parent: parentTuples,
    parent_kpis: parentKpis,
    stability,
    added,
    removed: [...removed],
    changed,
    line_down: lineDown,
  };
  return { ok: true, input, context, warnings: next.warnings };
}
