/**
 * Vallada–Ruiz benchmark runner used by the engine bench: per instance, a warm start (the caller's heuristic,
 * or our construction) then `solveSequencingMilp` for the rest of the budget n·(m/2)·t ms (t = 30 by default),
 * reporting RPD against best_verified_ub. This file does I/O (reads the instance files); the rest of milp/ does not.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makespan, validateSequences, type SequencingProblem } from './core';
import { constructSequences } from './local-search';
import { prewarmMilpWorker, solveSequencingMilp } from './solve';
import { loadBestKnown, parseValladaInstance, valladaInstanceName } from './vallada';

export interface ValladaBenchRow {
  instance: string;
  n: number;
  m: number;
  best_known: number | null;
  makespan: number;
  rpd: number | null;
  bound: number;
  optimal: boolean;
  seconds: number;
  budget_seconds: number;
  warm_start_makespan: number;
}

export interface ValladaBenchOptions {
  /** Directory with the instance files and best_known_all.csv. */
  dir: string;
  /** Which instances (by name, without .txt); default all files in dir. */
  filter?: (name: string, n: number, m: number) => boolean;
  /** Heuristic warm start; gets the problem and an absolute deadline (ms) of ~20% of the budget. */
  warmStart?: (problem: SequencingProblem, deadlineMs: number) => number[][];
  /** t in the n·(m/2)·t ms budget (default 30). */
  msPerUnit?: number;
  /** Override the per-instance budget in ms (e.g. 10 s for the n ≤ 12 optimality-proof target). */
  budgetMs?: (n: number, m: number) => number;
  seed?: number;
  onRow?: (row: ValladaBenchRow) => void;
}

export async function runValladaBenchmark(opts: ValladaBenchOptions): Promise<ValladaBenchRow[]> {
  const csv = path.join(opts.dir, 'best_known_all.csv');
  const best = fs.existsSync(csv) ? loadBestKnown(fs.readFileSync(csv, 'utf8')) : new Map();
  const files = fs
    .readdirSync(opts.dir)
    .filter((f) => /^I_.*\.txt$/i.test(f))
    .sort((a, b) => {
      const [, na, ma] = a.split('_').map(Number);
      const [, nb, mb] = b.split('_').map(Number);
      return na - nb || ma - mb || a.localeCompare(b);
    });
  const rows: ValladaBenchRow[] = [];
  // Load HiGHS once up front so the first instance's budget is not spent on start-up.
  await prewarmMilpWorker();
  for (const file of files) {
    const name = valladaInstanceName(file);
    // Filter on the n and m in the name (I_<n>_<m>_...) before reading the file.
    const [, nName, mName] = name.split('_').map(Number);
    if (opts.filter && Number.isFinite(nName) && Number.isFinite(mName) && !opts.filter(name, nName, mName))
      continue;
    const problem = parseValladaInstance(fs.readFileSync(path.join(opts.dir, file), 'utf8'));
    if (opts.filter && !opts.filter(name, problem.n, problem.m)) continue;
    const budgetMs = opts.budgetMs
      ? opts.budgetMs(problem.n, problem.m)
      : problem.n * (problem.m / 2) * (opts.msPerUnit ?? 30);
    const t0 = Date.now();
    let warm = opts.warmStart ? opts.warmStart(problem, t0 + 0.2 * budgetMs) : constructSequences(problem);
    if (validateSequences(problem, warm).length) warm = constructSequences(problem);
    const warmObj = makespan(problem, warm);
    const remaining = Math.max(0.05, (budgetMs - (Date.now() - t0)) / 1000);
    const res = await solveSequencingMilp(problem, warm, { timeLimitS: remaining, seed: opts.seed ?? 1 });
    const seconds = (Date.now() - t0) / 1000;
    const bk = best.get(name)?.best_verified_ub ?? null;
    const row: ValladaBenchRow = {
      instance: name,
      n: problem.n,
      m: problem.m,
      best_known: bk,
      makespan: res.objective,
      rpd: bk ? (100 * (res.objective - bk)) / bk : null,
      bound: res.bound,
      optimal: res.optimal,
      seconds,
      budget_seconds: budgetMs / 1000,
      warm_start_makespan: warmObj,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return rows;
}
