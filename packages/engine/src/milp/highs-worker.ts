/**
 * Worker-thread entry: loads HiGHS (WASM) once, then runs one synchronous solve per 'solve' message and posts
 * the events back tagged with the request id. The worker stays alive between solves so the parent can reuse it
 * (the WASM load and module start-up are the bulk of a small solve's latency). The parent passes the absolute
 * path of the `highs` loader so resolution never depends on the cwd.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSequencingSolve, type HighsLike, type SolveInput } from './solver-core';

const port = parentPort;
if (!port) throw new Error('highs-worker must run in a worker thread');
const { highsPath } = workerData as { highsPath: string };
const highsReady = (require(highsPath) as () => Promise<HighsLike>)();
// Surface a failed load on the first request rather than as an unhandled rejection.
highsReady.catch(() => undefined);

port.on('message', (msg: { type: 'solve'; id: number; input: SolveInput; setupFlat?: Float64Array[] }) => {
  if (msg?.type !== 'solve') return;
  const { id, input } = msg;
  if (msg.setupFlat) {
    // Row views into the transferred buffers (indexable like number[][]; no copy).
    const n = input.problem.n;
    input.problem.setup = msg.setupFlat.map((flat) =>
      Array.from({ length: n }, (_, i) => flat.subarray(i * n, (i + 1) * n) as unknown as number[]),
    );
  }
  highsReady.then(
    (highs) => {
      try {
        const out = runSequencingSolve(highs, input, (e) => port.postMessage({ ...e, id }));
        port.postMessage({ type: 'done', id, result: out });
      } catch (err) {
        port.postMessage({
          type: 'error',
          id,
          message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err),
        });
      }
    },
    (err: unknown) =>
      port.postMessage({ type: 'error', id, message: `could not load HiGHS: ${String(err)}` }),
  );
});
// 'ready' once HiGHS is loaded, so callers can wait for a warm worker.
highsReady.then(
  () => port.postMessage({ type: 'ready' }),
  () => port.postMessage({ type: 'ready' }),
);
