/**
 * Replan example (`npm run bench:replan`): a 200-lot, 4-line plan; at day 3 line 2 goes down for
 * 36 h. Prints the lots moved, the KPI deltas and the time, beside the floor measured in the same
 * run: a from-scratch solve of the disrupted instance (no frozen prefix, no stability term).
 *
 * Options: --lots 200 --lines 4 --seed 1 --at 72 --hours 36 --line 2 --strategy smart-pack
 */
import { attachReplan } from '../replan';
import { checkReplan } from '../checker-replan';
import { normalizeInput } from '../input';
import { prepareReplan } from '../replan-prepare';
import { solve } from '../solve';
import { isStrategyId, type StrategyId } from '../types';
import { generateInstance } from './generate';

const args = process.argv.slice(2);
const opt = (name: string, d: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const strategyArg = args[args.indexOf('--strategy') + 1];
const strategy: StrategyId =
  args.includes('--strategy') && isStrategyId(strategyArg) ? strategyArg : 'smart-pack';

async function main(): Promise<void> {
  const lots = opt('lots', 200);
  const lines = opt('lines', 4);
  const atH = opt('at', 72);
  const hours = opt('hours', 36);
  const line = opt('line', 2);
  const raw = generateInstance({ lots, lines, seed: opt('seed', 1), meanVials: 120_000 });
  const norm = normalizeInput(raw);
  if (!norm.ok) throw new Error(JSON.stringify(norm.errors));
  const t0 = performance.now();
  const parent = await solve(norm.instance, { strategy, seed: 1 });
  const parentS = (performance.now() - t0) / 1000;
  const S = norm.instance.startMs;
  const iso = (h: number) => new Date(S + h * 3.6e6).toISOString();
  const parentPlan = {
    id: 1,
    input: raw as { lots_data: unknown[] },
    activities: parent.result.activities,
    kpis: parent.result.kpis,
    makespan: parent.result.makespan,
    utilization: parent.result.utilization,
    window_violations: parent.result.window_violations,
  };
  // a running fill finishes: the line goes down when the lot running at `at` ends
  const probe = prepareReplan(parentPlan, { at: iso(atH) }, new Date(S));
  if (!probe.ok) throw new Error(JSON.stringify(probe.errors));
  const downAt = Math.max(atH, ...probe.context.frozen.filter((x) => x[1] === line).map((x) => x[5]));
  const request = {
    at: iso(atH),
    disruptions: [
      { type: 'line_down', line, start: iso(downAt), end: iso(downAt + hours), reason: 'breakdown' },
    ],
  };
  const t1 = performance.now();
  const prep = prepareReplan(parentPlan, request, new Date(S));
  if (!prep.ok) throw new Error(JSON.stringify(prep.errors));
  const inst = attachReplan(normalizeInput(prep.input), prep.context);
  if (!inst.ok) throw new Error(JSON.stringify(inst.errors));
  const out = await solve(inst.instance, { strategy, seed: 1 });
  const replanS = (performance.now() - t1) / 1000;
  const chk = checkReplan(inst.instance, out.result);
  // floor: the disrupted instance from scratch (nothing frozen, no stability)
  const scratchInput = normalizeInput(prep.input);
  if (!scratchInput.ok) throw new Error('scratch input invalid');
  const t2 = performance.now();
  const scratch = await solve(scratchInput.instance, { strategy, seed: 1 });
  const scratchS = (performance.now() - t2) / 1000;
  const d = out.result.replan!;
  const f = (x: number, digits = 2) => x.toFixed(digits);
  console.log(
    `replan example: ${lots} lots, ${lines} lines, ${strategy}; at hour ${atH} line ${line} goes down for ${hours} h once its running lot ends (hour ${f(downAt)})`,
  );
  console.log(
    `parent:  makespan ${f(parent.result.makespan)} h, tardiness ${f(parent.result.kpis.tardiness_hours)} h, late ${parent.result.window_violations}, solve ${f(parentS, 3)} s`,
  );
  console.log(
    `replan:  makespan ${f(out.result.makespan)} h, tardiness ${f(out.result.kpis.tardiness_hours)} h, late ${out.result.window_violations}, time ${f(replanS, 3)} s (prepare + solve), checker ${chk.ok ? 'ok' : chk.violations.slice(0, 3).join('; ')}`,
  );
  console.log(
    `         frozen ${d.frozen_lots}, moved ${d.moved_count} (line changes ${d.line_changes}), stability cost ${d.stability.cost}, winner: ${d.candidate}`,
  );
  console.log(
    `         KPI deltas: ${Object.entries(d.kpi_deltas)
      .map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v}`)
      .join(', ')}`,
  );
  console.log(
    `         largest moves: ${d.moved
      .slice(0, 5)
      .map(
        (m) =>
          `${m.lot_id} L${m.from_line}→L${m.to_line} ${m.shift_hours >= 0 ? '+' : ''}${f(m.shift_hours)} h`,
      )
      .join(', ')}`,
  );
  console.log(
    `floor:   from scratch (nothing frozen) makespan ${f(scratch.result.makespan)} h, tardiness ${f(scratch.result.kpis.tardiness_hours)} h, solve ${f(scratchS, 3)} s; lower bound ${f(out.result.kpis.lower_bound)} h (${out.result.explanations?.lower_bound.binding})`,
  );
  if (!chk.ok) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
