import { BRIDGE_CONSUMER, STREAM_SPECS, bridgeConsumerSpec } from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  ensureStreams,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  createServiceClient,
  natsAuth,
  serveUntilShutdown,
  type ConsumerSpec,
  type StreamSpec,
} from '@fillsched/service-kit';
import { jetstreamSource } from './adapters/jetstream';
import { kafkaSink, type TopicSpec } from './adapters/kafka';
import { natsResultReader } from './adapters/result-reader';
import { startBridge } from './app';
import { bridgeEnvSchema } from './config';
import { startProbes } from './probes';
import { kafkaReachableGauge, promBridgeMetrics } from './metrics';
import { createResultsProducer, resultsTopicSpec } from './results';
import { promResultsMetrics } from './results-metrics';

const SERVICE = 'events-bridge';

async function main(): Promise<void> {
  const env = loadConfig(bridgeEnvSchema);
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  installProcessErrorHandlers(logger);

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}${env.SERVICE_INSTANCE ? `-${env.SERVICE_INSTANCE}` : ''}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });
  // Two batches unacknowledged: the one with Kafka and the one pulled behind it (app.ts).
  const { stream, ...consumer } = bridgeConsumerSpec(2 * env.BRIDGE_BATCH);
  await ensureStreams(
    nats,
    {
      streams: [STREAM_SPECS.events as unknown as StreamSpec],
      consumers: [{ stream, config: consumer } as unknown as ConsumerSpec],
      replicas: nats.streamReplicas,
    },
    logger,
  );

  const sink = kafkaSink(env, logger);
  const topic = env.KAFKA_LIFECYCLE_TOPIC;
  const topics: TopicSpec[] = [
    {
      topic,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replication: env.KAFKA_TOPIC_REPLICATION,
      retentionMs: env.KAFKA_TOPIC_RETENTION_MS,
    },
    ...(env.KAFKA_RESULTS_ENABLED ? [resultsTopicSpec(env)] : []),
  ];
  // Kafka may come up after the bridge: provisioning is retried, nothing is pulled before it.
  for (let attempt = 1; ; attempt++) {
    try {
      for (const spec of topics) {
        const action = await sink.provision(spec);
        logger.info({ ...spec, action }, 'Kafka topic provisioned');
      }
      break;
    } catch (err) {
      const delay = Math.min(env.BRIDGE_BACKOFF_MAX_MS, env.BRIDGE_BACKOFF_MIN_MS * 2 ** (attempt - 1));
      logger.warn(
        { err: (err as Error).message, attempt, delay_ms: delay },
        'Kafka topic not provisioned yet',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  const source = await jetstreamSource(nats.nc, BRIDGE_CONSUMER, undefined, logger);
  // The results topic: each completed schedule's document, read from its owner (results.ts).
  const owners = {
    schedule: createServiceClient(nats, 'schedule', { timeoutMs: 10_000 }),
    comparison: createServiceClient(nats, 'comparison', { timeoutMs: 10_000 }),
  };
  const results = env.KAFKA_RESULTS_ENABLED
    ? createResultsProducer({
        reader: natsResultReader(owners),
        sink,
        topic: env.KAFKA_RESULTS_TOPIC,
        maxMessageBytes: env.KAFKA_RESULTS_MAX_BYTES,
        logger,
        metrics: promResultsMetrics,
      })
    : undefined;
  const bridge = startBridge({
    source,
    sink,
    topic,
    batch: env.BRIDGE_BATCH,
    backoff: { minMs: env.BRIDGE_BACKOFF_MIN_MS, maxMs: env.BRIDGE_BACKOFF_MAX_MS },
    logger,
    metrics: promBridgeMetrics,
    results,
  });
  const probes = startProbes({
    everyMs: env.BRIDGE_PROBE_MS,
    sink,
    source,
    metrics: promBridgeMetrics,
    reachableGauge: kafkaReachableGauge,
    logger,
  });

  await serveUntilShutdown({
    logger,
    env,
    nats,
    readiness: [{ name: 'kafka', check: () => sink.reachable() }],
    // The batch in hand is produced and acked before NATS drains; then Kafka's clients close.
    stop: {
      name: 'stop the bridge',
      run: async () => {
        probes.stop();
        await bridge.stop();
        owners.schedule.close();
        owners.comparison.close();
        await sink.close();
      },
    },
    ready: { msg: 'events bridge ready', fields: { topic, consumer: BRIDGE_CONSUMER } },
  });
}

void exitOnConfigError(main, SERVICE);
