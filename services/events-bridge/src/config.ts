import { KAFKA_DEFAULTS, KAFKA_RESULTS_DEFAULTS } from '@fillsched/contracts';
import { baseEnvSchema } from '@fillsched/service-kit';
import { z } from 'zod';

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: [A-Za-z0-9._-], at most 249 characters');
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const brokerList = z
  .string()
  .min(1)
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .refine(
    (list) => list.length > 0 && list.every((b) => /^[^\s:/]+:\d{1,5}$/.test(b)),
    'a comma-separated list of host:port',
  );

/** The bridge's environment: the platform's base variables plus Kafka's. */
export const bridgeEnvSchema = baseEnvSchema
  .extend({
    KAFKA_BROKERS: brokerList,
    KAFKA_CLIENT_ID: z.string().min(1).default('fillsched-events-bridge'),
    KAFKA_SSL: bool.default(false),
    /** PEM CA bundle for KAFKA_SSL (else the system CAs). */
    KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
    KAFKA_SSL_REJECT_UNAUTHORIZED: bool.default(true),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    KAFKA_LIFECYCLE_TOPIC: topicName.default(KAFKA_DEFAULTS.lifecycleTopic),
    /** The compacted topic of completed plans (one gzip JSON record per schedule); false = none. */
    KAFKA_RESULTS_ENABLED: bool.default(true),
    KAFKA_RESULTS_TOPIC: topicName.default(KAFKA_RESULTS_DEFAULTS.topic),
    /** The results topic's max.message.bytes: the largest compressed plan it takes (1 MiB … 256 MiB). */
    KAFKA_RESULTS_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .max(256 * 1024 * 1024)
      .default(KAFKA_RESULTS_DEFAULTS.maxMessageBytes),
    /**
     * -1 (default): compaction only, the latest plan of every schedule is kept forever; else
     * `compact,delete`: plans older than this many ms are deleted as well.
     */
    KAFKA_RESULTS_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(-1)
      .refine((v) => v !== 0, 'milliseconds > 0, or -1 for unlimited')
      .default(-1),
    KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(6),
    KAFKA_TOPIC_REPLICATION: z.coerce.number().int().min(1).max(10).default(1),
    /** Topic retention in ms; -1 = keep forever (replay from the beginning). Default 30 days, as the stream. */
    KAFKA_TOPIC_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(-1)
      .refine((v) => v !== 0, 'milliseconds > 0, or -1 for unlimited')
      .default(30 * 86_400_000),
    /** Idempotent producer (needs the IDEMPOTENT_WRITE ACL on a secured cluster). */
    KAFKA_IDEMPOTENT: bool.default(true),
    KAFKA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    /** Events pulled and produced per batch (the durable's max_ack_pending is twice this). */
    BRIDGE_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
    BRIDGE_BACKOFF_MIN_MS: z.coerce.number().int().min(10).default(250),
    BRIDGE_BACKOFF_MAX_MS: z.coerce.number().int().min(10).default(5000),
    /** How often Kafka's reachability (readiness) and the stream lag (metric) are refreshed. */
    BRIDGE_PROBE_MS: z.coerce.number().int().min(100).default(2000),
  })
  .superRefine((env, ctx) => {
    const sasl = [env.KAFKA_SASL_MECHANISM, env.KAFKA_SASL_USERNAME, env.KAFKA_SASL_PASSWORD];
    if (sasl.some((v) => v !== undefined) && sasl.some((v) => v === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SASL_MECHANISM'],
        message:
          'SASL needs KAFKA_SASL_MECHANISM (plain | scram-sha-256 | scram-sha-512), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD together',
      });
    if (env.KAFKA_RESULTS_ENABLED && env.KAFKA_RESULTS_TOPIC === env.KAFKA_LIFECYCLE_TOPIC)
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_RESULTS_TOPIC'],
        message: 'must differ from KAFKA_LIFECYCLE_TOPIC (the results topic is compacted)',
      });
    if (env.BRIDGE_BACKOFF_MAX_MS < env.BRIDGE_BACKOFF_MIN_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['BRIDGE_BACKOFF_MAX_MS'],
        message: 'must be at least BRIDGE_BACKOFF_MIN_MS',
      });
  });
export type BridgeEnv = z.infer<typeof bridgeEnvSchema>;
