/**
 * Core definitions for the unrelated-parallel-line sequencing problem
 * (R | S_ijk | Cmax): evaluation, validation and a combinatorial lower bound.
 * Pure functions, no I/O; shared by the MILP worker, the local search and the bench.
 */

export interface SequencingProblem {
  n: number;
  m: number;
  /** p[j][k]: hours of job j on line k; Infinity (or a non-finite value) = not allowed. */
  p: number[][];
  /** setup[k][i][j]: hours on line k when job j directly follows job i. */
  setup: number[][][];
}

export const EPS = 1e-6;

export function allowed(problem: SequencingProblem, j: number, k: number): boolean {
  const v = problem.p[j]?.[k];
  return typeof v === 'number' && Number.isFinite(v);
}

/** Completion time of one line: Σ p + Σ setups between consecutive jobs (first job has no setup). */
export function lineSpan(problem: SequencingProblem, k: number, seq: readonly number[]): number {
  let t = 0;
  const s = problem.setup[k];
  for (let r = 0; r < seq.length; r++) {
    const j = seq[r];
    t += problem.p[j][k];
    if (r > 0) t += s[seq[r - 1]][j];
  }
  return t;
}

export function makespan(problem: SequencingProblem, sequences: readonly (readonly number[])[]): number {
  let c = 0;
  for (let k = 0; k < problem.m; k++) c = Math.max(c, lineSpan(problem, k, sequences[k] ?? []));
  return c;
}

/** Errors of a candidate solution (empty = valid): every job exactly once, only on allowed lines. */
export function validateSequences(
  problem: SequencingProblem,
  sequences: readonly (readonly number[])[],
): string[] {
  const errors: string[] = [];
  if (!Array.isArray(sequences) || sequences.length !== problem.m) {
    errors.push(
      `expected ${problem.m} line sequences, got ${Array.isArray(sequences) ? sequences.length : typeof sequences}`,
    );
    return errors;
  }
  const seen = new Array<number>(problem.n).fill(0);
  for (let k = 0; k < problem.m; k++) {
    for (const j of sequences[k]) {
      if (!Number.isInteger(j) || j < 0 || j >= problem.n) {
        errors.push(`line ${k}: invalid job index ${String(j)}`);
        continue;
      }
      seen[j]++;
      if (!allowed(problem, j, k)) errors.push(`job ${j} is not allowed on line ${k}`);
    }
  }
  for (let j = 0; j < problem.n; j++) {
    if (seen[j] === 0) errors.push(`job ${j} is not scheduled`);
    else if (seen[j] > 1) errors.push(`job ${j} is scheduled ${seen[j]} times`);
  }
  return errors;
}

/** Structural checks of the problem itself (dimensions, finite non-negative setups, every job runnable). */
export function validateProblem(problem: SequencingProblem): string[] {
  const errors: string[] = [];
  const { n, m } = problem;
  if (!Number.isInteger(n) || n < 0) errors.push('n must be a non-negative integer');
  if (!Number.isInteger(m) || m < 1) errors.push('m must be a positive integer');
  if (errors.length) return errors;
  if (!Array.isArray(problem.p) || problem.p.length !== n) errors.push(`p must have ${n} rows`);
  if (!Array.isArray(problem.setup) || problem.setup.length !== m)
    errors.push(`setup must have ${m} matrices`);
  if (errors.length) return errors;
  for (let j = 0; j < n; j++) {
    const row = problem.p[j];
    if (!Array.isArray(row) || row.length !== m) {
      errors.push(`p[${j}] must have ${m} entries`);
      continue;
    }
    let any = false;
    for (let k = 0; k < m; k++) {
      const v = row[k];
      if (typeof v !== 'number' || Number.isNaN(v) || v < 0)
        errors.push(`p[${j}][${k}] must be a non-negative number or Infinity`);
      else if (Number.isFinite(v)) any = true;
    }
    if (!any) errors.push(`job ${j} is not allowed on any line`);
  }
  for (let k = 0; k < m; k++) {
    const s = problem.setup[k];
    if (!Array.isArray(s) || s.length < n) {
      errors.push(`setup[${k}] must be ${n}×${n}`);
      continue;
    }
    for (let i = 0; i < n && errors.length < 20; i++) {
      if (!Array.isArray(s[i]) || s[i].length < n) {
        errors.push(`setup[${k}][${i}] must have ${n} entries`);
        continue;
      }
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const v = s[i][j];
        // A non-finite setup is allowed only if the pair can never be adjacent; we treat it as forbidden-adjacency.
        if (typeof v !== 'number' || Number.isNaN(v) || v < 0)
          errors.push(`setup[${k}][${i}][${j}] must be a non-negative number`);
      }
    }
  }
  return errors;
}

