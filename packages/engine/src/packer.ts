/**
 * The packer: turns per-line lot sequences into timed schedules following SPEC §3. It inserts the
 * CLEAN that opens each block, CHANGEOVERs inside blocks, IDLE time before start windows, and moves
 * work around downtime (the block after a downtime starts with a CLEAN).
 *
 * A plan is, per line, a list of lot positions (indices into instance.lots) where the token BREAK
 * forces a new block. The packer adds further block breaks when the cleaning window or a downtime
 * requires them; it never starts a block voluntarily.
 */
import { changeover } from './input';
import type { Instance } from './types';

export const BREAK = -1;
export type Plan = number[][];
const EPS = 1e-9;

export interface Placement {
  lot: number;
  line: number;
  fillStart: number;
  fillEnd: number;
  /** start of the CHANGEOVER that ends at fillStart (null = first lot of a block) */
  coStart: number | null;
  /** start of the CLEAN opening this lot's block (null = not the first lot of a block with a clean) */
  cleanStart: number | null;
}

/** Mutable simulation state of one line. */
export class LineSim {
  t = 0;
  /** time the current block's window started (end of its CLEAN), or NaN when no block is open */
  origin = NaN;
  lastType = -1;
  blocks = 0;
  private dt = 0;
  // scratch result of the last evaluate()
  fillStart = 0;
  fillEnd = 0;
  coStart: number | null = null;
  cleanStart: number | null = null;
  newBlock = false;

  constructor(
    private readonly inst: Instance,
    readonly k: number,
  ) {
    this.reset();
  }

  /** Empty line at hour 0, or the end of a replan's frozen prefix (Line.initial). */
  reset(): void {
    const s = this.inst.lines[this.k].initial;
    this.t = s?.t ?? 0;
    this.origin = s?.origin ?? NaN;
    this.lastType = s?.lastType ?? -1;
    this.blocks = s?.blocks ?? 0;
    this.dt = 0;
  }

  /** index of the first downtime overlapping (s, e), or -1 */
  private conflict(s: number, e: number): number {
    const dts = this.inst.lines[this.k].downtime;
    for (let j = this.dt; j < dts.length; j++) {
      const d = dts[j];
      if (d.start >= e - EPS) return -1;
      if (d.end > s + EPS) return j;
    }
    return -1;
  }

  /**
   * Computes where lot `j` would go if appended (results in the scratch fields); returns the fill end.
   * Infinity when the lot cannot run on this line.
   */
  evaluate(j: number, forceNew: boolean): number {
    const inst = this.inst;
    const lot = inst.lots[j];
    const f = lot.fill[this.k];
    if (!Number.isFinite(f)) return Infinity;
    const cfg = inst.config;
    const W = cfg.window_hours;
    const sw = lot.startWindow ?? 0;
    // 1. continue the open block. Without a cleaning regime (window_hours null) there are no
    //    voluntary block breaks: a CLEAN only opens a line or follows a downtime (SPEC §3).
    if ((!forceNew || W === null) && this.lastType >= 0) {
      const co = changeover(inst, this.k, this.lastType, lot.typeIndex);
      const fs = Math.max(this.t + co, sw);
      const fe = fs + f;
      if ((W === null || fe - this.origin <= W + EPS) && this.conflict(this.t, fe) < 0) {
        this.fillStart = fs;
        this.fillEnd = fe;
        this.coStart = fs - co;
        this.cleanStart = null;
        this.newBlock = false;
        return fe;
      }
    }
    // 2. the first block of a line without initial clean (window counted from the start time)
    if (this.blocks === 0 && !cfg.initial_clean) {
      const fs = Math.max(this.t, sw);
      const fe = fs + f;
      if ((W === null || fe <= W + EPS) && this.conflict(this.t, fe) < 0) {
        this.fillStart = fs;
        this.fillEnd = fe;
        this.coStart = null;
        this.cleanStart = null;
        this.newBlock = true;
        return fe;
      }
    }
    // 3. a new block opened by a CLEAN, pushed past downtime as needed
    const C = cfg.clean_hours;
    let cs = Math.max(this.t, sw - C);
    if (W === null && this.lastType >= 0) {
      // continuing failed only because of a downtime: the new block starts after it
      const d = this.conflict(this.t, Infinity);
      if (d >= 0) cs = Math.max(cs, this.inst.lines[this.k].downtime[d].end);
    }
    for (;;) {
      const c = this.conflict(cs, cs + C + f);
      if (c < 0) break;
      cs = Math.max(cs, this.inst.lines[this.k].downtime[c].end);
    }
    this.cleanStart = cs;
    this.coStart = null;
    this.fillStart = cs + C;
    this.fillEnd = cs + C + f;
    this.newBlock = true;
    return this.fillEnd;
  }

