/**
 * MILP model builder for R | S_ijk | Cmax (optionally on a sub-problem: a subset of jobs on a subset of lines,
 * as used by the large-neighbourhood search). Produces the sparse arrays HiGHS' `createModel` takes, the
 * warm-start vector of a given solution, and the decoder of a solution vector.
 *
 * Formulation (Avalos-Rosales et al. 2015 style, with a lifted MTZ ordering):
 *   y[j,k]   ∈ {0,1}  job j on line k                  Σ_k y[j,k] = 1
 *   x[i,j,k] ∈ {0,1}  j directly after i on line k (i = 0 is the line's dummy start, setup 0)
 *                     Σ_i x[i,j,k] = y[j,k]  (one predecessor)      Σ_j x[i,j,k] ≤ y[i,k]  (at most one successor)
 *                     Σ_j x[0,j,k] ≤ 1  and  Σ_i x[0,i,k] ≥ y[j,k]  (a used line has exactly one first job)
 *   load_k = Σ_j p[j,k] y[j,k] + Σ_{i,j} S[k,i,j] x[i,j,k] ≤ Cmax          (exact line span: the key, strong row)
 *   u[j] ∈ [1,N] ordering, lifted MTZ (Desrochers–Laporte) on X[i,j] = Σ_k x[i,j,k]:
 *                     u[i] − u[j] + N·X[i,j] + (N−2)·X[j,i] ≤ N − 1        (no sub-tours)
 *   identical lines k < k' (same p column and setup matrix): y[j,k'] ≤ Σ_{i<j} y[i,k]  (order by smallest job)
 *   Cmax ≥ combinatorial lower bound, Cmax integer when all data are integers.
 */
import { allowed, EPS, isIntegral, lineSpan, type SequencingProblem } from './core';

export interface ModelArrays {
  numCols: number;
  numRows: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  matrix: {
    format: 'csr';
    numRows: number;
    numCols: number;
    starts: Int32Array;
    indices: Int32Array;
    values: Float64Array;
  };
  integrality: Int32Array;
}

/** The growable column/row/CSR arrays a builder fills, packed into HiGHS's typed model shape. */
function toModelArrays(b: {
  cost: number[];
  lo: number[];
  up: number[];
  rlo: number[];
  rup: number[];
  starts: number[];
  idx: number[];
  val: number[];
  integ: number[];
}): ModelArrays {
  const numCols = b.cost.length;
  const numRows = b.rlo.length;
  return {
    numCols,
    numRows,
    colCost: Float64Array.from(b.cost),
    colLower: Float64Array.from(b.lo),
    colUpper: Float64Array.from(b.up),
    rowLower: Float64Array.from(b.rlo),
    rowUpper: Float64Array.from(b.rup),
    matrix: {
      format: 'csr',
      numRows,
      numCols,
      starts: Int32Array.from(b.starts),
      indices: Int32Array.from(b.idx),
      values: Float64Array.from(b.val),
    },
    integrality: Int32Array.from(b.integ),
  };
}

export interface BuiltModel {
  arrays: ModelArrays;
  /** Global job ids and line ids of the (sub-)problem. */
  jobs: number[];
  lines: number[];
  /** Column of y[jl][kl] (local indices) or -1. */
  yCol: Int32Array;
  /** Arc list: column → (from local job or -1 for the dummy start, to local job, local line). */
  arcFrom: Int32Array;
  arcTo: Int32Array;
  arcLine: Int32Array;
  arcCol0: number;
  uCol0: number;
  loadCol0: number; // -1 unless secondary objective
  integralObjective: boolean;
  identicalGroups: number[][];
}

export interface BuildOptions {
  jobs?: number[];
  lines?: number[];
  cmaxLower?: number;
  cmaxUpper?: number;
  /** Add λ·Σ load_k to the objective (used by the LNS so that ties in the sub-problem Cmax still improve). */
  secondaryWeight?: number;
  symmetryBreaking?: boolean;
}

