// Worker-thread entry: runs the CPU-bound engine off the main event loop, so heartbeats, cancel
// messages and result requests keep being served while a job solves. One job at a time per thread.
import { parentPort } from 'node:worker_threads';
import { solve, warmUp } from '@fillsched/engine';
import type { ToWorker, FromWorker } from './engine-protocol';

const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');

const controllers = new Map<number, AbortController>();

// A fresh thread runs the engine interpreted at first; a few built-in solves (~0.5 s of this
// thread's CPU) leave it optimised for the first job. A job that arrives meanwhile waits at most that.
void warmUp();
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'abort') {
    controllers.get(m.id)?.abort();
    return;
  }
  const { id } = m;
  const controller = new AbortController();
  controllers.set(id, controller);
  let result;
  try {
    result = solve(m.instance, {
      ...m.options,
      signal: controller.signal,
      onProgress: (progress) => post({ type: 'progress', id, progress }),
    });
  } catch (err) {
    result = Promise.reject(err);
  }
  Promise.resolve(result)
    .then(
      (output) => post({ type: 'done', id, output }),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        post({ type: 'error', id, error: { name: e.name, message: e.message, stack: e.stack } });
      },
    )
    .finally(() => controllers.delete(id));
});