export function isIntegral(problem: SequencingProblem): boolean {
  for (let j = 0; j < problem.n; j++)
    for (let k = 0; k < problem.m; k++) {
      const v = problem.p[j][k];
      if (Number.isFinite(v) && !Number.isInteger(v)) return false;
    }
  for (let k = 0; k < problem.m; k++)
    for (let i = 0; i < problem.n; i++)
      for (let j = 0; j < problem.n; j++)
        if (i !== j && Number.isFinite(problem.setup[k][i][j]) && !Number.isInteger(problem.setup[k][i][j]))
          return false;
  return true;
}

/** Minimum setup into job j on line k from any other job allowed on k (0 if j can only be first). */
export function minSetupInto(problem: SequencingProblem, j: number, k: number): number {
  let best = Infinity;
  for (let i = 0; i < problem.n; i++) {
    if (i === j || !allowed(problem, i, k)) continue;
    const v = problem.setup[k][i][j];
    if (v < best) best = v;
  }
  return Number.isFinite(best) ? best : 0;
}

/**
 * sIn[j][k] = minimum setup into job j on line k from any other job allowed on k (0 if none), computed
 * row-wise (cache-friendly: O(m·n²) sequential reads instead of strided column scans).
 */
export function minSetupIntoAll(problem: SequencingProblem): number[][] {
  const { n, m } = problem;
  const out = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  const minIn = new Float64Array(n);
  for (let k = 0; k < m; k++) {
    minIn.fill(Infinity);
    const S = problem.setup[k];
    for (let i = 0; i < n; i++) {
      if (!allowed(problem, i, k)) continue;
      const row = S[i];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const v = row[j];
        if (v < minIn[j]) minIn[j] = v;
      }
    }
    for (let j = 0; j < n; j++) out[j][k] = Number.isFinite(minIn[j]) ? minIn[j] : 0;
  }
  return out;
}

/**
 * Combinatorial lower bound, valid for every instance:
 *  - the longest job on its best line;
 *  - total work: every job costs at least b_j = min_k p_jk, every job that is not first on its line at least
 *    a_j = min_k (p_jk + min setup into j on k); at most m jobs are first, so Σ load ≥ Σ a_j − (m largest a_j − b_j),
 *    and Cmax ≥ that / m.
 * Rounded up when all data are integers.
 */
export function combinatorialLowerBound(problem: SequencingProblem): number {
  const { n, m } = problem;
  if (n === 0) return 0;
  let longest = 0;
  let sumA = 0;
  const savings: number[] = [];
  const sIn = minSetupIntoAll(problem);
  for (let j = 0; j < n; j++) {
    let a = Infinity;
    let b = Infinity;
    for (let k = 0; k < m; k++) {
      if (!allowed(problem, j, k)) continue;
      const pj = problem.p[j][k];
      b = Math.min(b, pj);
      a = Math.min(a, pj + sIn[j][k]);
    }
    longest = Math.max(longest, b);
    sumA += a;
    savings.push(a - b);
  }
  savings.sort((x, y) => y - x);
  let save = 0;
  for (let r = 0; r < Math.min(m, n); r++) save += savings[r];
  let lb = Math.max(longest, (sumA - save) / m);
  if (isIntegral(problem)) lb = Math.ceil(lb - EPS);
  return lb;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
