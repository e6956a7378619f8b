import type { Logger } from '@fillsched/service-kit';
import type { BridgeMetrics, EventSource } from './ports';

/**
 * Every `everyMs`: is Kafka reachable (readiness, gauge), and how far is the bridge behind the
 * stream (lag metric). A probe that throws counts as a failed probe, never stops the timer.
 */
export function startProbes(opts: {
  everyMs: number;
  sink: { probe(): Promise<boolean> };
  source: Pick<EventSource, 'pending'>;
  metrics: BridgeMetrics;
  reachableGauge: { set(v: number): void };
  logger: Logger;
}): { stop(): void; tick(): Promise<void> } {
  let was: boolean | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const ok = await opts.sink.probe().catch(() => false);
      opts.reachableGauge.set(ok ? 1 : 0);
      if (ok !== was) {
        if (ok) opts.logger.info('Kafka reachable');
        else opts.logger.warn('Kafka unreachable: not ready, events wait in the stream');
        was = ok;
      }
      const lag = await opts.source.pending().catch(() => undefined);
      if (lag !== undefined) opts.metrics.lag(lag);
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
