/**
 * Solve-time bench for one lot file (`npm run bench:speed`; issue 9: smart-pack under 100 ms on
 * lots_large.csv, first solve in a fresh process included). Prints, beside a floor measured in the
 * same run:
 *  - cold: the first solve in each of `--cold` fresh processes (what a solver worker does on its
 *    first job), with that process's first parse + normalise of the file as its floor;
 *  - warmed: the same after the engine's `warmUp()` (what a worker that calls it at start gets);
 *  - steady: `--runs` solves in this process (after its own cold solve), median / p90 / max, beside
 *    the floor of parse + normalise + one LPT list schedule decoded (the cheapest complete schedule);
 *  - the makespan and lower bound, and whether every run returned the same schedule (determinism).
 * Wall time (performance.now) and this process's CPU time (process.cpuUsage: user + system, all
 * threads, so it includes the garbage collector's helpers) are both given: on a shared machine the
 * wall time of a run includes time it waited for a core, the CPU time does not.
 *
 * Options: --file lots_large.csv (in ../shared/data/lots)  --strategy smart-pack  --runs 30
 *          --cold 5  --seed 1
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SolveContext } from '../context';
import { parseLotsCsv } from '../csv';
import { normalizeInput } from '../input';
import { decode } from '../packer';
import { solve } from '../solve';
import { listSchedule, lptOrder } from '../strategies/list';
import { warmUp } from '../warmup';
import { isStrategyId, type Instance, type ScheduleResult, type StrategyId } from '../types';
import { sharedDir } from './shared-dir';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : d;
};
const file = opt('file', 'lots_large.csv');
const strategyArg = opt('strategy', 'smart-pack');
if (!isStrategyId(strategyArg)) throw new Error(`unknown strategy '${strategyArg}'`);
const strategy: StrategyId = strategyArg;
const runs = Math.max(1, Number(opt('runs', '30')));
const coldRuns = Math.max(0, Number(opt('cold', '5')));
const seed = Number(opt('seed', '1'));

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

interface Timed<T> {
  value: T;
  wall: number;
  cpu: number;
}
async function timed<T>(f: () => T | Promise<T>): Promise<Timed<T>> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await f();
  return { value, wall: performance.now() - t0, cpu: cpuMs() - c0 };
}

function instanceOf(text: string): Instance {
  const { lots, errors } = parseLotsCsv(text);
  if (errors.length > 0)
    throw new Error(`${file}: ${errors.length} CSV error(s), first: ${JSON.stringify(errors[0])}`);
  const n = normalizeInput({ lots_data: lots });
  if (!n.ok) throw new Error(`${file} does not validate: ${JSON.stringify(n.errors.slice(0, 3))}`);
  return n.instance;
}

/** A digest of a schedule's activities (same input + seed must give the same digest). */
const digest = (r: ScheduleResult): string =>
  createHash('sha256').update(JSON.stringify(r.activities)).digest('hex').slice(0, 12);

interface ColdSample {
  floorWall: number;
  floorCpu: number;
  wall: number;
  cpu: number;
  makespan: number;
  digest: string;
}

