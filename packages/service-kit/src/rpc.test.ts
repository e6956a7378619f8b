import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { createServiceClient } from './client';
import { decodeJson, encodeJson } from './codec';
import { CORRELATION_HEADER, currentCorrelationId, withCorrelation } from './logging';
import { metricsRegistry } from './metrics';
import { connectNats, type NatsHandle } from './nats';
import { serveRequests, type Responder } from './responder';
import { ServiceTimeoutError, ServiceUnavailableError, type RpcReply } from './rpc';
import { captureLogger } from './test-support/capture';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(20000);

let nats: TestNats;
let server: NatsHandle;
let clientConn: NatsHandle;
const responders: Responder[] = [];
const { logger, lines } = captureLogger('svc');

beforeAll(async () => {
  nats = await startNatsForTests();
  server = await connectNats({ servers: nats.url, name: 'responder', logger });
  clientConn = await connectNats({ servers: nats.url, name: 'client', logger });
  responders.push(
    serveRequests(server, logger, {
      subject: 'test.echo',
      queue: 'echo',
      handler: async (req, ctx) => {
        logger.info({ marker: 'echo-handler' }, 'handling');
        await new Promise((r) => setTimeout(r, 1));
        return {
          status: 200,
          body: { got: req, ctxId: ctx.correlationId, alsId: currentCorrelationId() },
        };
      },
    }),
    serveRequests(server, logger, {
      subject: 'test.boom',
      handler: async () => {
        throw new Error('kaput');
      },
    }),
    serveRequests(server, logger, {
      // A JetStream publish no stream answers: what a stream looks like while its leader is elected.
      subject: 'test.jetstream-down',
      handler: async () => {
        await jetstream(server.nc).publish('no.stream.here', encodeJson({}), { timeout: 1000 });
        return { status: 200, body: null };
      },
    }),
    serveRequests(server, logger, {
      subject: 'test.slow',
      handler: async () => {
        await new Promise((r) => setTimeout(r, 600));
        return { status: 200, body: 'late' };
      },
    }),
    serveRequests(server, logger, {
      subject: 'test.status',
      handler: async (req) => ({ status: Number(req.params?.status ?? 200), body: { detail: 'x' } }),
    }),
  );
  await server.nc.flush();
});

afterAll(async () => {
  await Promise.all(responders.map((r) => r.stop()));
  await clientConn?.close();
  await server?.close();
  await nats?.stop();
});

