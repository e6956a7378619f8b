/**
 * The checker for replans: every rule of checkSchedule on the full instance, plus what the parent
 * fixes — each frozen lot's CLEAN / CHANGEOVER / FILL at the parent's line and times, nothing new
 * starting before `at`, and every new downtime free of work with a CLEAN as the first work after it.
 */
import { checkSchedule } from './checker';
import type { ReplanContext } from './replan-types';
import { MS_PER_HOUR, parseIso } from './time';
import type { Instance, ScheduleResult } from './types';

const TOL_MS = 2;

export function checkReplan(
  inst: Instance,
  result: ScheduleResult,
  ctx: ReplanContext | undefined = inst.replan,
): { ok: boolean; violations: string[] } {
  const full: Instance = { ...inst };
  delete full.replan;
  const base = checkSchedule(full, result);
  const v = [...base.violations];
  if (!ctx) return { ok: v.length === 0, violations: [...v, 'no replan context to check against'] };
  const add = (msg: string) => {
    if (v.length < 200) v.push(msg);
  };
  const ms = (h: number) => inst.startMs + h * MS_PER_HOUR;
  const acts = result.activities
    .map((a) => ({ a, s: parseIso(a.start) ?? NaN, e: parseIso(a.end) ?? NaN }))
    .sort((x, y) => x.a.line - y.a.line || x.s - y.s);
  // the activities that lead into each lot's FILL on its line
  const lotActs = new Map<
    string,
    { line: number; clean: number | null; co: number | null; fs: number; fe: number }
  >();
  let clean: number | null = null;
  let co: number | null = null;
  let line = -1;
  for (const { a, s, e } of acts) {
    if (a.line !== line) {
      line = a.line;
      clean = null;
      co = null;
    }
    if (a.kind === 'CLEAN') clean = s;
    else if (a.kind === 'CHANGEOVER') co = s;
    else if (a.kind === 'FILL' && a.lot_id !== undefined) {
      lotActs.set(a.lot_id, { line: a.line, clean, co, fs: s, fe: e });
      clean = null;
      co = null;
    }
  }
  const near = (x: number | null, h: number | null) =>
    x === null || h === null ? x === h : Math.abs(x - ms(h)) <= TOL_MS;
  const frozen = new Set<string>();
  for (const [id, ln, cs, cos, fs, fe] of ctx.frozen) {
    frozen.add(id);
    const got = lotActs.get(id);
    if (!got) {
      add(`frozen lot ${id} is not filled`);
      continue;
    }
    if (got.line !== ln) add(`frozen lot ${id} moved from line ${ln} to line ${got.line}`);
    if (!near(got.fs, fs) || !near(got.fe, fe)) add(`frozen lot ${id}: its FILL moved`);
    if (!near(got.clean, cs)) add(`frozen lot ${id}: its CLEAN changed`);
    if (!near(got.co, cos)) add(`frozen lot ${id}: its CHANGEOVER changed`);
  }
  const atMs = ms(ctx.at);
  for (const [id, x] of lotActs) {
    if (frozen.has(id)) continue;
    const first = x.clean ?? x.co ?? x.fs;
    if (first < atMs - TOL_MS)
      add(`lot ${id} is not frozen but starts at ${new Date(first).toISOString()}, before the replan time`);
  }
  for (const d of ctx.line_down) {
    const ds = ms(d.start);
    const de = ms(d.end);
    const work = acts.filter(
      (x) =>
        x.a.line === d.line && (x.a.kind === 'CLEAN' || x.a.kind === 'CHANGEOVER' || x.a.kind === 'FILL'),
    );
    for (const x of work)
      if (x.s < de - TOL_MS && x.e > ds + TOL_MS)
        add(`line ${d.line}: ${x.a.kind} ${x.a.lot_id ?? ''} at ${x.a.start} overlaps the new downtime`);
    const after = work.find((x) => x.s >= ds - TOL_MS);
    if (after && after.a.kind !== 'CLEAN')
      add(`line ${d.line}: the first work after the new downtime is a ${after.a.kind}, not a CLEAN`);
  }
  return { ok: v.length === 0, violations: v };
}
