/**
 * Engine benchmark (`npm run bench:engine`): makespan, lower bound, gap and time per dataset and
 * strategy beside the reference implementation's figures for the same strategy (measured once and
 * committed in bench/reference-figures.json with their provenance), then the Vallada–Ruiz table
 * (RPD against best_verified_ub).
 *
 * Options: --only lots,families,generated,vallada   --quick (skips the n ≥ 100 Vallada instances,
 * the 5,000-lot families and 10,000 lots)
 * Data is read from ../shared (relative to the repository root) or FILLSCHED_SHARED.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkSchedule } from '../checker';
import { parseLotsCsv } from '../csv';
import { normalizeInput } from '../input';
import { solve } from '../solve';
import { STRATEGY_IDS, type Instance, type RawScheduleInput, type StrategyId } from '../types';
import { FAMILIES, familyInput } from './families';
import { generateInstance } from './generate';
import { sharedDir } from './shared-dir';

interface RefFigure {
  makespan?: number;
  seconds?: number;
  error?: string;
}
interface RefFigures {
  provenance: Record<string, unknown>;
  files: Record<string, Record<string, RefFigure>>;
  families: Record<string, Record<string, RefFigure>>;
}

function loadReference(): RefFigures | null {
  const p = join(__dirname, '../../bench/reference-figures.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as RefFigures) : null;
}
const REF = loadReference();

/** Per strategy: rows compared with the reference, rows where ours is worse, worst difference. */
const versus = new Map<string, { rows: number; worse: number; worst: number }>();

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
  ref?: RefFigure,
): Promise<{ makespan: number; ms: number; ok: boolean; gap: number }> {
  const mem0 = process.memoryUsage().rss;
  const r = await solve(inst, { strategy, timeLimitS, seed: 1 });
  const chk = checkSchedule(inst, r.result);
  const mem = Math.max(0, process.memoryUsage().rss - mem0);
  const ms = r.execution_time * 1000;
  let refCells = [pad('', 11, true), pad('', 9, true), pad('', 9, true)];
  if (ref?.makespan !== undefined) {
    const d = r.result.makespan - ref.makespan;
    const v = versus.get(strategy) ?? { rows: 0, worse: 0, worst: -Infinity };
    v.rows++;
    if (d > 1e-3) v.worse++;
    v.worst = Math.max(v.worst, d);
    versus.set(strategy, v);
    refCells = [
      pad(f2(ref.makespan), 11, true),
      pad(Math.round((ref.seconds ?? 0) * 1000), 9, true),
      pad((d > 0 ? '+' : '') + f2(d), 9, true),
    ];
  } else if (ref?.error) refCells = [pad('refused', 11, true), pad('', 9, true), pad('', 9, true)];
  console.log(
    [
      pad(dataset, 34),
      pad(strategy, 12),
      pad(f2(r.result.makespan), 11, true),
      pad(f2(r.lower_bound), 11, true),
      pad((100 * r.gap).toFixed(2) + '%', 8, true),
      pad(ms < 10 ? ms.toFixed(1) : Math.round(ms), 8, true),
      ...refCells,
      pad(r.result.changeovers, 6, true),
      pad(r.result.kpis.cleans, 6, true),
      pad(r.result.window_violations, 5, true),
      pad(Math.round(mem / 1e6), 6, true),
      chk.ok ? 'ok' : 'CHECK FAILED: ' + chk.violations[0],
    ].join(' '),
  );
  return { makespan: r.result.makespan, ms, ok: chk.ok, gap: r.gap };
}

/** The lot files of ../shared/data/lots that parse and validate (the others are validation cases). */
function validLotFiles(shared: string): Array<{ name: string; inst: Instance }> {
  const dir = join(shared, 'data/lots');
  const out: Array<{ name: string; inst: Instance }> = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.csv'))
    .sort()) {
    const { lots, errors } = parseLotsCsv(readFileSync(join(dir, f), 'utf8'));
    if (errors.length > 0) continue;
    const n = normalizeInput({ lots_data: lots });
    if (n.ok) out.push({ name: f, inst: n.instance });
  }
  return out;
}

