import {
  checkSchedule,
  normalizeInput,
  solve,
  type Instance,
  type RawScheduleInput,
  type SolveOutput,
  type StrategyId,
} from '../index';

export function inst(raw: RawScheduleInput): Instance {
  const r = normalizeInput(raw);
  if (!r.ok) throw new Error('invalid: ' + JSON.stringify(r.errors));
  return r.instance;
}

export async function run(
  raw: RawScheduleInput | Instance,
  strategy: StrategyId,
  seed = 0,
  timeLimitS = 20,
): Promise<SolveOutput> {
  const i = 'lots' in raw ? (raw as Instance) : inst(raw as RawScheduleInput);
  const out = await solve(i, { strategy, seed, timeLimitS });
  const chk = checkSchedule(i, out.result);
  if (!chk.ok) throw new Error(`${strategy}: checker failed: ${chk.violations.slice(0, 5).join('; ')}`);
  expect(out.result.kpis.fallback).toBeUndefined();
  return out;
}

export const HEURISTICS: StrategyId[] = ['smart-pack', 'lpt-pack', 'spt-pack', 'cfs-pack', 'hybrid-pack'];

export const T0 = '2025-03-03T00:00:00Z';
export const at = (h: number): string => new Date(Date.parse(T0) + h * 3600_000).toISOString();
/** vials filling exactly h hours at the default 19,920 vials/h */
export const vialsFor = (h: number): number => Math.round(h * 19920);