export function buildModel(problem: SequencingProblem, opts: BuildOptions = {}): BuiltModel {
  const jobs = opts.jobs ?? Array.from({ length: problem.n }, (_, j) => j);
  const lines = opts.lines ?? Array.from({ length: problem.m }, (_, k) => k);
  const N = jobs.length;
  const M = lines.length;
  const integralData = isIntegral(problem);
  const secondary = opts.secondaryWeight ?? 0;
  const cost: number[] = [];
  const lo: number[] = [];
  const up: number[] = [];
  const integ: number[] = [];
  const addCol = (c: number, l: number, u: number, i: number): number => {
    cost.push(c);
    lo.push(l);
    up.push(u);
    integ.push(i);
    return cost.length - 1;
  };
  const cmaxCol = addCol(
    1,
    Math.max(0, opts.cmaxLower ?? 0),
    opts.cmaxUpper ?? Infinity,
    integralData && secondary === 0 ? 1 : 0,
  );
  const yCol = new Int32Array(N * M).fill(-1);
  for (let jl = 0; jl < N; jl++)
    for (let kl = 0; kl < M; kl++)
      if (allowed(problem, jobs[jl], lines[kl])) yCol[jl * M + kl] = addCol(0, 0, 1, 1);
  const arcCol0 = cost.length;
  const af: number[] = [];
  const at: number[] = [];
  const al: number[] = [];
  for (let kl = 0; kl < M; kl++) {
    const k = lines[kl];
    for (let jl = 0; jl < N; jl++) {
      if (yCol[jl * M + kl] < 0) continue;
      // dummy start arc
      af.push(-1);
      at.push(jl);
      al.push(kl);
      addCol(0, 0, 1, 1);
      for (let il = 0; il < N; il++) {
        if (il === jl || yCol[il * M + kl] < 0) continue;
        if (!Number.isFinite(problem.setup[k][jobs[il]][jobs[jl]])) continue;
        af.push(il);
        at.push(jl);
        al.push(kl);
        addCol(0, 0, 1, 1);
      }
    }
  }
  const uCol0 = cost.length;
  for (let jl = 0; jl < N; jl++) addCol(0, 1, Math.max(1, N), 0);
  let loadCol0 = -1;
  if (secondary > 0) {
    loadCol0 = cost.length;
    for (let kl = 0; kl < M; kl++) addCol(secondary, 0, Infinity, 0);
  }

  // Rows (CSR).
  const starts: number[] = [0];
  const idx: number[] = [];
  const val: number[] = [];
  const rlo: number[] = [];
  const rup: number[] = [];
  const addRow = (cols: number[], vals: number[], l: number, u: number): void => {
    for (let t = 0; t < cols.length; t++) {
      idx.push(cols[t]);
      val.push(vals[t]);
    }
    starts.push(idx.length);
    rlo.push(l);
    rup.push(u);
  };
  const nArcs = af.length;
  // arcs grouped by (to, line) and (from, line)
  const inArcs: number[][] = Array.from({ length: N * M }, () => []);
  const outArcs: number[][] = Array.from({ length: N * M }, () => []);
  const startArcs: number[][] = Array.from({ length: M }, () => []);
  const pairArcs = new Map<number, number[]>(); // key i*N+j → arc columns over lines
  for (let a = 0; a < nArcs; a++) {
    inArcs[at[a] * M + al[a]].push(a);
    if (af[a] >= 0) {
      outArcs[af[a] * M + al[a]].push(a);
      const key = af[a] * N + at[a];
      let l = pairArcs.get(key);
      if (!l) pairArcs.set(key, (l = []));
      l.push(arcCol0 + a);
    } else startArcs[al[a]].push(a);
  }
  // assignment
  for (let jl = 0; jl < N; jl++) {
    const cols: number[] = [];
    for (let kl = 0; kl < M; kl++) if (yCol[jl * M + kl] >= 0) cols.push(yCol[jl * M + kl]);
    addRow(
      cols,
      cols.map(() => 1),
      1,
      1,
    );
  }
  for (let jl = 0; jl < N; jl++)
    for (let kl = 0; kl < M; kl++) {
      const y = yCol[jl * M + kl];
      if (y < 0) continue;
      const ins = inArcs[jl * M + kl];
      addRow([...ins.map((a) => arcCol0 + a), y], [...ins.map(() => 1), -1], 0, 0);
      const outs = outArcs[jl * M + kl];
      if (outs.length) addRow([...outs.map((a) => arcCol0 + a), y], [...outs.map(() => 1), -1], -Infinity, 0);
      // a used line has a first job
      const st = startArcs[kl];
      addRow([...st.map((a) => arcCol0 + a), y], [...st.map(() => 1), -1], 0, Infinity);
    }
  for (let kl = 0; kl < M; kl++) {
    const st = startArcs[kl];
    if (st.length)
      addRow(
        st.map((a) => arcCol0 + a),
        st.map(() => 1),
        -Infinity,
        1,
      );
  }
  // load rows
  for (let kl = 0; kl < M; kl++) {
    const k = lines[kl];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let jl = 0; jl < N; jl++) {
      const y = yCol[jl * M + kl];
      if (y >= 0 && problem.p[jobs[jl]][k] !== 0) {
        cols.push(y);
        vals.push(problem.p[jobs[jl]][k]);
      }
    }
    for (let a = 0; a < nArcs; a++) {
      if (al[a] !== kl || af[a] < 0) continue;
      const s = problem.setup[k][jobs[af[a]]][jobs[at[a]]];
      if (s !== 0) {
        cols.push(arcCol0 + a);
        vals.push(s);
      }
    }
    if (secondary > 0) {
      addRow([...cols, loadCol0 + kl], [...vals, -1], 0, 0);
      addRow([loadCol0 + kl, cmaxCol], [1, -1], -Infinity, 0);
    } else addRow([...cols, cmaxCol], [...vals, -1], -Infinity, 0);
  }
  // lifted MTZ on aggregated arcs
  if (N >= 2) {
    for (let il = 0; il < N; il++)
      for (let jl = 0; jl < N; jl++) {
        if (il === jl) continue;
        const fwd = pairArcs.get(il * N + jl) ?? [];
        const back = pairArcs.get(jl * N + il) ?? [];
        if (fwd.length === 0) continue;
        const cols = [uCol0 + il, uCol0 + jl, ...fwd, ...back];
        const vals = [1, -1, ...fwd.map(() => N), ...back.map(() => N - 2)];
        addRow(cols, vals, -Infinity, N - 1);
      }
  }
  // symmetry breaking for identical lines
  const identicalGroups: number[][] = [];
  if (opts.symmetryBreaking !== false && M > 1) {
    const used = new Array<boolean>(M).fill(false);
    for (let a = 0; a < M; a++) {
      if (used[a]) continue;
      const group = [a];
      for (let b = a + 1; b < M; b++)
        if (!used[b] && identicalLines(problem, jobs, lines[a], lines[b])) group.push(b);
      for (const g of group) used[g] = true;
      if (group.length > 1) identicalGroups.push(group);
    }
    for (const group of identicalGroups)
      for (let g = 1; g < group.length; g++) {
        const k1 = group[g - 1];
        const k2 = group[g];
        for (let jl = 0; jl < N; jl++) {
          if (yCol[jl * M + k2] < 0) continue;
          const cols = [yCol[jl * M + k2]];
          const vals = [1];
          for (let il = 0; il < jl; il++) {
            if (yCol[il * M + k1] < 0) continue;
            cols.push(yCol[il * M + k1]);
            vals.push(-1);
          }
          addRow(cols, vals, -Infinity, 0);
        }
      }
  }
  const arrays = toModelArrays({ cost, lo, up, rlo, rup, starts, idx, val, integ });
  return {
    arrays,
    jobs,
    lines,
    yCol,
    arcFrom: Int32Array.from(af),
    arcTo: Int32Array.from(at),
    arcLine: Int32Array.from(al),
    arcCol0,
    uCol0,
    loadCol0,
    integralObjective: integralData && secondary === 0,
    identicalGroups,
  };
}