/** Child mode: one cold solve in this fresh process (after warmUp() with --warm), printed as JSON. */
async function child(text: string): Promise<void> {
  if (args.includes('--warm')) await warmUp();
  const fl = await timed(() => instanceOf(text));
  const s = await timed(() => solve(fl.value, { strategy, seed }));
  const out: ColdSample = {
    floorWall: fl.wall,
    floorCpu: fl.cpu,
    wall: s.wall,
    cpu: s.cpu,
    makespan: s.value.result.makespan,
    digest: digest(s.value.result),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x: number): string => x.toFixed(1).padStart(7);
const stats = (xs: number[]): string =>
  `median ${ms(quantile(xs, 0.5))}  p90 ${ms(quantile(xs, 0.9))}  max ${ms(Math.max(...xs))}`;

async function main(): Promise<void> {
  const path = join(sharedDir(), 'data/lots', file);
  const text = readFileSync(path, 'utf8');
  if (args.includes('--child')) return child(text);

  const digests = new Set<string>();
  let makespan = NaN;
  let lowerBound = NaN;
  const note = (r: ScheduleResult): void => {
    digests.add(digest(r));
    makespan = r.makespan;
    lowerBound = r.kpis.lower_bound;
  };

  // cold: fresh processes, one solve each (sequential, so they do not compete with each other)
  const fresh = (extra: string[]): ColdSample[] => {
    const out: ColdSample[] = [];
    for (let i = 0; i < coldRuns; i++) {
      const outText = execFileSync(process.execPath, [__filename, ...args, '--child', ...extra], {
        encoding: 'utf8',
      });
      const s = JSON.parse(outText.trim().split('\n').pop() as string) as ColdSample;
      out.push(s);
      digests.add(s.digest);
    }
    return out;
  };
  const cold = fresh([]);
  const warmed = fresh(['--warm']);

  // steady: this process (its own first solve is cold too and is left out of the figures)
  const inst0 = instanceOf(text);
  const first = await timed(() => solve(inst0, { strategy, seed }));
  note(first.value.result);
  const wall: number[] = [];
  const cpu: number[] = [];
  const floorWall: number[] = [];
  const floorCpu: number[] = [];
  const parseWall: number[] = [];
  for (let i = 0; i < runs; i++) {
    // floor: parse + normalise + one LPT list schedule (the cheapest complete schedule), decoded
    const parsed = await timed(() => instanceOf(text));
    const fl = await timed(async () =>
      decode(
        parsed.value,
        await listSchedule(parsed.value, lptOrder(parsed.value), new SolveContext(60, 0), 'floor'),
      ),
    );
    parseWall.push(parsed.wall);
    floorWall.push(parsed.wall + fl.wall);
    floorCpu.push(parsed.cpu + fl.cpu);
    const runInst = instanceOf(text);
    const s = await timed(() => solve(runInst, { strategy, seed }));
    note(s.value.result);
    wall.push(s.wall);
    cpu.push(s.cpu);
  }

  console.log(
    `\n${strategy} on ${file} (${inst0.lots.length} lots, ${inst0.lines.length} line(s)), seed ${seed}; times in ms`,
  );
  if (cold.length > 0) {
    console.log(`\ncold: first solve in each of ${cold.length} fresh processes`);
    console.log(`  solve wall  ${stats(cold.map((c) => c.wall))}`);
    console.log(`  solve cpu   ${stats(cold.map((c) => c.cpu))}`);
    console.log(
      `  floor: the same processes' first parse + normalise: wall ${stats(cold.map((c) => c.floorWall))}`,
    );
    console.log(`\nwarmed: first solve after warmUp() in each of ${warmed.length} fresh processes`);
    console.log(`  solve wall  ${stats(warmed.map((c) => c.wall))}`);
    console.log(`  solve cpu   ${stats(warmed.map((c) => c.cpu))}`);
  }
  console.log(`\nsteady: ${runs} solves in one process after a first one (${first.wall.toFixed(1)} ms wall)`);
  console.log(`  solve wall  ${stats(wall)}`);
  console.log(`  solve cpu   ${stats(cpu)}`);
  console.log(`  floor: parse + normalise + one LPT list schedule, decoded: wall ${stats(floorWall)}`);
  console.log(`                                                             cpu  ${stats(floorCpu)}`);
  console.log(`         (parse + normalise alone: wall ${stats(parseWall)})`);
  console.log(
    `\nmakespan ${makespan.toFixed(2)} h, lower bound ${lowerBound.toFixed(2)} h; ` +
      `${digests.size === 1 ? 'every run returned the same schedule' : `${digests.size} DIFFERENT schedules (not deterministic)`}`,
  );
  if (digests.size !== 1) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
