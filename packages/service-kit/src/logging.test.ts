import { EventEmitter } from 'node:events';
import { decodeJson, encodeJson, JsonDecodeError, tryDecodeJson } from './codec';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  correlationMiddleware,
  currentCorrelationId,
  newCorrelationId,
  withCorrelation,
} from './logging';
import { captureLogger } from './test-support/capture';

describe('correlation context', () => {
  it('is undefined outside and visible across awaits inside', async () => {
    expect(currentCorrelationId()).toBeUndefined();
    const seen = await withCorrelation('c-1', async () => {
      await new Promise((r) => setTimeout(r, 5));
      const inner = await withCorrelation('c-2', async () => currentCorrelationId());
      return [currentCorrelationId(), inner];
    });
    expect(seen).toEqual(['c-1', 'c-2']);
    expect(currentCorrelationId()).toBeUndefined();
  });

  it('new ids are unique uuids', () => {
    const a = newCorrelationId();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(newCorrelationId()).not.toBe(a);
  });

  it('accepts sane incoming ids and replaces absurd ones', () => {
    expect(correlationIdFrom('abc-123')).toBe('abc-123');
    expect(correlationIdFrom(['x1', 'x2'])).toBe('x1');
    expect(correlationIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlationIdFrom('a'.repeat(500))).toHaveLength(36);
    expect(correlationIdFrom('bad id\nwith newline')).toHaveLength(36);
  });
});

describe('createLogger', () => {
  it('writes JSON with service, pid, instance and correlation_id inside a context', () => {
    const { logger, lines } = captureLogger('gateway');
    logger.info('outside');
    withCorrelation('corr-9', () => logger.info({ x: 1 }, 'inside'));
    expect(lines[0]).toMatchObject({ service: 'gateway', pid: process.pid, level: 'info', msg: 'outside' });
    expect(typeof lines[0].instance).toBe('string');
    expect(lines[0].correlation_id).toBeUndefined();
    expect(lines[1]).toMatchObject({ msg: 'inside', x: 1, correlation_id: 'corr-9' });
    expect(typeof lines[1].time).toBe('string');
  });
});

describe('correlationMiddleware', () => {
  it('uses the request header, echoes it and runs next() in the context', () => {
    const headers: Record<string, string> = {};
    let inside: string | undefined;
    correlationMiddleware()(
      { headers: { 'x-correlation-id': 'from-client' } },
      { setHeader: (k: string, v: string) => (headers[k] = v) },
      () => (inside = currentCorrelationId()),
    );
    expect(inside).toBe('from-client');
    expect(headers[CORRELATION_HEADER]).toBe('from-client');
  });

  it('makes an id when the header is missing', () => {
    const res = new EventEmitter() as EventEmitter & { setHeader: (k: string, v: string) => void };
    let set = '';
    res.setHeader = (_k, v) => (set = v);
    let inside: string | undefined;
    correlationMiddleware()({ headers: {} }, res, () => (inside = currentCorrelationId()));
    expect(inside).toBe(set);
    expect(set).toHaveLength(36);
  });
});

describe('json codec', () => {
  it('round-trips and treats empty payloads as undefined', () => {
    expect(decodeJson(encodeJson({ a: [1, 'x'] }))).toEqual({ a: [1, 'x'] });
    expect(decodeJson(new Uint8Array())).toBeUndefined();
    expect(decodeJson(encodeJson(undefined))).toBeNull();
  });

  it('reports bad JSON with a typed error, or as a result', () => {
    const bad = new TextEncoder().encode('{nope');
    expect(() => decodeJson(bad)).toThrow(JsonDecodeError);
    const r = tryDecodeJson(bad);
    expect(r.ok).toBe(false);
  });
});