  /** Commits the last evaluate() for lot j. */
  commit(j: number): void {
    if (this.newBlock) {
      this.blocks++;
      this.origin = this.cleanStart !== null ? this.cleanStart + this.inst.config.clean_hours : 0;
    }
    this.t = this.fillEnd;
    this.lastType = this.inst.lots[j].typeIndex;
    const dts = this.inst.lines[this.k].downtime;
    while (this.dt < dts.length && dts[this.dt].end <= this.t + EPS) this.dt++;
  }

  /** The fill end of a lot appended as is (evaluate + commit). */
  append(j: number, forceNew: boolean): number {
    const fe = this.evaluate(j, forceNew);
    if (!Number.isFinite(fe)) throw new Error(`lot ${this.inst.lots[j].id} cannot run on line ${this.k + 1}`);
    this.commit(j);
    return fe;
  }
}

export interface Decoded {
  placements: Placement[];
  lineEnd: number[];
  makespan: number;
  tardiness: number;
  weightedTardiness: number;
  violations: number;
}

export function tardinessWeight(priority: number): number {
  return 1 + Math.max(0, priority);
}

/** Decodes a plan into placements. Every lot must appear exactly once, on a line where it may run. */
export function decode(inst: Instance, plan: Plan): Decoded {
  const placements: Placement[] = new Array(inst.lots.length);
  const lineEnd: number[] = [];
  let tard = 0;
  let wt = 0;
  let viol = 0;
  for (let k = 0; k < inst.lines.length; k++) {
    const sim = new LineSim(inst, k);
    let force = false;
    for (const j of plan[k] ?? []) {
      if (j === BREAK) {
        force = sim.blocks > 0;
        continue;
      }
      sim.append(j, force);
      force = false;
      placements[j] = {
        lot: j,
        line: k,
        fillStart: sim.fillStart,
        fillEnd: sim.fillEnd,
        coStart: sim.coStart,
        cleanStart: sim.cleanStart,
      };
      const ew = inst.lots[j].endWindow;
      if (ew !== null && sim.fillEnd > ew + 1e-7) {
        const d = sim.fillEnd - ew;
        tard += d;
        wt += d * tardinessWeight(inst.lots[j].priority);
        viol++;
      }
    }
    lineEnd.push(sim.t);
  }
  for (let j = 0; j < placements.length; j++)
    if (!placements[j]) throw new Error(`plan misses lot ${inst.lots[j].id}`);
  return {
    placements,
    lineEnd,
    makespan: Math.max(0, ...lineEnd),
    tardiness: tard,
    weightedTardiness: wt,
    violations: viol,
  };
}

/** Line end and weighted tardiness of one line's sequence (for local search). */
export function evalLine(
  inst: Instance,
  k: number,
  seq: readonly number[],
  sim?: LineSim,
): { end: number; wt: number; co: number } {
  const s = sim ?? new LineSim(inst, k);
  s.reset();
  let wt = 0;
  let co = 0;
  let force = false;
  for (const j of seq) {
    if (j === BREAK) {
      force = s.blocks > 0;
      continue;
    }
    const fe = s.evaluate(j, force);
    if (!Number.isFinite(fe)) return { end: Infinity, wt: Infinity, co: Infinity };
    if (s.coStart !== null) co += s.fillStart - s.coStart;
    s.commit(j);
    force = false;
    const ew = inst.lots[j].endWindow;
    if (ew !== null && fe > ew) wt += (fe - ew) * tardinessWeight(inst.lots[j].priority);
  }
  return { end: s.t, wt, co };
}

/** Turns a decoded schedule back into a plan (the sequence per line with the block breaks it used). */
export function planOf(inst: Instance, d: Decoded): Plan {
  const plan: Plan = inst.lines.map(() => []);
  const byLine: Placement[][] = inst.lines.map(() => []);
  for (const p of d.placements) byLine[p.line].push(p);
  for (let k = 0; k < byLine.length; k++) {
    byLine[k].sort((a, b) => a.fillStart - b.fillStart);
    for (const p of byLine[k]) {
      if (p.cleanStart !== null && plan[k].length > 0) plan[k].push(BREAK);
      plan[k].push(p.lot);
    }
  }
  return plan;
}
