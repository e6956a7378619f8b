import { EventEmitter } from 'node:events';
import { decodeJson, encodeJson, JsonDecodeError, tryDecodeJson } from './codec';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  correlationMiddleware,
  createLogger,
  currentCorrelationId,
  newCorrelationId,
  serviceInstance,
  withCorrelation,
} from './logging';
import { chooseLogFormat } from './log-format';
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

describe('log format: readable on a terminal, JSON otherwise', () => {
  it('chooses pretty for a TTY and JSON for a pipe or file; LOG_FORMAT overrides', () => {
    expect(chooseLogFormat({ isTTY: true }, {})).toBe('pretty');
    expect(chooseLogFormat({ isTTY: false }, {})).toBe('json');
    expect(chooseLogFormat({}, {})).toBe('json');
    expect(chooseLogFormat({ isTTY: true }, { LOG_FORMAT: 'json' })).toBe('json');
    expect(chooseLogFormat({ isTTY: false }, { LOG_FORMAT: 'PRETTY' })).toBe('pretty');
    expect(chooseLogFormat({ isTTY: true }, { LOG_FORMAT: 'bogus' })).toBe('pretty');
  });

  it('pretty output is one readable line per entry: level, instance, message, the other fields', () => {
    const out: string[] = [];
    const logger = createLogger('gateway', 'info', { write: (s: string) => void out.push(s) }, 'pretty');
    logger.info({ port: 8000 }, 'listening');
    const text = out.join('');
    expect(() => JSON.parse(text)).toThrow();
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toContain(`INFO`);
    expect(text).toContain(`${serviceInstance()}: listening`);
    expect(text).toContain('"port":8000');
  });

  it('a captured destination gets JSON unless pretty is asked for', () => {
    const out: string[] = [];
    createLogger('gateway', 'info', { write: (s: string) => void out.push(s) }).info('hi');
    expect(JSON.parse(out[0])).toMatchObject({ msg: 'hi', service: 'gateway' });
  });

  it('the instance is SERVICE_INSTANCE, else host and pid', () => {
    expect(serviceInstance({ SERVICE_INSTANCE: 'solver-2' })).toBe('solver-2');
    expect(serviceInstance({})).toMatch(new RegExp(`-${process.pid}$`));
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
