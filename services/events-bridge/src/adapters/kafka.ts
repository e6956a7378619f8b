import fs from 'node:fs';
import type { KafkaRecordShape, KafkaResultRecord } from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import {
  ConfigResourceTypes,
  Kafka,
  logLevel,
  type Admin,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { BridgeEnv } from '../config';
import type { RecordSink } from '../ports';

/** kafkajs' own log lines through the service's logger (one JSON line each, no console noise). */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const fields = { kafkajs: extra.logger ?? true, broker: extra.broker, error: extra.error };
      if (level <= logLevel.ERROR) logger.warn(fields, `kafkajs: ${message}`);
      else if (level <= logLevel.WARN) logger.info(fields, `kafkajs: ${message}`);
      else logger.debug(fields, `kafkajs: ${message}`);
    };
}

export function kafkaClientConfig(env: BridgeEnv, logger: Logger): KafkaConfig {
  const sasl: SASLOptions | undefined =
    env.KAFKA_SASL_MECHANISM && env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? ({
          mechanism: env.KAFKA_SASL_MECHANISM,
          username: env.KAFKA_SASL_USERNAME,
          password: env.KAFKA_SASL_PASSWORD,
        } as SASLOptions)
      : undefined;
  return {
    clientId: env.KAFKA_CLIENT_ID,
    brokers: env.KAFKA_BROKERS,
    ssl: env.KAFKA_SSL
      ? {
          rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED,
          ...(env.KAFKA_SSL_CA_FILE ? { ca: [fs.readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] } : {}),
        }
      : undefined,
    sasl,
    connectionTimeout: 3000,
    requestTimeout: env.KAFKA_REQUEST_TIMEOUT_MS,
    // Few, short retries inside kafkajs: a longer outage is the bridge's backoff (nak + pause).
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
  };
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replication: number;
  retentionMs: number;
  /** More topic configs, set at creation and on every start (cleanup.policy, max.message.bytes). */
  config?: Record<string, string>;
}

export interface KafkaSink extends RecordSink {
  /** Creates the topic, or brings an existing one's retention and partition count up to the spec. */
  provision(spec: TopicSpec): Promise<'created' | 'updated'>;
  /** Refreshes reachability (a metadata request); the probe timer calls it. */
  probe(): Promise<boolean>;
  close(): Promise<void>;
}

/** The Kafka side: an idempotent producer with acks all, an admin for topics and the probe. */
export function kafkaSink(env: BridgeEnv, logger: Logger): KafkaSink {
  const kafka = new Kafka(kafkaClientConfig(env, logger));
  let producerUp = false;
  const newProducer = (): Producer => {
    const p = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: env.KAFKA_IDEMPOTENT,
      // idempotence keeps order with retries only with one request in flight per connection
      maxInFlightRequests: env.KAFKA_IDEMPOTENT ? 1 : 5,
    });
    p.on(p.events.DISCONNECT, () => {
      if (p === producer) producerUp = false;
    });
    return p;
  };
  let producer: Producer = newProducer();
  const admin: Admin = kafka.admin();
  let adminUp = false;
  let reachable = false;
  admin.on(admin.events.DISCONNECT, () => (adminUp = false));

  const withAdmin = async <T>(fn: (a: Admin) => Promise<T>): Promise<T> => {
    if (!adminUp) {
      await admin.connect();
      adminUp = true;
    }
    return fn(admin);
  };

  return {
    reachable: () => reachable,
    async send(topic: string, records: ReadonlyArray<KafkaRecordShape | KafkaResultRecord>) {
      try {
        if (!producerUp) {
          await producer.connect();
          producerUp = true;
        }
        await producer.send({ topic, acks: -1, messages: [...records] });
        reachable = true;
      } catch (err) {
        reachable = false;
        // A failed idempotent send leaves kafkajs' sequence numbers ahead of the broker's (every
        // later send: "out of order sequence number"): start over with a new producer id. The
        // batch comes back from the stream; records Kafka did write are repeated with their ce_id.
        const old = producer;
        producer = newProducer();
        producerUp = false;
        await old.disconnect().catch(() => undefined);
        throw err;
      }
    },
    async probe() {
      try {
        await withAdmin((a) => a.describeCluster());
        reachable = true;
      } catch {
        reachable = false;
        adminUp = false;
        await admin.disconnect().catch(() => undefined);
      }
      return reachable;
    },
    async provision(spec) {
      return withAdmin(async (a) => {
        // alterConfigs replaces the topic's overrides: always the whole set
        const entries = [
          { name: 'retention.ms', value: String(spec.retentionMs) },
          ...Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        ];
        const created = await a.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: spec.topic,
              numPartitions: spec.partitions,
              replicationFactor: spec.replication,
              configEntries: entries,
            },
          ],
        });
        if (created) return 'created';
        await a.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries: entries }],
        });
        const meta = await a.fetchTopicMetadata({ topics: [spec.topic] });
        const have = meta.topics[0]?.partitions.length ?? 0;
        // Partitions can only grow (and growing moves keys): never shrink, log a larger topic.
        if (have < spec.partitions) {
          await a.createPartitions({ topicPartitions: [{ topic: spec.topic, count: spec.partitions }] });
          logger.warn(
            { topic: spec.topic, from: have, to: spec.partitions },
            'topic partitions grown: keys written before map to other partitions than keys written after',
          );
        } else if (have > spec.partitions)
          logger.warn({ topic: spec.topic, have, configured: spec.partitions }, 'topic has more partitions');
        return 'updated';
      });
    },
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}