function identicalLines(problem: SequencingProblem, jobs: number[], a: number, b: number): boolean {
  for (const j of jobs) {
    const pa = problem.p[j][a];
    const pb = problem.p[j][b];
    if (pa !== pb) return false;
  }
  for (const i of jobs)
    for (const j of jobs) if (i !== j && problem.setup[a][i][j] !== problem.setup[b][i][j]) return false;
  return true;
}

/**
 * Column vector of a solution restricted to the model's jobs and lines. `sequences` is indexed by
 * global line id; only the model's lines are read and they must contain exactly the model's jobs.
 * Identical lines are relabelled so that the symmetry-breaking rows hold.
 */
export function warmStartVector(
  problem: SequencingProblem,
  model: BuiltModel,
  sequences: readonly (readonly number[])[],
): Float64Array {
  const M = model.lines.length;
  const N = model.jobs.length;
  const local = new Map<number, number>();
  model.jobs.forEach((j, jl) => local.set(j, jl));
  const seqs: number[][] = model.lines.map((k) => (sequences[k] ?? []).map((j) => local.get(j) ?? -1));
  // relabel identical lines: order by smallest local job index (empty lines last)
  for (const group of model.identicalGroups) {
    const content = group.map((kl) => seqs[kl]);
    content.sort((x, y) => (x.length ? Math.min(...x) : Infinity) - (y.length ? Math.min(...y) : Infinity));
    group.forEach((kl, g) => (seqs[kl] = content[g]));
  }
  const v = new Float64Array(model.arrays.numCols);
  const arcIndex = new Map<string, number>();
  for (let a = 0; a < model.arcFrom.length; a++)
    arcIndex.set(`${model.arcFrom[a]},${model.arcTo[a]},${model.arcLine[a]}`, a);
  let cmax = 0;
  for (let kl = 0; kl < M; kl++) {
    const seq = seqs[kl];
    const span = lineSpan(
      problem,
      model.lines[kl],
      seq.map((jl) => model.jobs[jl]),
    );
    cmax = Math.max(cmax, span);
    if (model.loadCol0 >= 0) v[model.loadCol0 + kl] = span;
    for (let r = 0; r < seq.length; r++) {
      const jl = seq[r];
      if (jl < 0) throw new Error('warm start contains a job outside the model');
      v[model.yCol[jl * M + kl]] = 1;
      const a = arcIndex.get(`${r === 0 ? -1 : seq[r - 1]},${jl},${kl}`);
      if (a === undefined) throw new Error('warm start uses an arc missing from the model');
      v[model.arcCol0 + a] = 1;
      v[model.uCol0 + jl] = r + 1;
    }
  }
  for (let jl = 0; jl < N; jl++) if (v[model.uCol0 + jl] === 0) v[model.uCol0 + jl] = 1;
  v[0] = Math.max(cmax, model.arrays.colLower[0]);
  return v;
}

