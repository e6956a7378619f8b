/**
 * Engine benchmark (`npm run bench:engine`): makespan, lower bound, gap and time per dataset and
 * strategy, then the Vallada–Ruiz table (RPD against best_verified_ub).
 *
 * Options: --only lots,generated,vallada   --quick (skips the n ≥ 100 Vallada instances and 10,000 lots)
 * Data is read from ../shared (relative to the repository root) or FILLSCHED_SHARED.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkSchedule } from '../checker';
import { parseLotsCsv } from '../csv';
import { normalizeInput } from '../input';
import { solve } from '../solve';
import { STRATEGY_IDS, type Instance, type RawScheduleInput, type StrategyId } from '../types';
import { generateInstance } from './generate';

interface ValladaModule {
  parseValladaInstance(text: string): { n: number; m: number; p: number[][]; setup: number[][][] };
  valladaToScheduleInput(parsed: { n: number; m: number; p: number[][]; setup: number[][][] }): unknown;
}

const args = process.argv.slice(2);
const only = (() => {
  const i = args.indexOf('--only');
  return i >= 0 ? new Set(args[i + 1].split(',')) : null;
})();
const quick = args.includes('--quick');
const want = (s: string): boolean => !only || only.has(s);

function sharedDir(): string {
  const cands = [
    process.env.FILLSCHED_SHARED,
    resolve(process.cwd(), '../shared'),
    resolve(__dirname, '../../../../../shared'),
  ];
  for (const c of cands) if (c && existsSync(join(c, 'data'))) return c;
  throw new Error('cannot find the shared data folder (set FILLSCHED_SHARED)');
}

const pad = (s: string | number, w: number, right = false): string => {
  const t = String(s);
  return right ? t.padStart(w) : t.padEnd(w);
};
const f2 = (x: number): string => x.toFixed(2);

function instanceOf(body: RawScheduleInput): Instance {
  const r = normalizeInput(body);
  if (!r.ok) throw new Error('invalid bench input: ' + JSON.stringify(r.errors.slice(0, 3)));
  return r.instance;
}

async function runRow(
  dataset: string,
  inst: Instance,
  strategy: StrategyId,
  timeLimitS: number,
): Promise<{ makespan: number; ms: number; ok: boolean }> {
  const mem0 = process.memoryUsage().rss;
  const r = await solve(inst, { strategy, timeLimitS, seed: 1 });
  const chk = checkSchedule(inst, r.result);
  const mem = Math.max(0, process.memoryUsage().rss - mem0);
  const ms = r.execution_time * 1000;
  console.log(
    [
      pad(dataset, 26),
      pad(strategy, 12),
      pad(f2(r.result.makespan), 11, true),
      pad(f2(r.lower_bound), 11, true),
      pad((100 * r.gap).toFixed(2) + '%', 8, true),
      pad(ms < 10 ? ms.toFixed(1) : Math.round(ms), 8, true),
      pad(r.result.changeovers, 6, true),
      pad(r.result.kpis.cleans, 6, true),
      pad(r.result.window_violations, 5, true),
      pad(Math.round(mem / 1e6), 6, true),
      chk.ok ? 'ok' : 'CHECK FAILED: ' + chk.violations[0],
    ].join(' '),
  );
  return { makespan: r.result.makespan, ms, ok: chk.ok };
}

async function main(): Promise<void> {
  const shared = sharedDir();
  let failures = 0;
  const header = `${pad('dataset', 26)} ${pad('strategy', 12)} ${pad('makespan', 11, true)} ${pad('lower bd', 11, true)} ${pad('gap', 8, true)} ${pad('ms', 8, true)} ${pad('chg', 6, true)} ${pad('clean', 6, true)} ${pad('late', 5, true)} ${pad('ΔMB', 6, true)} check`;
  if (want('lots') || want('generated')) {
    console.log('\n## Lot datasets (hours; time in ms; ΔMB = RSS growth)\n');
    console.log(header);
  }
  if (want('lots')) {
    for (const f of ['lots.csv', 'lots_large.csv']) {
      const { lots } = parseLotsCsv(readFileSync(join(shared, 'data/lots', f), 'utf8'));
      const inst = instanceOf({ lots_data: lots });
      for (const s of STRATEGY_IDS)
        failures += (await runRow(`${f} (1 line)`, inst, s, s === 'milp-opt' ? 10 : 30)).ok ? 0 : 1;
    }
  }
  if (want('generated')) {
    const sizes: Array<[number, number]> = [
      [10, 1],
      [10, 2],
      [100, 5],
      [1000, 10],
      [10000, 20],
    ];
    for (const [n, m] of sizes) {
      if (quick && n >= 10000) continue;
      const inst = instanceOf(generateInstance({ lots: n, lines: m, seed: 42 + n + m }));
      for (const s of STRATEGY_IDS) {
        if (s === 'milp-opt' && n > 100) continue;
        failures += (await runRow(`gen ${n} lots / ${m} lines`, inst, s, s === 'milp-opt' ? 10 : 30)).ok
          ? 0
          : 1;
      }
    }
  }
  if (want('vallada')) {
    let vr: ValladaModule;
    try {
      vr = require('../milp/vallada') as ValladaModule;
    } catch (e) {
      console.log(`\n(Vallada–Ruiz table skipped: ${(e as Error).message})`);
      process.exitCode = failures > 0 ? 1 : 0;
      return;
    }
    const dir = join(shared, 'bench/vallada-ruiz');
    const best = new Map<string, { ub: number; opt: boolean }>();
    for (const line of readFileSync(join(dir, 'best_known_all.csv'), 'utf8').split(/\r?\n/).slice(1)) {
      const c = line.split(',');
      if (c.length >= 6 && c[4] !== '') best.set(c[0], { ub: Number(c[4]), opt: c[5].trim() === '1' });
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => ({ f, n: Number(f.split('_')[1]), m: Number(f.split('_')[2]) }))
      .sort((a, b) => a.n - b.n || a.m - b.m || a.f.localeCompare(b.f));
    console.log(
      '\n## Vallada–Ruiz (unrelated lines, sequence-dependent setups): RPD = 100·(Cmax − best)/best\n',
    );
    console.log(
      `${pad('instance', 22)} ${pad('best', 6, true)} ${pad('budget s', 8, true)} | ${['smart-pack', 'hybrid-pack', 'milp-opt'].map((s) => pad(s + ' Cmax/RPD/ms', 26, true)).join(' |')} | ${pad('milp LB', 8, true)}`,
    );
    const rpd: Record<string, number[]> = { 'smart-pack': [], 'hybrid-pack': [], 'milp-opt': [] };
    const rpdSmall: number[] = [];
    let provenSmall = 0;
    let small = 0;
    for (const { f, n, m } of files) {
      if (quick && n >= 100) continue;
      const name = f.replace(/\.txt$/, '');
      const ref = best.get(name);
      const parsed = vr.parseValladaInstance(readFileSync(join(dir, f), 'utf8'));
      const inst = instanceOf(vr.valladaToScheduleInput(parsed) as RawScheduleInput);
      const budget = (n * (m / 2) * 30) / 1000;
      const cells: string[] = [];
      let lb = 0;
      let milpTime = 0;
      let milpMk = 0;
      for (const s of ['smart-pack', 'hybrid-pack', 'milp-opt'] as StrategyId[]) {
        const limit = s === 'milp-opt' && n <= 12 ? Math.max(budget, 10) : budget;
        const r = await solve(inst, { strategy: s, timeLimitS: limit, seed: 1 });
        if (!checkSchedule(inst, r.result).ok) failures++;
        const mk = r.result.makespan;
        const d = ref ? (100 * (mk - ref.ub)) / ref.ub : NaN;
        if (n >= 50) rpd[s].push(d);
        if (s === 'milp-opt') {
          lb = r.lower_bound;
          milpTime = r.execution_time;
          milpMk = mk;
          if (n <= 12) rpdSmall.push(d);
        }
        cells.push(
          pad(`${Math.round(mk)} / ${d.toFixed(1)}% / ${Math.round(r.execution_time * 1000)}`, 26, true),
        );
      }
      if (n <= 12) {
        small++;
        if (lb >= milpMk - 1e-6 && milpTime <= 10.5) provenSmall++;
      }
      console.log(
        `${pad(name, 22)} ${pad(ref ? ref.ub : '?', 6, true)} ${pad(budget.toFixed(2), 8, true)} | ${cells.join(' |')} | ${pad(f2(lb), 8, true)}`,
      );
    }
    const avg = (a: number[]): string =>
      a.length ? (a.reduce((s, x) => s + x, 0) / a.length).toFixed(2) + '%' : 'n/a';
    console.log(
      `\nn ≤ 12: milp-opt proved the optimum (bound = makespan, ≤ 10 s) on ${provenSmall}/${small}; average RPD ${avg(rpdSmall)}`,
    );
    console.log(
      `n ≥ 50: average RPD smart-pack ${avg(rpd['smart-pack'])}, hybrid-pack ${avg(rpd['hybrid-pack'])}, milp-opt ${avg(rpd['milp-opt'])}`,
    );
  }
  if (failures > 0) console.log(`\n${failures} schedule(s) FAILED the checker`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
