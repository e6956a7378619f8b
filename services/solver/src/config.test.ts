import { ConfigError, loadConfig } from '@fillsched/service-kit';
import { solverEnvSchema } from './config';

test('defaults: one job at a time, 30 s default limit, 300 s cap, contracts ack_wait', () => {
  const env = loadConfig(solverEnvSchema, {});
  expect(env).toMatchObject({
    SOLVER_CONCURRENCY: 1,
    SOLVER_DEFAULT_TIME_LIMIT_S: 30,
    SOLVER_MAX_TIME_LIMIT_S: 300,
    NATS_URL: 'nats://127.0.0.1:4222',
  });
  expect(env.SOLVER_ACK_WAIT_S).toBeUndefined();
  expect(env.MONGO_URL).toBeUndefined();
});

test('values are parsed from strings', () => {
  const env = loadConfig(solverEnvSchema, {
    SOLVER_CONCURRENCY: '2',
    SOLVER_ACK_WAIT_S: '5',
    SOLVER_DEFAULT_TIME_LIMIT_S: '2.5',
  });
  expect(env.SOLVER_CONCURRENCY).toBe(2);
  expect(env.SOLVER_ACK_WAIT_S).toBe(5);
  expect(env.SOLVER_DEFAULT_TIME_LIMIT_S).toBe(2.5);
});

test.each([
  ['SOLVER_CONCURRENCY', '0'],
  ['SOLVER_CONCURRENCY', 'two'],
  ['SOLVER_MAX_TIME_LIMIT_S', '-1'],
  ['SOLVER_ACK_WAIT_S', '1'],
])('a bad %s=%s stops the start with a message naming it', (name, value) => {
  expect(() => loadConfig(solverEnvSchema, { [name]: value })).toThrow(ConfigError);
  expect(() => loadConfig(solverEnvSchema, { [name]: value })).toThrow(name);
});
