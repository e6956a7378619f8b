import { promClient } from '@fillsched/service-kit';
import type { BridgeMetrics } from './ports';

const get = <M>(name: string, make: () => M): M =>
  (promClient.register.getSingleMetric(name) as M | undefined) ?? make();

const produced = get(
  'bridge_records_produced_total',
  () =>
    new promClient.Counter({
      name: 'bridge_records_produced_total',
      help: 'Lifecycle events produced to Kafka and acknowledged on the stream',
    }),
);
const errors = get(
  'bridge_errors_total',
  () =>
    new promClient.Counter({
      name: 'bridge_errors_total',
      help: 'Bridge errors: kafka (a batch Kafka did not take), invalid (a message not mirrored), source (a pull that failed)',
      labelNames: ['kind'],
    }),
);
const lag = get(
  'bridge_stream_lag',
  () =>
    new promClient.Gauge({
      name: 'bridge_stream_lag',
      help: 'Events on the stream not yet delivered to the bridge (consumer num_pending)',
    }),
);
export const kafkaReachableGauge = get(
  'bridge_kafka_reachable',
  () => new promClient.Gauge({ name: 'bridge_kafka_reachable', help: '1 while Kafka answers, else 0' }),
);

export const promBridgeMetrics: BridgeMetrics = {
  produced: (n) => produced.inc(n),
  error: (kind) => errors.inc({ kind }),
  lag: (n) => lag.set(n),
};