describe('serveRequests + createServiceClient', () => {
  it('round-trips a request and carries the correlation id into the handler and its logs', async () => {
    const client = createServiceClient(clientConn, 'echo');
    try {
      const reply = await withCorrelation('corr-abc', () =>
        client.request('test.echo', { body: { n: 1 }, params: { id: '7' } }),
      );
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        got: { body: { n: 1 }, params: { id: '7' } },
        ctxId: 'corr-abc',
        alsId: 'corr-abc',
      });
      const line = lines.find((l) => l.marker === 'echo-handler' && l.correlation_id === 'corr-abc');
      expect(line).toMatchObject({ service: 'svc', msg: 'handling' });
    } finally {
      client.close();
    }
  });

  it('makes a fresh correlation id when the caller has none, and echoes it in the reply header', async () => {
    const msg = await clientConn.nc.request('test.echo', encodeJson({}), { timeout: 2000 });
    const id = msg.headers?.get(CORRELATION_HEADER);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJson<RpcReply>(msg.data).body).toMatchObject({ ctxId: id });
  });

  it('answers a throwing handler with 500 and keeps serving', async () => {
    const client = createServiceClient(clientConn, 'boom');
    try {
      const reply = await client.request('test.boom', {});
      expect(reply).toEqual({ status: 500, body: { detail: 'Internal server error' } });
      expect(lines.some((l) => l.msg === 'request handler failed' && l.level === 'error')).toBe(true);
      expect((await client.request('test.boom', {})).status).toBe(500);
    } finally {
      client.close();
    }
  });

  it('answers 503, not 500, when the handler failed because JetStream did not answer', async () => {
    const client = createServiceClient(clientConn, 'jetstream-down');
    try {
      const reply = await client.request('test.jetstream-down', {});
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({ detail: expect.stringMatching(/^Service unavailable: messaging/) });
    } finally {
      client.close();
    }
  });

  it('answers a non-JSON payload with 400', async () => {
    const h = natsHeaders();
    h.set(CORRELATION_HEADER, 'bad-json');
    const msg = await clientConn.nc.request('test.echo', new TextEncoder().encode('{oops'), {
      timeout: 2000,
      headers: h,
    });
    expect(decodeJson(msg.data)).toEqual({ status: 400, body: { detail: 'Invalid request payload' } });
    for (const payload of ['[1,2]', '"text"', '42']) {
      const m = await clientConn.nc.request('test.echo', new TextEncoder().encode(payload), {
        timeout: 2000,
      });
      expect(decodeJson<RpcReply>(m.data).status).toBe(400);
    }
  });

  it('maps no responders to ServiceUnavailableError quickly', async () => {
    const client = createServiceClient(clientConn, 'ghost', { timeoutMs: 3000 });
    try {
      const t0 = Date.now();
      const err = await client.request('test.nobody.home', {}).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(err).toMatchObject({
        status: 503,
        detail: 'Service unavailable: ghost',
        reason: 'no_responders',
      });
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      client.close();
    }
  });

  it('maps a timeout to ServiceTimeoutError (504)', async () => {
    const client = createServiceClient(clientConn, 'slowpoke', { timeoutMs: 150 });
    try {
      const t0 = Date.now();
      const err = await client.request('test.slow', {}).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceTimeoutError);
      expect(err).toMatchObject({ status: 504, detail: 'Service timeout: slowpoke' });
      expect(Date.now() - t0).toBeLessThan(550);
    } finally {
      client.close();
    }
  });

  it('returns 4xx replies without tripping the breaker; 5xx replies count as failures', async () => {
    const client = createServiceClient(clientConn, 'status', {
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: 60000 },
    });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await client.request('test.status', { params: { status: '404' } });
        expect(r.status).toBe(404);
      }
      expect(client.breaker.opened).toBe(false);
      // 6 successes, then 5xx until the failure rate exceeds 50% (7th); each 5xx is passed through.
      for (let i = 0; i < 7; i++) {
        const r = await client.request('test.status', { params: { status: '503' } });
        expect(r).toEqual({ status: 503, body: { detail: 'x' } });
      }
      expect(client.breaker.opened).toBe(true);
      await expect(client.request('test.status', {})).rejects.toMatchObject({ reason: 'circuit_open' });
    } finally {
      client.close();
    }
  });

  it('an open breaker answers 503 without touching NATS', async () => {
    const client = createServiceClient(clientConn, 'flaky', {
      timeoutMs: 1000,
      breaker: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 60000 },
    });
    try {
      await expect(client.request('test.nobody.home', {})).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(client.breaker.opened).toBe(true);
      const spy = jest.spyOn(clientConn.nc, 'request');
      const err = await client.request('test.echo', {}).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(err).toMatchObject({
        reason: 'circuit_open',
        detail: 'Service unavailable: flaky',
        status: 503,
      });
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
      const metrics = await metricsRegistry.getSingleMetricAsString('circuit_breaker_state');
      expect(metrics).toContain('circuit_breaker_state{service="flaky"} 2');
    } finally {
      client.close();
    }
  });

  it('spreads requests over a queue group: each request answered exactly once', async () => {
    const second = serveRequests(server, logger, {
      subject: 'test.echo',
      queue: 'echo',
      handler: async () => ({ status: 200, body: { got: 'second' } }),
    });
    await server.nc.flush();
    const client = createServiceClient(clientConn, 'echo');
    try {
      const replies = await Promise.all(Array.from({ length: 40 }, () => client.request('test.echo', {})));
      expect(replies.every((r) => r.status === 200)).toBe(true);
    } finally {
      client.close();
      await second.stop();
    }
  });

  it('records server metrics by subject and outcome', async () => {
    const text = await metricsRegistry.getSingleMetricAsString('rpc_server_requests_total');
    expect(text).toMatch(/rpc_server_requests_total\{subject="test.echo",outcome="2xx"\} \d+/);
    expect(text).toMatch(/rpc_server_requests_total\{subject="test.boom",outcome="5xx"\} \d+/);
  });
});

describe('responder.stop', () => {
  it('waits for running handlers before resolving', async () => {
    let finished = false;
    const r = serveRequests(server, logger, {
      subject: 'test.stopping',
      handler: async () => {
        await new Promise((res) => setTimeout(res, 200));
        finished = true;
        return { status: 200, body: null };
      },
    });
    await server.nc.flush();
    const pending = clientConn.nc.request('test.stopping', encodeJson({}), { timeout: 2000 });
    await new Promise((res) => setTimeout(res, 50));
    expect(r.inFlight()).toBe(1);
    await r.stop();
    expect(finished).toBe(true);
    expect(decodeJson<RpcReply>((await pending).data).status).toBe(200);
  });
});
