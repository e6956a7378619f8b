/**
 * Set-partitioning formulation for small (sub-)problems (≤ 16 jobs).
 *
 * For every line k, a Held–Karp dynamic programme over job subsets gives c_k(S), the shortest span of any
 * ordering of S on k. Only subsets with c_k(S) ≤ cap (the incumbent's makespan, minus one unit for integral
 * data) can appear in a better solution, so the model is
 *     min Cmax   s.t.  Σ_{(k,S) ∋ j} z[k,S] = 1  ∀ j,   Σ_S z[k,S] ≤ 1  ∀ k,   Σ_S c_k(S) z[k,S] ≤ Cmax  ∀ k,
 * z binary. It is exact (the enumeration is complete below the cap) and its LP relaxation is far tighter than
 * the arc model's, so HiGHS proves the n ≤ 12 optima in well under a second. Infeasible means nothing beats
 * the cap, i.e. the incumbent is optimal.
 */
import { allowed, type SequencingProblem } from './core';
import type { ModelArrays } from './model';

export const SETPART_MAX_JOBS = 16;

export interface SetPartModel {
  arrays: ModelArrays;
  jobs: number[];
  lines: number[];
  colLine: Int32Array; // local line of column c (column 0 is Cmax)
  colMask: Int32Array;
  columns: number;
}

/** c_k(S) for all subsets S of `jobs` with value ≤ cap (Infinity otherwise), via Held–Karp. */
export function subsetCosts(
  problem: SequencingProblem,
  jobs: readonly number[],
  k: number,
  cap: number,
): Float64Array {
  const q = jobs.length;
  const full = 1 << q;
  const S = problem.setup[k];
  const p = jobs.map((j) => problem.p[j][k]);
  const ok = jobs.map((j) => allowed(problem, j, k));
  const dp = new Float64Array(full * q).fill(Infinity);
  const cost = new Float64Array(full).fill(Infinity);
  cost[0] = 0;
  for (let i = 0; i < q; i++) if (ok[i] && p[i] <= cap) dp[(1 << i) * q + i] = p[i];
  const setupRows = jobs.map((a) => jobs.map((b) => S[a][b]));
  for (let mask = 1; mask < full; mask++) {
    const base = mask * q;
    let c = Infinity;
    for (let last = 0; last < q; last++) {
      const v = dp[base + last];
      if (v === Infinity) continue;
      if (v < c) c = v;
      const row = setupRows[last];
      for (let nx = 0; nx < q; nx++) {
        if (mask & (1 << nx) || !ok[nx]) continue;
        const w = v + row[nx] + p[nx];
        if (w > cap) continue;
        const idx = (mask | (1 << nx)) * q + nx;
        if (w < dp[idx]) dp[idx] = w;
      }
    }
    cost[mask] = c;
  }
  return cost;
}

