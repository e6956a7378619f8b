import { loadConfig } from '@fillsched/service-kit';
import { GatewayEnvSchema } from './config';

describe('GatewayEnvSchema', () => {
  it('defaults: port 8000, 100 requests/min, 5 s service timeout, no cross-origin access', () => {
    const env = loadConfig(GatewayEnvSchema, {});
    expect(env).toMatchObject({
      PORT: 8000,
      RATE_LIMIT_PER_MINUTE: 100,
      SERVICE_TIMEOUT_MS: 5000,
      WS_HEARTBEAT_MS: 25000,
      TRUST_PROXY: false,
      CORS_ORIGINS: [],
    });
  });

  it('parses overrides and names a bad variable', () => {
    const env = loadConfig(GatewayEnvSchema, {
      PORT: '9000',
      RATE_LIMIT_PER_MINUTE: '5',
      TRUST_PROXY: '1',
      CORS_ORIGINS: 'http://a.example, http://b.example',
    });
    expect(env).toMatchObject({ PORT: 9000, RATE_LIMIT_PER_MINUTE: 5, TRUST_PROXY: 1 });
    expect(env.CORS_ORIGINS).toEqual(['http://a.example', 'http://b.example']);
    expect(() => loadConfig(GatewayEnvSchema, { RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      /RATE_LIMIT_PER_MINUTE/,
    );
    expect(() => loadConfig(GatewayEnvSchema, { PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('CORS_ORIGINS is an allow-list of exact origins: `*`, paths and non-URLs are refused', () => {
    expect(loadConfig(GatewayEnvSchema, { CORS_ORIGINS: 'none' }).CORS_ORIGINS).toEqual([]);
    expect(() => loadConfig(GatewayEnvSchema, { CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS.*not allowed/s);
    expect(() => loadConfig(GatewayEnvSchema, { CORS_ORIGINS: 'https://a.example/app' })).toThrow(
      /CORS_ORIGINS.*no path/s,
    );
    expect(() => loadConfig(GatewayEnvSchema, { CORS_ORIGINS: 'planner' })).toThrow(/CORS_ORIGINS/);
  });
});
