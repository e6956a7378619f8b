/**
 * Vallada & Ruiz (2011) benchmark instances (unrelated parallel machines with sequence- and
 * machine-dependent setups, makespan). Parser, mapping to the platform's POST /api/v1/schedule body,
 * and the best-known table loader. Pure functions: callers read the files.
 */
import type { SequencingProblem } from './core';

export type ValladaInstance = SequencingProblem;

/**
 * Format (whitespace separated): `n m 1`, `m`, then n lines of pairs `machine p` for every machine,
 * `SSD`, then for each machine `M<k>` followed by an n×n matrix S_k[i][j] (j follows i).
 */
export function parseValladaInstance(text: string): ValladaInstance {
  const tok = text.split(/\s+/).filter((t) => t.length > 0);
  let pos = 0;
  const next = (what: string): string => {
    if (pos >= tok.length) throw new Error(`Vallada instance: unexpected end of input while reading ${what}`);
    return tok[pos++];
  };
  const int = (what: string): number => {
    const t = next(what);
    const v = Number(t);
    if (!Number.isFinite(v)) throw new Error(`Vallada instance: expected a number for ${what}, got '${t}'`);
    return v;
  };
  const n = int('n');
  const m = int('m');
  int('header flag');
  const m2 = int('machine count');
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(m) || m < 1)
    throw new Error(`Vallada instance: bad header n=${n} m=${m}`);
  if (m2 !== m) throw new Error(`Vallada instance: machine count mismatch (${m} vs ${m2})`);
  const p: number[][] = [];
  for (let j = 0; j < n; j++) {
    const row = new Array<number>(m).fill(Infinity);
    for (let r = 0; r < m; r++) {
      const k = int(`machine index of job ${j}`);
      const v = int(`p of job ${j}`);
      if (!Number.isInteger(k) || k < 0 || k >= m)
        throw new Error(`Vallada instance: job ${j} names machine ${k}`);
      // Negative or huge processing times are used in some generators to mark "not allowed".
      row[k] = v < 0 ? Infinity : v;
    }
    p.push(row);
  }
  const ssd = next('SSD marker');
  if (ssd.toUpperCase() !== 'SSD') throw new Error(`Vallada instance: expected 'SSD', got '${ssd}'`);
  const setup: number[][][] = [];
  for (let k = 0; k < m; k++) {
    const label = next(`machine label M${k}`);
    if (label.toUpperCase() !== `M${k}`)
      throw new Error(`Vallada instance: expected 'M${k}', got '${label}'`);
    const mat: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row: number[] = [];
      for (let j = 0; j < n; j++) row.push(int(`S${k}[${i}][${j}]`));
      mat.push(row);
    }
    setup.push(mat);
  }
  return { n, m, p, setup };
}

export interface ScheduleRequestBody {
  lots_data: Array<{
    lot_id: string;
    type: string;
    vials: number;
    fill_hours_by_line: Record<string, number>;
  }>;
  config: {
    lines: Array<{ id: number; changeover_matrix: Record<string, Record<string, number>> }>;
    window_hours: null;
    initial_clean: false;
  };
}

/**
 * The platform view of an instance: each job is a lot of its own type (`J<j>` of type `T<j>`, 1 vial),
 * `fill_hours_by_line` holds p (lines are 1-based; a line where the job is not allowed is omitted),
 * each line carries its own changeover matrix, no cleaning regime and no initial clean.
 */
export function valladaToScheduleInput(parsed: SequencingProblem): ScheduleRequestBody {
  const { n, m, p, setup } = parsed;
  const lots_data = [];
  for (let j = 0; j < n; j++) {
    const byLine: Record<string, number> = {};
    for (let k = 0; k < m; k++) if (Number.isFinite(p[j][k])) byLine[String(k + 1)] = p[j][k];
    lots_data.push({ lot_id: `J${j}`, type: `T${j}`, vials: 1, fill_hours_by_line: byLine });
  }
  const lines = [];
  for (let k = 0; k < m; k++) {
    const matrix: Record<string, Record<string, number>> = {};
    for (let i = 0; i < n; i++) {
      const row: Record<string, number> = {};
      for (let j = 0; j < n; j++) if (i !== j) row[`T${j}`] = setup[k][i][j];
      matrix[`T${i}`] = row;
    }
    lines.push({ id: k + 1, changeover_matrix: matrix });
  }
  return { lots_data, config: { lines, window_hours: null, initial_clean: false } };
}

export interface BestKnown {
  n: number;
  m: number;
  best_verified_ub: number | null;
  ub_is_optimal: boolean;
}

/** Parses best_known_all.csv (instance,n,m,soa2011_value,best_verified_ub,ub_is_optimal,lb_simple). */
export function loadBestKnown(csvText: string): Map<string, BestKnown> {
  const out = new Map<string, BestKnown>();
  const lines = csvText.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length === 0) return out;
  const header = lines[0].split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`best_known csv: missing column '${name}'`);
    return i;
  };
  const ci = col('instance');
  const cn = col('n');
  const cm = col('m');
  const cub = col('best_verified_ub');
  const copt = col('ub_is_optimal');
  for (const line of lines.slice(1)) {
    const f = line.split(',').map((x) => x.trim());
    const ubText = f[cub] ?? '';
    const ub = ubText === '' ? null : Number(ubText);
    out.set(f[ci], {
      n: Number(f[cn]),
      m: Number(f[cm]),
      best_verified_ub: ub !== null && Number.isFinite(ub) ? ub : null,
      ub_is_optimal: (f[copt] ?? '') === '1',
    });
  }
  return out;
}

/** Instance name from a file name: `I_10_2_S_1-9_1.txt` → `I_10_2_S_1-9_1`. */
export function valladaInstanceName(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '');
  return base.replace(/\.txt$/i, '');
}
