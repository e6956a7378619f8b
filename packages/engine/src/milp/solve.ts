/**
 * `solveSequencingMilp`: runs the MILP solve (see solver-core.ts) in a worker thread so the event loop stays
 * free, relays progress, honours an AbortSignal (the worker is terminated at once; the promise rejects with an
 * Error named 'AbortError'), and validates what comes back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EPS, makespan, validateProblem, validateSequences, type SequencingProblem } from './core';
import { constructSequences } from './local-search';
import type { SolveEvent, SolveOutput } from './solver-core';

export interface MilpOptions {
  timeLimitS: number;
  signal?: AbortSignal;
  onProgress?: (p: {
    percent: number;
    incumbent: number | null;
    bound: number | null;
    message: string;
  }) => void;
  seed?: number;
  /** Force the exact model ('full'), the arc model ('arc') or the LNS ('lns'); default: chosen by size. */
  mode?: 'full' | 'arc' | 'lns';
}

export interface MilpResult {
  sequences: number[][];
  objective: number;
  bound: number;
  optimal: boolean;
}

/** Upper limit on the time limit we accept (24 h); anything non-finite is clamped to it. */
const MAX_TIME_S = 86400;
/** Extra time the worker gets after its time limit before we terminate it and use its last incumbent. */
const GRACE_MS = 1500;

function abortError(): Error {
  const e = new Error('The MILP solve was aborted');
  e.name = 'AbortError';
  return e;
}

function spawnWorker(): Worker {
  const workerData = { highsPath: require.resolve('highs') };
  const js = path.join(__dirname, 'highs-worker.js');
  if (fs.existsSync(js)) return new Worker(js, { workerData });
  // Running from TypeScript sources (jest, ts tooling): compile the worker on the fly with @swc/core.
  const ts = path.join(__dirname, 'highs-worker.ts');
  if (!fs.existsSync(ts)) throw new Error(`MILP worker script not found next to ${__dirname}`);
  const swcPath = require.resolve('@swc/core');
  const code = `
    const fs = require('fs');
    const swc = require(${JSON.stringify(swcPath)});
    require.extensions['.ts'] = (module, filename) => {
      const out = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
        filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' },
      });
      module._compile(out.code, filename);
    };
    require(${JSON.stringify(ts)});
  `;
  return new Worker(code, { eval: true, workerData });
}

/**
 * One idle worker (HiGHS already loaded) is kept for the next solve; it is unref'd so it never keeps the
 * process alive. Workers that were aborted or timed out are terminated, never reused.
 */
let idle: Worker | null = null;
let nextId = 1;

function acquireWorker(): Worker {
  const w = idle ?? spawnWorker();
  idle = null;
  w.ref();
  return w;
}

function releaseWorker(w: Worker): void {
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  if (idle) {
    void w.terminate();
    return;
  }
  idle = w;
  w.unref();
  const drop = (): void => {
    if (idle === w) idle = null;
  };
  w.once('exit', drop);
  w.once('error', () => {
    drop();
    void w.terminate();
  });
}

/**
 * Starts a worker and loads HiGHS ahead of the first solve (optional; hides the start-up latency).
 * Resolves when that worker has HiGHS loaded (or after `timeoutMs`).
 */
export function prewarmMilpWorker(timeoutMs = 5000): Promise<void> {
  if (idle) return Promise.resolve();
  const w = spawnWorker();
  releaseWorker(w);
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, timeoutMs);
    t.unref();
    const onMsg = (m: { type?: string }): void => {
      if (m?.type !== 'ready') return;
      w.off('message', onMsg);
      clearTimeout(t);
      resolve();
    };
    w.on('message', onMsg);
    w.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Terminates the idle worker (tests, graceful shutdown). */
export async function shutdownMilpWorkers(): Promise<void> {
  const w = idle;
  idle = null;
  if (w) await w.terminate();
}

