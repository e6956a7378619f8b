import { ConfigError, loadConfig } from '@fillsched/service-kit';
import { bridgeEnvSchema } from './config';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(bridgeEnvSchema, env);
  } catch (err) {
    return (err as ConfigError).problems.map((p) => p.problem);
  }
  return [];
};

test('defaults with only KAFKA_BROKERS set', () => {
  const env = loadConfig(bridgeEnvSchema, { KAFKA_BROKERS: 'k1:9092, k2:9093' });
  expect(env).toMatchObject({
    KAFKA_BROKERS: ['k1:9092', 'k2:9093'],
    KAFKA_CLIENT_ID: 'fillsched-events-bridge',
    KAFKA_LIFECYCLE_TOPIC: 'fillsched.lifecycle',
    KAFKA_TOPIC_PARTITIONS: 6,
    KAFKA_TOPIC_REPLICATION: 1,
    KAFKA_TOPIC_RETENTION_MS: 30 * 86_400_000,
    KAFKA_IDEMPOTENT: true,
    KAFKA_SSL: false,
    BRIDGE_BATCH: 500,
  });
});

test('bad values name the variable and what is allowed', () => {
  expect(problems({})).toEqual([expect.stringContaining('KAFKA_BROKERS is required')]);
  expect(problems({ KAFKA_BROKERS: 'nohostport' })).toEqual([
    expect.stringContaining('a comma-separated list of host:port'),
  ]);
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_TOPIC_RETENTION_MS: '0' })).toEqual([
    expect.stringContaining('-1 for unlimited'),
  ]);
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_LIFECYCLE_TOPIC: 'bad topic' })).toEqual([
    expect.stringContaining('KAFKA_LIFECYCLE_TOPIC="bad topic": a Kafka topic name'),
  ]);
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_SSL: 'yes' })).toEqual([
    expect.stringContaining('KAFKA_SSL'),
  ]);
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_SASL_USERNAME: 'u' })).toEqual([
    expect.stringContaining('SASL needs KAFKA_SASL_MECHANISM'),
  ]);
  expect(
    problems({ KAFKA_BROKERS: 'k:1', BRIDGE_BACKOFF_MIN_MS: '500', BRIDGE_BACKOFF_MAX_MS: '100' }),
  ).toEqual([expect.stringContaining('at least BRIDGE_BACKOFF_MIN_MS')]);
});

test('SASL complete and SSL parse', () => {
  const env = loadConfig(bridgeEnvSchema, {
    KAFKA_BROKERS: 'k:1',
    KAFKA_SSL: 'true',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'u',
    KAFKA_SASL_PASSWORD: 'p',
  });
  expect(env).toMatchObject({ KAFKA_SSL: true, KAFKA_SASL_MECHANISM: 'scram-sha-512' });
});

test('results topic: defaults, bounds, and never the lifecycle topic', () => {
  expect(loadConfig(bridgeEnvSchema, { KAFKA_BROKERS: 'k:1' })).toMatchObject({
    KAFKA_RESULTS_ENABLED: true,
    KAFKA_RESULTS_TOPIC: 'fillsched.results',
    KAFKA_RESULTS_MAX_BYTES: 16 * 1024 * 1024,
    KAFKA_RESULTS_RETENTION_MS: -1,
  });
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_RESULTS_MAX_BYTES: '1000' })).toEqual([
    expect.stringContaining('KAFKA_RESULTS_MAX_BYTES'),
  ]);
  expect(problems({ KAFKA_BROKERS: 'k:1', KAFKA_RESULTS_TOPIC: 'fillsched.lifecycle' })).toEqual([
    expect.stringContaining('must differ from KAFKA_LIFECYCLE_TOPIC'),
  ]);
  expect(
    problems({
      KAFKA_BROKERS: 'k:1',
      KAFKA_RESULTS_TOPIC: 'fillsched.lifecycle',
      KAFKA_RESULTS_ENABLED: 'false',
    }),
  ).toEqual([]);
});
