/** Polishing moves for the block model. */
import type { BlockModel } from './blocks';

/**
 * Feasible descent on the total changeover time: relocate a lot, or swap two lots, between blocks
 * when both blocks still fit the window and the sum of block lengths decreases (this regroups types
 * after block elimination). First improvement, at most maxMoves moves.
 */
export function polish(
  model: BlockModel,
  maxMoves: number,
  shouldStop: () => boolean = () => false,
  maxWork = 4e5,
): number {
  const W = model.W;
  const m = model.m;
  let moves = 0;
  let work = 0;
  let improved = true;
  while (improved && moves < maxMoves && work < maxWork && !shouldStop()) {
    improved = false;
    for (let kx = 0; kx < m && moves < maxMoves; kx++) {
      for (const X of model.lines[kx].slice()) {
        if (X.lots.length < 2) continue;
        // only blocks that mix types (or, with matrices, every block) can lose changeover time
        if (!model.hasMatrix) {
          const t0 = model.type[X.lots[0]];
          if (X.lots.every((j) => model.type[j] === t0)) continue;
        }
        if (work >= maxWork || shouldStop()) return moves;
        for (let ia = 0; ia < X.lots.length && moves < maxMoves; ia++) {
          const a = X.lots[ia];
          const remA = model.removeDelta(kx, X.lots, ia);
          let done = false;
          for (let k = 0; k < m && !done; k++) {
            if (!Number.isFinite(model.fill[a * m + k])) continue;
            for (const Y of model.lines[k]) {
              if (Y === X) continue;
              work += 1 + Y.lots.length;
              const [dA, pA] = model.bestPos(k, Y.lots, -1, a);
              if (
                Y.internal + dA <= W + 1e-9 &&
                dA < remA - 1e-9 &&
                (k === kx || model.load(k) + dA <= model.load(kx) - remA + 1e-9)
              ) {
                model.remove(a);
                model.insertAt(a, k, Y, pA);
                done = true;
                break;
              }
              work += Y.lots.length * (X.lots.length + Y.lots.length);
              for (let ib = 0; ib < Y.lots.length; ib++) {
                const b = Y.lots[ib];
                if (!Number.isFinite(model.fill[b * m + kx])) continue;
                const remB = model.removeDelta(k, Y.lots, ib);
                const [dB] = model.bestPos(kx, X.lots, ia, b);
                const [dA2] = model.bestPos(k, Y.lots, ib, a);
                const nx = X.internal - remA + dB;
                const ny = Y.internal - remB + dA2;
                if (
                  nx <= W + 1e-9 &&
                  ny <= W + 1e-9 &&
                  nx + ny < X.internal + Y.internal - 1e-9 &&
                  (k === kx || (nx - X.internal <= 1e-9 && ny - Y.internal <= 1e-9))
                ) {
                  const yAlive = Y.lots.length > 1;
                  model.remove(a);
                  model.remove(b);
                  model.insertAt(b, kx, X, model.bestPos(kx, X.lots, -1, b)[1]);
                  if (yAlive) model.insertAt(a, k, Y, model.bestPos(k, Y.lots, -1, a)[1]);
                  else model.insertAt(a, k, null, 0);
                  done = true;
                  break;
                }
              }
              if (done) break;
            }
          }
          if (done) {
            moves++;
            improved = true;
            break;
          }
        }
      }
    }
  }
  return moves;
}
