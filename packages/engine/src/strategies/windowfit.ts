/**
 * Window-fit list rule: the list strategies' order applied block by block. The line that is free
 * first fills its open block with the first lot of the order that still fits in the cleaning window
 * (a lot of the block's current type first, then any type); when none fits, the block is closed and
 * the first lot of the order that can run there opens the next one. This is how the reference
 * implementation packs its single line (`pick_next`); here it runs on any number of lines, with
 * start windows, downtime and line-specific fill hours through the packer's own evaluation.
 *
 * `rotate` reproduces the reference's deque handling: the lots skipped over to reach the chosen one
 * move to the end of the order. Both variants are cheap (one scan of the remaining order per lot).
 * Returns null when the time limit or an abort cuts it short (the callers treat it as an extra
 * candidate; an abort is then raised by the caller's next checkpoint).
 */
import type { SolveContext } from '../context';
import { BREAK, LineSim, type Plan } from '../packer';
import type { Instance } from '../types';

const EPS = 1e-9;

export async function windowFit(
  inst: Instance,
  order: readonly number[],
  rotate: boolean,
  ctx: SolveContext,
  phase: string,
): Promise<Plan | null> {
  const m = inst.lines.length;
  const W = inst.config.window_hours;
  const sims = inst.lines.map((_, k) => new LineSim(inst, k));
  const plan: Plan = inst.lines.map(() => []);
  let rem = order.slice();
  const dead = new Uint8Array(m); // line with no remaining lot it can run
  const take = (i: number): void => {
    if (rotate) rem = rem.slice(i + 1).concat(rem.slice(0, i));
    else rem.splice(i, 1);
  };
  let done = 0;
  while (rem.length > 0) {
    let k = -1;
    for (let q = 0; q < m; q++) if (!dead[q] && (k < 0 || sims[q].t < sims[k].t - EPS)) k = q;
    if (k < 0) throw new Error('window-fit: a lot can run on no line');
    const sim = sims[k];
    let pick = -1;
    if (sim.lastType >= 0) {
      // room left in the open block (no cleaning regime: unbounded)
      const avail = W === null ? Infinity : sim.origin + W - sim.t;
      let any = -1;
      for (let i = 0; i < rem.length; i++) {
        const j = rem[i];
        const f = inst.lots[j].fill[k];
        if (!(f <= avail + EPS)) continue;
        const same = inst.lots[j].typeIndex === sim.lastType;
        if (!same && any >= 0) continue;
        const fe = sim.evaluate(j, false);
        if (!Number.isFinite(fe) || sim.newBlock) continue;
        if (same) {
          pick = i;
          break;
        }
        any = i;
      }
      if (pick < 0) pick = any;
    }
    let force = false;
    if (pick < 0) {
      // close the block: the first lot of the order that can run here opens the next one
      for (let i = 0; i < rem.length; i++)
        if (Number.isFinite(inst.lots[rem[i]].fill[k])) {
          pick = i;
          break;
        }
      if (pick < 0) {
        dead[k] = 1;
        continue;
      }
      force = sim.blocks > 0;
      if (force) plan[k].push(BREAK);
    }
    const j = rem[pick];
    sim.evaluate(j, force);
    sim.commit(j);
    plan[k].push(j);
    take(pick);
    done++;
    if (ctx.due()) {
      // an extra candidate: past the time limit it is dropped rather than finished
      if (ctx.expired()) return null;
      await ctx.checkpoint(phase, (100 * done) / order.length);
    }
  }
  return plan;
}
