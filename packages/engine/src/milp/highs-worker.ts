/**
 * Worker-thread entry: loads HiGHS (WASM), runs the synchronous solve and posts events back.
 * The parent passes the absolute path of the `highs` loader so resolution never depends on the cwd.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSequencingSolve, type HighsLike, type SolveInput } from './solver-core';

interface WorkerInput extends SolveInput {
  highsPath: string;
}

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  const port = parentPort;
  if (!port) throw new Error('highs-worker must run in a worker thread');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loader = require(input.highsPath) as () => Promise<HighsLike>;
    const highs = await loader();
    const out = runSequencingSolve(highs, input, (e) => port.postMessage(e));
    port.postMessage({ type: 'done', result: out });
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
}

void main();