/** Sequences (global job ids, one array per model line) from a column vector. */
export function decodeSolution(model: BuiltModel, x: ArrayLike<number>): number[][] {
  const M = model.lines.length;
  const N = model.jobs.length;
  const out: number[][] = [];
  for (let kl = 0; kl < M; kl++) {
    const onLine: number[] = [];
    for (let jl = 0; jl < N; jl++) {
      const c = model.yCol[jl * M + kl];
      if (c >= 0 && x[c] > 0.5) onLine.push(jl);
    }
    // follow the arcs from the dummy start
    const succ = new Map<number, number>();
    for (let a = 0; a < model.arcFrom.length; a++) {
      if (model.arcLine[a] !== kl || x[model.arcCol0 + a] <= 0.5) continue;
      succ.set(model.arcFrom[a], model.arcTo[a]);
    }
    const seq: number[] = [];
    const seen = new Set<number>();
    let cur = succ.get(-1);
    while (cur !== undefined && !seen.has(cur)) {
      seen.add(cur);
      seq.push(cur);
      cur = succ.get(cur);
    }
    const consistent = seq.length === onLine.length && onLine.every((j) => seen.has(j));
    const ordered = consistent
      ? seq
      : onLine.slice().sort((a, b) => x[model.uCol0 + a] - x[model.uCol0 + b] + EPS * (a - b));
    out.push(ordered.map((jl) => model.jobs[jl]));
  }
  return out;
}

/**
 * Assignment relaxation used as a lower bound for instances too large for the full model:
 *   y[j,k] ∈ {0,1}, Σ_k y[j,k] = 1,  Σ_j (p[j,k] + s_in[j,k]) y[j,k] − max_j s_in[j,k] ≤ Cmax
 * where s_in[j,k] is the smallest setup into j on line k. Every job but the first on a line pays at least
 * its smallest incoming setup, and the first saves at most max_j s_in[j,k], so every dual bound of this
 * model is a valid lower bound of the sequencing problem.
 */
export function buildAssignmentRelaxation(
  problem: SequencingProblem,
  sIn: number[][],
  cmaxLower: number,
): { arrays: ModelArrays; integralObjective: boolean } {
  const { n, m } = problem;
  const integral = isIntegral(problem);
  const cost: number[] = [1];
  const lo: number[] = [cmaxLower];
  const up: number[] = [Infinity];
  const integ: number[] = [integral ? 1 : 0];
  const yCol = new Int32Array(n * m).fill(-1);
  for (let j = 0; j < n; j++)
    for (let k = 0; k < m; k++)
      if (allowed(problem, j, k)) {
        yCol[j * m + k] = cost.length;
        cost.push(0);
        lo.push(0);
        up.push(1);
        integ.push(1);
      }
  const starts: number[] = [0];
  const idx: number[] = [];
  const val: number[] = [];
  const rlo: number[] = [];
  const rup: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < m; k++)
      if (yCol[j * m + k] >= 0) {
        idx.push(yCol[j * m + k]);
        val.push(1);
      }
    starts.push(idx.length);
    rlo.push(1);
    rup.push(1);
  }
  for (let k = 0; k < m; k++) {
    let maxS = 0;
    for (let j = 0; j < n; j++)
      if (yCol[j * m + k] >= 0) {
        idx.push(yCol[j * m + k]);
        val.push(problem.p[j][k] + sIn[j][k]);
        maxS = Math.max(maxS, sIn[j][k]);
      }
    idx.push(0);
    val.push(-1);
    starts.push(idx.length);
    rlo.push(-Infinity);
    rup.push(maxS);
  }
  return {
    arrays: toModelArrays({ cost, lo, up, rlo, rup, starts, idx, val, integ }),
    integralObjective: integral,
  };
}