export function solveSequencingMilp(
  problem: SequencingProblem,
  warmStart: number[][],
  options: MilpOptions,
): Promise<MilpResult> {
  // The budget starts now: validation and data transfer on this thread count against it.
  const started = Date.now();
  return new Promise<MilpResult>((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const problemErrors = validateProblem(problem);
    if (problemErrors.length) {
      reject(new Error(`invalid sequencing problem: ${problemErrors.slice(0, 5).join('; ')}`));
      return;
    }
    const timeLimitS = Number.isFinite(options.timeLimitS)
      ? Math.min(MAX_TIME_S, Math.max(0, options.timeLimitS))
      : MAX_TIME_S;
    const warmValid = Array.isArray(warmStart) && validateSequences(problem, warmStart).length === 0;
    // The incumbent we can always fall back to: the warm start or our own construction.
    let incumbent: number[][] = warmValid ? warmStart.map((s) => s.slice()) : constructSequences(problem);
    let incumbentObj = makespan(problem, incumbent);
    // Cheap valid bound for the fallback paths (the worker computes and reports the real one).
    let bound = 0;
    for (let j = 0; j < problem.n; j++)
      bound = Math.max(bound, Math.min(...problem.p[j].map((v) => (Number.isFinite(v) ? v : Infinity))));
    bound = Math.min(bound, incumbentObj);
    let last = {
      percent: 0,
      incumbent: incumbentObj as number | null,
      bound: bound as number | null,
      message: 'starting',
    };
    let lastEmit = 0;
    const emit = (p: typeof last): void => {
      last = p;
      lastEmit = Date.now();
      try {
        options.onProgress?.(p);
      } catch {
        /* a throwing progress listener must not break the solve */
      }
    };
    let settled = false;
    const id = nextId++;
    let worker: Worker;
    try {
      worker = acquireWorker();
      // Setup matrices travel as one transferable Float64Array per line: structured-cloning m·n² nested
      // numbers blocks the event loop for seconds on large inputs, a flat copy plus transfer does not.
      const setupFlat = problem.setup.map((mat) => {
        const flat = new Float64Array(problem.n * problem.n);
        const n = problem.n;
        for (let i = 0; i < n; i++) {
          const row = mat[i];
          const base = i * n;
          for (let j = 0; j < n; j++) flat[base + j] = row[j];
        }
        return flat;
      });
      worker.postMessage(
        {
          type: 'solve',
          id,
          setupFlat,
          input: {
            problem: { n: problem.n, m: problem.m, p: problem.p, setup: [] },
            warmStart: warmValid ? warmStart : null,
            timeLimitS,
            // Leave ~60 ms for the result to travel back and be validated.
            deadlineMs: started + Math.max(0, timeLimitS * 1000 - 60),
            seed: options.seed,
            mode: options.mode,
          },
        },
        setupFlat.map((a) => a.buffer),
      );
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const heartbeat = setInterval(() => {
      if (Date.now() - lastEmit >= 200) {
        emit({
          ...last,
          percent: Math.min(100, ((Date.now() - started) / Math.max(1, timeLimitS * 1000)) * 100),
        });
      }
    }, 50);
    const finish = (): void => {
      settled = true;
      clearInterval(heartbeat);
      clearTimeout(safety);
      signal?.removeEventListener('abort', onAbort);
    };
    const fallbackResult = (): MilpResult => ({
      sequences: incumbent,
      objective: incumbentObj,
      bound: Math.min(bound, incumbentObj),
      optimal: incumbentObj <= bound + EPS,
    });
    const onAbort = (): void => {
      if (settled) return;
      finish();
      void worker.terminate();
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const safety = setTimeout(
      () => {
        if (settled) return;
        finish();
        void worker.terminate();
        emit({ ...last, percent: 100, message: 'time limit: worker stopped, returning the best incumbent' });
        resolve(fallbackResult());
      },
      Math.max(0, started + timeLimitS * 1000 + GRACE_MS - Date.now()),
    );
    const acceptIncumbent = (seqs: number[][], b: number): void => {
      if (validateSequences(problem, seqs).length === 0) {
        const obj = makespan(problem, seqs);
        if (obj < incumbentObj - EPS) {
          incumbent = seqs;
          incumbentObj = obj;
        }
      }
      if (Number.isFinite(b) && b > bound && b <= incumbentObj + EPS) bound = b;
    };
    type Msg = (SolveEvent | { type: 'done'; result: SolveOutput } | { type: 'error'; message: string }) & {
      id?: number;
    };
    worker.on('message', (raw: Msg | { type: 'ready' }) => {
      if (settled || raw.type === 'ready') return;
      const msg = raw as Msg;
      if (msg.id !== id) return;
      if (msg.type === 'progress') {
        if (msg.bound !== null && msg.bound > bound && msg.bound <= incumbentObj + EPS) bound = msg.bound;
        emit({
          percent: msg.percent,
          incumbent: Math.min(msg.incumbent ?? Infinity, incumbentObj),
          bound,
          message: msg.message,
        });
      } else if (msg.type === 'incumbent') {
        acceptIncumbent(msg.sequences, msg.bound);
      } else if (msg.type === 'done') {
        finish();
        releaseWorker(worker);
        acceptIncumbent(msg.result.sequences, msg.result.bound);
        const res = fallbackResult();
        // Re-validate independently of the worker.
        const errs = validateSequences(problem, res.sequences);
        if (errs.length) {
          reject(new Error(`MILP returned an invalid schedule: ${errs.slice(0, 3).join('; ')}`));
          return;
        }
        res.optimal = res.optimal && (msg.result.optimal || res.objective <= res.bound + EPS);
        emit({
          percent: 100,
          incumbent: res.objective,
          bound: res.bound,
          message: res.optimal ? 'optimal' : 'finished',
        });
        resolve(res);
      } else if (msg.type === 'error') {
        finish();
        void worker.terminate();
        reject(new Error(`MILP worker failed: ${msg.message}`));
      }
    });
    worker.on('error', (err) => {
      if (settled) return;
      finish();
      reject(err);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      finish();
      // The worker died without a result (e.g. out of memory): the incumbent is still a valid answer.
      if (code !== 0)
        emit({ ...last, message: `worker exited with code ${code}; returning the best incumbent` });
      resolve(fallbackResult());
    });
  });
}