async function main(): Promise<void> {
  const shared = sharedDir();
  let failures = 0;
  const header = `${pad('dataset', 34)} ${pad('strategy', 12)} ${pad('makespan', 11, true)} ${pad('lower bd', 11, true)} ${pad('gap', 8, true)} ${pad('ms', 8, true)} ${pad('ref mksp', 11, true)} ${pad('ref ms', 9, true)} ${pad('vs ref', 9, true)} ${pad('chg', 6, true)} ${pad('clean', 6, true)} ${pad('late', 5, true)} ${pad('ΔMB', 6, true)} check`;
  if (REF)
    console.log(
      `\nReference figures: ${String(REF.provenance.implementation)} at ${String(REF.provenance.commit)}; ${String(REF.provenance.measured)} (bench/reference-figures.json).`,
    );
  if (want('lots') || want('families') || want('generated')) {
    console.log(
      "\n## Lot datasets (hours; time in ms; vs ref = our makespan − the reference's same-named strategy; ΔMB = RSS growth)\n",
    );
    console.log(header);
  }
  if (want('lots')) {
    for (const { name, inst } of validLotFiles(shared)) {
      for (const s of STRATEGY_IDS)
        failures += (
          await runRow(`${name} (1 line)`, inst, s, s === 'milp-opt' ? 10 : 30, REF?.files[name]?.[s])
        ).ok
          ? 0
          : 1;
    }
  }
  if (want('families')) {
    // single-line families: smart-pack's gap and time per 1,000 lots, and the best strategy's gap
    const summary: string[] = [];
    for (const fam of FAMILIES) {
      if (quick && fam.lots >= 5000) continue;
      const inst = instanceOf(familyInput(fam));
      let smart = { gap: NaN, ms: NaN };
      let floorMs = NaN;
      let best = Infinity;
      let lb = 0;
      for (const s of STRATEGY_IDS) {
        if (s === 'milp-opt' && fam.lots > 100) continue;
        const r = await runRow(fam.name, inst, s, s === 'milp-opt' ? 10 : 60, REF?.families[fam.name]?.[s]);
        failures += r.ok ? 0 : 1;
        if (s === 'smart-pack') smart = { gap: r.gap, ms: r.ms };
        if (s === 'lpt-pack') floorMs = r.ms;
        best = Math.min(best, r.makespan);
        lb = r.makespan / (1 + r.gap);
      }
      summary.push(
        `${pad(fam.name, 18)} lots ${pad(fam.lots, 5, true)} types ${pad(fam.types, 2, true)} lines ${pad(fam.lines, 2, true)} | smart-pack gap ${pad((100 * smart.gap).toFixed(2) + '%', 7, true)}, ${pad(Math.round((smart.ms * 1000) / fam.lots), 5, true)} ms per 1,000 lots (floor: lpt-pack's one pass ${pad(Math.round((floorMs * 1000) / fam.lots), 5, true)} ms) | best strategy gap ${pad(((100 * (best - lb)) / lb).toFixed(2) + '%', 7, true)}`,
      );
    }
    console.log(
      '\n## Generated families (fill 0.5–20 h, no windows; targets on one line: smart-pack ≤ 0.5 % in ≤ 1 s per 1,000 lots, best ≤ 0.2 %)\n',
    );
    for (const l of summary) console.log(l);
  }
  if (versus.size > 0) {
    console.log('\n## Against the reference (same-named strategy, rows with a reference figure)\n');
    for (const [s, v] of versus)
      console.log(
        `${pad(s, 12)} ${pad(v.rows, 3, true)} rows, ours worse on ${v.worse}; largest (ours − ref) ${f2(v.worst)} h`,
      );
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
    const cpuShare: number[] = [];
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
        const cpu0 = process.cpuUsage();
        const r = await solve(inst, { strategy: s, timeLimitS: limit, seed: 1 });
        const cpu = process.cpuUsage(cpu0);
        // CPU seconds this process (HiGHS worker included) got per wall second: on a shared machine
        // the searches do proportionally less within the same budget
        if (n >= 50 && s === 'milp-opt') cpuShare.push((cpu.user + cpu.system) / 1e6 / r.execution_time);
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
    if (cpuShare.length > 0)
      console.log(
        `milp-opt got ${(100 * Math.min(...cpuShare)).toFixed(0)}–${(100 * Math.max(...cpuShare)).toFixed(0)} % of a core (mean ${((100 * cpuShare.reduce((a, b) => a + b, 0)) / cpuShare.length).toFixed(0)} %) on n ≥ 50 in this run: the budget is wall time, so a loaded machine shortens its search (the figure to compare across runs)`,
      );
  }
  if (failures > 0) console.log(`\n${failures} schedule(s) FAILED the checker`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
