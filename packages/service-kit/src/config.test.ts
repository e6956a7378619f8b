import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { baseEnvSchema, ConfigError, loadConfig, streamReplicas } from './config';

describe('streamReplicas', () => {
  it('reads NATS_STREAM_REPLICAS, 1 when unset, and refuses what JetStream cannot do', () => {
    expect(streamReplicas({})).toBe(1);
    expect(streamReplicas({ NATS_STREAM_REPLICAS: '3' })).toBe(3);
    expect(() => streamReplicas({ NATS_STREAM_REPLICAS: '0' })).toThrow(/NATS_STREAM_REPLICAS/);
    expect(() => streamReplicas({ NATS_STREAM_REPLICAS: 'three' })).toThrow(ConfigError);
  });
});

describe('loadConfig', () => {
  it('applies the base defaults', () => {
    const cfg = loadConfig(baseEnvSchema, {});
    expect(cfg).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM_REPLICAS: 1,
      LOG_LEVEL: 'info',
      NATS_STREAM_REPLICAS: 1,
      OPS_PORT: 0,
      SHUTDOWN_TIMEOUT_MS: 10000,
    });
  });

  it('takes a list of NATS URLs and a stream replica count for a cluster', () => {
    const cfg = loadConfig(baseEnvSchema, {
      NATS_URL: 'nats://a:4222, nats://b:4222,nats://c:4222',
      NATS_STREAM_REPLICAS: '3',
    });
    expect(cfg.NATS_URL).toBe('nats://a:4222, nats://b:4222,nats://c:4222');
    expect(cfg.NATS_STREAM_REPLICAS).toBe(3);
    for (const bad of ['0', '6', '2.5', 'three'])
      expect(() => loadConfig(baseEnvSchema, { NATS_STREAM_REPLICAS: bad })).toThrow(/NATS_STREAM_REPLICAS/);
    expect(() => loadConfig(baseEnvSchema, { NATS_URL: ' , ' })).toThrow(/NATS_URL.*at least one server/);
  });

  it('coerces numbers and keeps optional values', () => {
    const cfg = loadConfig(baseEnvSchema, {
      OPS_PORT: '9464',
      MONGO_URL: 'mongodb://h/db',
      LOG_LEVEL: 'debug',
    });
    expect(cfg.OPS_PORT).toBe(9464);
    expect(cfg.MONGO_URL).toBe('mongodb://h/db');
    expect(cfg.LOG_LEVEL).toBe('debug');
  });

  it('names every bad variable and what is allowed', () => {
    let err: unknown;
    try {
      loadConfig(baseEnvSchema, { OPS_PORT: 'abc', LOG_LEVEL: 'loud', SHUTDOWN_TIMEOUT_MS: '-5' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('OPS_PORT');
    expect(msg).toContain('LOG_LEVEL');
    expect(msg).toContain('SHUTDOWN_TIMEOUT_MS');
    expect(msg).toMatch(/"info"/); // the allowed levels are listed
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'LOG_LEVEL',
      'OPS_PORT',
      'SHUTDOWN_TIMEOUT_MS',
    ]);
  });

  it('names a missing required variable; empty strings count as missing', () => {
    const schema = baseEnvSchema.extend({ JWT_SECRET: z.string().min(16) });
    expect(() => loadConfig(schema, { JWT_SECRET: '' })).toThrow(/JWT_SECRET is required/);
    expect(() => loadConfig(schema, { JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: .*16/);
    expect(loadConfig(schema, { JWT_SECRET: 'x'.repeat(16) }).JWT_SECRET).toHaveLength(16);
  });
});

describe('exitOnConfigError', () => {
  it('prints one JSON line to stderr and exits 1', () => {
    const hook = path.join(__dirname, 'test-support', 'swc-register.js');
    const script = `
      const { exitOnConfigError, loadConfig, baseEnvSchema } = require(${JSON.stringify(path.join(__dirname, 'config.ts'))});
      exitOnConfigError(() => loadConfig(baseEnvSchema, { OPS_PORT: 'nope' }), 'gateway');
      console.log('should not get here');
    `;
    const r = spawnSync(process.execPath, ['-r', hook, '-e', script], { encoding: 'utf8', timeout: 20000 });
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('should not get here');
    const line = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'fatal', service: 'gateway' });
    expect(line.msg).toContain('OPS_PORT');
  });
});