export function buildSetPartitionModel(
  problem: SequencingProblem,
  jobs: number[],
  lines: number[],
  cap: number,
  maxColumns = 400000,
  /** Adds secondaryWeight·Σ c_k(S) z[k,S] to the objective (LNS tie-breaking on the total load). */
  secondaryWeight = 0,
): SetPartModel | null {
  const q = jobs.length;
  if (q > SETPART_MAX_JOBS) return null;
  const colLine: number[] = [-1];
  const colMask: number[] = [0];
  const colCost: number[] = [1];
  const costs: number[] = [0];
  const all = lines.map((k) => subsetCosts(problem, jobs, k, cap));
  const full = (1 << q) - 1;
  // Two lines: a subset is only usable if the other line can take its complement. This filter decides most
  // 2-line models outright (their set-partitioning LP is otherwise weak: it mixes halves of subsets).
  const twoLines = lines.length === 2;
  for (let kl = 0; kl < lines.length; kl++) {
    const c = all[kl];
    const other = twoLines ? all[1 - kl] : null;
    for (let mask = 1; mask < c.length; mask++) {
      if (c[mask] === Infinity) continue;
      if (other && mask !== full && other[full ^ mask] === Infinity) continue;
      colLine.push(kl);
      colMask.push(mask);
      colCost.push(secondaryWeight * c[mask]);
      costs.push(c[mask]);
      if (colLine.length > maxColumns) return null;
    }
  }
  const numCols = colLine.length;
  // rows: q job rows, M line-count rows, M load rows, then symmetry rows for identical lines:
  // for consecutive identical lines k1 < k2 and each job j, "k2's smallest job is j" ≤ "k1's smallest job < j".
  const M = lines.length;
  const symPairs: Array<[number, number]> = [];
  {
    const used = new Array<boolean>(M).fill(false);
    for (let a = 0; a < M; a++) {
      if (used[a]) continue;
      let prev = a;
      for (let b = a + 1; b < M; b++) {
        if (used[b] || !identicalOn(problem, jobs, lines[a], lines[b])) continue;
        used[b] = true;
        symPairs.push([prev, b]);
        prev = b;
      }
    }
  }
  const numRows = q + 2 * M + symPairs.length * q;
  const lowest = (mask: number): number => 31 - Math.clz32(mask & -mask);
  const symRowsOf = (c: number): Array<[number, number]> => {
    // (row, coefficient) pairs of column c in the symmetry rows
    const out: Array<[number, number]> = [];
    const kl = colLine[c];
    const low = lowest(colMask[c]);
    symPairs.forEach(([k1, k2], t) => {
      const base = q + 2 * M + t * q;
      if (kl === k2) out.push([base + low, 1]);
      if (kl === k1) for (let j = low + 1; j < q; j++) out.push([base + j, -1]);
    });
    return out;
  };
  const counts = new Int32Array(numRows);
  for (let c = 1; c < numCols; c++) {
    const mask = colMask[c];
    for (let i = 0; i < q; i++) if (mask & (1 << i)) counts[i]++;
    counts[q + colLine[c]]++;
    counts[q + M + colLine[c]]++;
    if (symPairs.length) for (const [r] of symRowsOf(c)) counts[r]++;
  }
  for (let kl = 0; kl < M; kl++) counts[q + M + kl]++; // Cmax
  const starts = new Int32Array(numRows + 1);
  for (let r = 0; r < numRows; r++) starts[r + 1] = starts[r] + counts[r];
  const fill = starts.slice(0, numRows);
  const indices = new Int32Array(starts[numRows]);
  const values = new Float64Array(starts[numRows]);
  const put = (r: number, c: number, v: number): void => {
    indices[fill[r]] = c;
    values[fill[r]] = v;
    fill[r]++;
  };
  for (let c = 1; c < numCols; c++) {
    const mask = colMask[c];
    for (let i = 0; i < q; i++) if (mask & (1 << i)) put(i, c, 1);
    put(q + colLine[c], c, 1);
    put(q + M + colLine[c], c, costs[c]);
    if (symPairs.length) for (const [r, v] of symRowsOf(c)) put(r, c, v);
  }
  for (let kl = 0; kl < M; kl++) put(q + M + kl, 0, -1);
  const rowLower = new Float64Array(numRows);
  const rowUpper = new Float64Array(numRows);
  for (let i = 0; i < q; i++) {
    rowLower[i] = 1;
    rowUpper[i] = 1;
  }
  for (let kl = 0; kl < M; kl++) {
    rowLower[q + kl] = -Infinity;
    rowUpper[q + kl] = 1;
    rowLower[q + M + kl] = -Infinity;
    rowUpper[q + M + kl] = 0;
  }
  for (let r = q + 2 * M; r < numRows; r++) {
    rowLower[r] = -Infinity;
    rowUpper[r] = 0;
  }
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols).fill(1);
  colUpper[0] = Infinity;
  const integrality = new Int32Array(numCols).fill(1);
  integrality[0] = 0;
  return {
    arrays: {
      numCols,
      numRows,
      colCost: Float64Array.from(colCost),
      colLower,
      colUpper,
      rowLower,
      rowUpper,
      matrix: { format: 'csr', numRows, numCols, starts, indices, values },
      integrality,
    },
    jobs,
    lines,
    colLine: Int32Array.from(colLine),
    colMask: Int32Array.from(colMask),
    columns: numCols - 1,
  };
}

/** Job sets per model line (global ids, unordered) from a solution vector. */
export function decodeSetPartition(model: SetPartModel, x: ArrayLike<number>): number[][] {
  const out: number[][] = model.lines.map(() => []);
  for (let c = 1; c < model.arrays.numCols; c++) {
    if (x[c] <= 0.5) continue;
    const mask = model.colMask[c];
    for (let i = 0; i < model.jobs.length; i++)
      if (mask & (1 << i)) out[model.colLine[c]].push(model.jobs[i]);
  }
  return out;
}

function identicalOn(problem: SequencingProblem, jobs: readonly number[], a: number, b: number): boolean {
  for (const j of jobs) if (problem.p[j][a] !== problem.p[j][b]) return false;
  for (const i of jobs)
    for (const j of jobs) if (i !== j && problem.setup[a][i][j] !== problem.setup[b][i][j]) return false;
  return true;
}
