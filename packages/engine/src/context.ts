/** Time limit, AbortSignal and progress plumbing shared by the strategies. */
import type { SolveProgress } from './types';

export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** mulberry32: small, fast, deterministic. */
export function makeRng(seed: number): () => number {
  let a = (seed >>> 0) + 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const YIELD_MS = 10;
const PROGRESS_MS = 200;

export class SolveContext {
  readonly t0 = performance.now();
  readonly deadline: number;
  private lastYield = this.t0;
  private lastProgress = -Infinity;
  private counter = 0;
  best: number | null = null;
  phase = 'starting';
  percent = 0;

  constructor(
    readonly timeLimitS: number,
    readonly lowerBound: number,
    private readonly signal?: AbortSignal,
    private readonly onProgress?: (p: SolveProgress) => void,
  ) {
    this.deadline = this.t0 + timeLimitS * 1000;
  }

  elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  remainingS(): number {
    return Math.max(0, (this.deadline - performance.now()) / 1000);
  }

  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** true when the time limit is reached or the run was aborted (cheap enough for inner loops). */
  expired(): boolean {
    return this.aborted || performance.now() >= this.deadline;
  }

  /** Call often from loops: true every few iterations when a checkpoint() is due. */
  due(): boolean {
    if ((++this.counter & 15) !== 0) return false;
    const now = performance.now();
    return now - this.lastYield >= YIELD_MS || now >= this.deadline;
  }

  noteBest(makespan: number): void {
    if (this.best === null || makespan < this.best) this.best = makespan;
  }

  report(phase: string, percent: number, message = ''): void {
    this.phase = phase;
    this.percent = Math.max(this.percent, Math.min(100, percent));
    this.lastProgress = performance.now();
    if (!this.onProgress) return;
    try {
      this.onProgress({
        phase,
        percent: Math.round(this.percent * 10) / 10,
        best_makespan: this.best === null ? null : Math.round(this.best * 10000) / 10000,
        lower_bound: Math.round(this.lowerBound * 10000) / 10000,
        message,
      });
    } catch {
      // a throwing progress listener must not break the solve
    }
  }

  /** Yields to the event loop (so an abort can arrive), reports progress, throws AbortError when aborted. */
  async checkpoint(phase?: string, percent?: number, message = ''): Promise<void> {
    const now = performance.now();
    if (phase !== undefined) {
      this.phase = phase;
      if (percent !== undefined) this.percent = Math.max(this.percent, Math.min(100, percent));
    }
    if (now - this.lastProgress >= PROGRESS_MS) this.report(this.phase, this.percent, message);
    if (now - this.lastYield >= YIELD_MS) {
      await new Promise<void>((r) => setImmediate(r));
      this.lastYield = performance.now();
    }
    if (this.aborted) throw abortError();
  }
}
