import type { Instance, SolveOutput, SolveProgress, StrategyId } from '@fillsched/engine';

/** Messages between the job handler's thread runner and engine-worker (structured clone). */
export type ToWorker =
  | {
      type: 'solve';
      id: number;
      instance: Instance;
      options: { strategy: StrategyId; seed?: number; timeLimitS: number };
    }
  | { type: 'abort'; id: number };

export type FromWorker =
  | { type: 'progress'; id: number; progress: SolveProgress }
  | { type: 'done'; id: number; output: SolveOutput }
  | { type: 'error'; id: number; error: { name: string; message: string; stack?: string } };
