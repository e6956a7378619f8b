import fs from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { normalizeInput, solve, type Instance, type SolveOutput } from '@fillsched/engine';
import type { FromWorker, ToWorker } from './engine-protocol';
import type { Engine, EngineSolveOptions } from './ports';

/** The engine threw (bad luck with an instance, a bug): the job fails, the worker carries on. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly engineStack?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** The engine thread died (crash, out of memory) or was terminated after ignoring an abort. */
export class EngineCrashedError extends EngineError {
  constructor(message: string) {
    super(message);
    this.name = 'EngineCrashedError';
  }
}

// Loads the TypeScript worker under jest (sources only, no build): compiles .ts with @swc/core on
// require and maps @fillsched/* to the packages' sources, as jest's moduleNameMapper does.
const TS_BOOTSTRAP = `
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { workerData } = require('node:worker_threads');
const { transformSync } = require(require.resolve('@swc/core', { paths: [workerData.root] }));
Module._extensions['.ts'] = function (mod, filename) {
  const out = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  mod._compile(out.code, filename);
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@fillsched\\/(contracts|engine|service-kit)$/.exec(request);
  if (m) request = path.join(workerData.root, 'packages', m[1], 'src', 'index.ts');
  return resolve.call(this, request, ...rest);
};
require(workerData.entry);
`;

export interface WorkerScript {
  file: string;
  options: WorkerOptions;
}

/** dist: engine-worker.js beside this file; jest on src: the .ts through the swc bootstrap. */
export function engineWorkerScript(dir = __dirname): WorkerScript {
  const js = path.join(dir, 'engine-worker.js');
  if (fs.existsSync(js)) return { file: js, options: {} };
  const ts = path.join(dir, 'engine-worker.ts');
  if (fs.existsSync(ts)) {
    return {
      file: TS_BOOTSTRAP,
      options: { eval: true, workerData: { entry: ts, root: path.resolve(dir, '..', '..', '..') } },
    };
  }
  throw new Error(`engine worker script not found in ${dir}`);
}

export interface ThreadEngineOptions {
  /** How long an aborted solve may take to stop before its thread is terminated. */
  abortGraceMs?: number;
  /** Threads kept warm between jobs (= the worker's concurrency); more are created on demand. */
  maxIdle?: number;
  script?: WorkerScript;
}

/**
 * Runs `solve` in worker threads that are reused between jobs (loading the engine and HiGHS
 * once, not per job). Normalization stays on the main thread: it is fast and decides poison input.
 */
export class ThreadEngine implements Engine {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly abortGraceMs: number;
  private readonly maxIdle: number;
  private readonly script: WorkerScript;
  private nextId = 1;
  private closed = false;

  constructor(opts: ThreadEngineOptions = {}) {
    this.abortGraceMs = opts.abortGraceMs ?? 200;
    this.maxIdle = opts.maxIdle ?? 1;
    this.script = opts.script ?? engineWorkerScript();
  }

  normalize = normalizeInput;

  threads(): number {
    return this.all.size;
  }

  /**
   * Starts the threads kept warm (`maxIdle`) before any job arrives: each warms the engine up as it
   * starts (engine-worker.ts), so a worker's first job runs optimised code instead of paying the
   * interpreter (lots_large.csv: ~130 ms cold, ~80 ms warmed, see the engine's `bench:speed`).
   */
  prestart(): void {
    while (!this.closed && this.all.size < this.maxIdle) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const worker = new Worker(this.script.file, this.script.options);
    worker.unref(); // an idle engine thread must not keep the process (or jest) alive
    this.all.add(worker);
    worker.once('exit', () => {
      this.all.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
    });
    // An error of an idle thread has no job to fail; 'exit' follows and removes it.
    worker.on('error', () => undefined);
    return worker;
  }

  private release(worker: Worker, reusable: boolean): void {
    if (reusable && !this.closed && this.idle.length < this.maxIdle && this.all.has(worker))
      this.idle.push(worker);
    else {
      this.all.delete(worker);
      void worker.terminate();
    }
  }

  solve(instance: Instance, opts: EngineSolveOptions): Promise<SolveOutput> {
    if (this.closed) return Promise.reject(new EngineError('engine is closed'));
    if (opts.signal.aborted) return Promise.reject(new EngineError('aborted before start'));
    const worker = this.idle.pop() ?? this.spawn();
    const id = this.nextId++;
    return new Promise<SolveOutput>((resolve, reject) => {
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const finish = (reusable: boolean, settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        opts.signal.removeEventListener('abort', onAbort);
        this.release(worker, reusable);
        settle();
      };
      const onMessage = (m: FromWorker) => {
        if (m.id !== id) return;
        if (m.type === 'progress') {
          try {
            opts.onProgress(m.progress);
          } catch {
            /* progress is best effort */
          }
        } else if (m.type === 'done') finish(true, () => resolve(m.output));
        else finish(true, () => reject(new EngineError(m.error.message, m.error.stack)));
      };
      const onError = (err: Error) =>
        finish(false, () => reject(new EngineCrashedError(`engine thread failed: ${err.message}`)));
      const onExit = (code: number) =>
        finish(false, () => reject(new EngineCrashedError(`engine thread exited with code ${code}`)));
      const onAbort = () => {
        worker.postMessage({ type: 'abort', id } satisfies ToWorker);
        // A solve stuck in synchronous work never sees the abort message: end its thread.
        killTimer = setTimeout(
          () =>
            finish(false, () =>
              reject(
                new EngineCrashedError(
                  `engine did not stop within ${this.abortGraceMs} ms; thread terminated`,
                ),
              ),
            ),
          this.abortGraceMs,
        );
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const msg: ToWorker = {
          type: 'solve',
          id,
          instance,
          options: { strategy: opts.strategy, seed: opts.seed, timeLimitS: opts.timeLimitS },
        };
        worker.postMessage(msg);
      } catch (err) {
        finish(false, () =>
          reject(new EngineError(`cannot hand the instance to the engine: ${(err as Error).message}`)),
        );
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.allSettled([...this.all].map((w) => w.terminate()));
    this.all.clear();
  }
}

/** Same engine on the calling thread (tests, tools). Blocks the event loop while it computes. */
export class InProcessEngine implements Engine {
  normalize = normalizeInput;
  async solve(instance: Instance, opts: EngineSolveOptions): Promise<SolveOutput> {
    try {
      return await solve(instance, opts);
    } catch (err) {
      if (err instanceof EngineError) throw err;
      throw new EngineError(err instanceof Error ? err.message : String(err), (err as Error)?.stack);
    }
  }
}
