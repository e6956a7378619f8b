import { JOBS_STREAM, SOLVER_CONSUMER } from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { SolverWorker } from './app';
import { toJobMessage } from './adapters/nats';

export interface JobConsumer {
  /** Stops pulling; resolves when no pull is outstanding (jobs in hand are the worker's business). */
  stop(): Promise<void>;
  isPulling(): boolean;
}

/**
 * `concurrency` independent pull loops, each asking for one message only when it is free, so no
 * job waits in a client buffer while its ack_wait runs out (what a prefetching consume() would do).
 */
export async function startJobConsumer(opts: {
  js: JetStreamClient;
  worker: SolverWorker;
  concurrency: number;
  logger: Logger;
  /** How long one pull waits on the server; bounds how long stop() waits for idle loops. */
  pullExpiresMs?: number;
}): Promise<JobConsumer> {
  const { js, worker, logger } = opts;
  const expires = opts.pullExpiresMs ?? 2000;
  const consumer = await js.consumers.get(JOBS_STREAM, SOLVER_CONSUMER);
  let stopped = false;
  let pulling = opts.concurrency;

  const loop = async (slot: number) => {
    while (!stopped) {
      let msg;
      try {
        msg = await consumer.next({ expires });
      } catch (err) {
        if (stopped) break;
        logger.warn({ err, slot }, 'pull failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!msg) continue;
      if (stopped) {
        msg.nak(); // arrived while stopping: hand it straight back
        break;
      }
      await worker.handleJob(toJobMessage(msg, logger));
    }
  };

  const loops = Array.from({ length: opts.concurrency }, (_, slot) =>
    loop(slot)
      .catch((err) => logger.error({ err, slot }, 'pull loop ended with an error'))
      .finally(() => (pulling -= 1)),
  );
  logger.info({ concurrency: opts.concurrency }, 'consuming solve jobs');

  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
    isPulling: () => !stopped && pulling > 0,
  };
}
