/**
 * Local search on exact packer evaluations (used by hybrid-pack): start windows, due dates (priority
 * weighted tardiness), downtime and the cleaning window are all taken into account because every move
 * is re-decoded on the lines it touches. Objective: makespan + priority_weight · Σ (1 + priority) ·
 * tardiness (+ a small total-load tie-breaker). Moves: relocate a lot (any line, any position), swap
 * two lots, add or remove a block break. Deterministic for a seed.
 */
import { makeRng, type SolveContext } from '../context';
import { BREAK, LineSim, evalLine, type Plan } from '../packer';
import type { Instance } from '../types';

export interface ExactOptions {
  iterations: number;
  seed: number;
  phase: string;
  progressFrom: number;
  progressTo: number;
  weight: number | SearchWeights;
}

/** Weights of the searches' objective: makespan, priority-weighted tardiness, changeover hours. */
export interface SearchWeights {
  mk: number;
  wt: number;
  co: number;
}

/** A bare number is the historical tardiness weight (makespan weight 1, no changeover term). */
export function asWeights(w: number | SearchWeights | undefined): SearchWeights {
  if (w === undefined) return { mk: 1, wt: 0, co: 0 };
  return typeof w === 'number' ? { mk: 1, wt: w, co: 0 } : w;
}

/** The per-line part of the objective (tardiness and changeover terms). */
export function linePenalty(w: SearchWeights, r: { wt: number; co: number }): number {
  return (w.wt !== 0 ? w.wt * r.wt : 0) + (w.co !== 0 ? w.co * r.co : 0);
}

export function planObjective(inst: Instance, plan: Plan, weight: number | SearchWeights): number {
  const w = asWeights(weight);
  let mk = 0;
  let pen = 0;
  let sum = 0;
  for (let k = 0; k < inst.lines.length; k++) {
    const r = evalLine(inst, k, plan[k] ?? []);
    mk = Math.max(mk, r.end);
    pen += linePenalty(w, r);
    sum += r.end;
  }
  return w.mk * mk + pen + (0.01 / inst.lines.length) * sum;
}

export async function exactSearch(
  inst: Instance,
  ctx: SolveContext,
  start: Plan,
  opts: ExactOptions,
): Promise<Plan> {
  const m = inst.lines.length;
  const n = inst.lots.length;
  const rng = makeRng(opts.seed);
  const W = asWeights(opts.weight);
  const sims = inst.lines.map((_, k) => new LineSim(inst, k));
  const seqs = start.map((s) => s.slice());
  const end: number[] = [];
  const wt: number[] = [];
  for (let k = 0; k < m; k++) {
    const r = evalLine(inst, k, seqs[k], sims[k]);
    end.push(r.end);
    wt.push(linePenalty(W, r));
  }
  const lam = 0.01 / m;
  const total = (): number => {
    let mk = 0;
    let w = 0;
    let s = 0;
    for (let k = 0; k < m; k++) {
      if (end[k] > mk) mk = end[k];
      w += wt[k];
      s += end[k];
    }
    return W.mk * mk + w + lam * s;
  };
  let cur = total();
  const span = opts.progressTo - opts.progressFrom;
  const iters = n <= 1 ? 0 : opts.iterations;
  const posOf = (k: number, j: number): number => seqs[k].indexOf(j);
  const lineOf = new Int32Array(n);
  for (let k = 0; k < m; k++) for (const j of seqs[k]) if (j !== BREAK) lineOf[j] = k;
  const saved: Array<[number, number[], number, number]> = [];
  const save = (k: number): void => {
    if (!saved.some((s) => s[0] === k)) saved.push([k, seqs[k].slice(), end[k], wt[k]]);
  };
  const reeval = (k: number): boolean => {
    const r = evalLine(inst, k, seqs[k], sims[k]);
    end[k] = r.end;
    wt[k] = linePenalty(W, r);
    return Number.isFinite(r.end);
  };
  for (let it = 0; it < iters; it++) {
    if (ctx.due()) {
      if (ctx.expired()) break;
      await ctx.checkpoint(
        opts.phase,
        opts.progressFrom + (span * it) / iters,
        `local search ${it}/${iters}`,
      );
    }
    saved.length = 0;
    let crit = 0;
    for (let k = 1; k < m; k++) if (end[k] > end[crit]) crit = k;
    const pickLot = (): number => {
      if (rng() < 0.5) {
        const s = seqs[crit];
        for (let tries = 0; tries < 4 && s.length > 0; tries++) {
          const j = s[Math.floor(rng() * s.length)];
          if (j !== BREAK) return j;
        }
      }
      return Math.floor(rng() * n);
    };
    const r = rng();
    let ok = true;
    if (r < 0.55) {
      // relocate
      const j = pickLot();
      const from = lineOf[j];
      let to = rng() < 0.5 ? from : Math.floor(rng() * m);
      if (!Number.isFinite(inst.lots[j].fill[to])) to = from;
      save(from);
      save(to);
      seqs[from].splice(posOf(from, j), 1);
      const pos = Math.floor(rng() * (seqs[to].length + 1));
      seqs[to].splice(pos, 0, j);
      lineOf[j] = to;
      ok = reeval(from) && (to === from || reeval(to));
      if (!ok || total() > cur + 1e-9) lineOf[j] = from;
    } else if (r < 0.9) {
      // swap
      const a = pickLot();
      const b = Math.floor(rng() * n);
      const ka = lineOf[a];
      const kb = lineOf[b];
      if (a === b || !Number.isFinite(inst.lots[a].fill[kb]) || !Number.isFinite(inst.lots[b].fill[ka]))
        continue;
      save(ka);
      save(kb);
      const pa = posOf(ka, a);
      const pb = posOf(kb, b);
      seqs[ka][pa] = b;
      seqs[kb][pb] = a;
      lineOf[a] = kb;
      lineOf[b] = ka;
      ok = reeval(ka) && (ka === kb || reeval(kb));
      if (!ok || total() > cur + 1e-9) {
        lineOf[a] = ka;
        lineOf[b] = kb;
      }
    } else {
      // toggle a block break
      const k = rng() < 0.5 ? crit : Math.floor(rng() * m);
      const s = seqs[k];
      if (s.length < 2) continue;
      const p = 1 + Math.floor(rng() * (s.length - 1));
      save(k);
      if (s[p] === BREAK) s.splice(p, 1);
      else if (s[p - 1] !== BREAK) s.splice(p, 0, BREAK);
      ok = reeval(k);
    }
    const t = ok ? total() : Infinity;
    if (t <= cur + 1e-9) {
      cur = t;
    } else {
      for (const [k, s, e, w] of saved) {
        seqs[k] = s;
        end[k] = e;
        wt[k] = w;
      }
    }
  }
  return seqs;
}
