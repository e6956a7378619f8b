import { createServiceClient } from './client';
import { metricsRegistry } from './metrics';
import { connectNats, parseNatsServers, type NatsHandle } from './nats';
import { serveRequests } from './responder';
import { ServiceUnavailableError } from './rpc';
import { captureLogger, waitFor } from './test-support/capture';
import { findFreePort, startNatsForTests, type TestNats } from './testing';

jest.setTimeout(30000);

const { logger, lines } = captureLogger('kit');

describe('NATS connection lifecycle', () => {
  let nats: TestNats | undefined;
  const handles: NatsHandle[] = [];
  afterAll(async () => {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    await nats?.stop();
  });

  it('fails fast while disconnected and recovers when the server comes back on the same port', async () => {
    nats = await startNatsForTests();
    const port = nats.port;
    const svc = await connectNats({ servers: nats.url, name: 'svc', logger, reconnectTimeWait: 100 });
    const gw = await connectNats({ servers: nats.url, name: 'gw', logger, reconnectTimeWait: 100 });
    handles.push(svc, gw);
    serveRequests(svc, logger, {
      subject: 'life.ping',
      handler: async () => ({ status: 200, body: 'pong' }),
    });
    await svc.nc.flush();
    const client = createServiceClient(gw, 'life', { timeoutMs: 2000 });
    try {
      expect(await client.request('life.ping', {})).toEqual({ status: 200, body: 'pong' });
      expect(gw.status()).toMatchObject({ connected: true, reconnects: 0 });

      // A request in flight when the server dies must end within its timeout, not hang.
      const slow = serveRequests(svc, logger, {
        subject: 'life.slow',
        handler: () => new Promise((r) => setTimeout(() => r({ status: 200, body: null }), 5000).unref()),
      });
      await svc.nc.flush();
      const inflight = client.request('life.slow', {}, { timeoutMs: 1500 }).catch((e) => e);
      await new Promise((r) => setTimeout(r, 50));

      const stoppedAt = Date.now();
      await nats.stop();
      await waitFor(() => !gw.status().connected, 3000);
      expect(gw.isConnected()).toBe(false);
      const gauge = await metricsRegistry.getSingleMetricAsString('nats_connected');
      expect(gauge).toContain('nats_connected{connection="gw"} 0');

      const t0 = Date.now();
      const err = await client.request('life.ping', {}).catch((e) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(err).toMatchObject({ status: 503, detail: 'Service unavailable: life', reason: 'disconnected' });
      expect(Date.now() - t0).toBeLessThan(100);
      // Transport outages do not count against the service's breaker.
      expect(client.breaker.opened).toBe(false);

      const inflightErr = await inflight;
      expect(Date.now() - stoppedAt).toBeLessThan(1000);
      // Rejected as soon as the disconnect is seen, not at the 1.5 s timeout.
      expect(inflightErr).toBeInstanceOf(ServiceUnavailableError);
      expect(inflightErr.reason).toBe('disconnected');
      void slow; // its subscription dies with the server; nothing to stop

      nats = await startNatsForTests({ port });
      await waitFor(() => gw.status().connected && svc.status().connected, 10000);
      expect(gw.status().reconnects).toBe(1);
      await svc.nc.flush();
      expect(await client.request('life.ping', {})).toEqual({ status: 200, body: 'pong' });
      expect(lines.some((l) => l.msg === 'NATS reconnected')).toBe(true);
    } finally {
      client.close();
    }
  });

  it('waits for a server that is not up yet on the first connect', async () => {
    const port = await findFreePort();
    const pending = connectNats({
      servers: `nats://127.0.0.1:${port}`,
      name: 'early',
      logger,
      reconnectTimeWait: 100,
    });
    await new Promise((r) => setTimeout(r, 400));
    const late = await startNatsForTests({ port });
    try {
      const h = await pending;
      expect(h.status().connected).toBe(true);
      await h.drain();
      expect(h.status()).toMatchObject({ connected: false, closed: true });
    } finally {
      await late.stop();
    }
  });
});

describe('NATS_URL as a list (the members of a cluster)', () => {
  it('parseNatsServers splits on commas, trims and drops blanks', () => {
    expect(parseNatsServers(' nats://a:4222, nats://b:4222 ,,')).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(parseNatsServers(['nats://a:1', ' '])).toEqual(['nats://a:1']);
    expect(parseNatsServers('')).toEqual([]);
  });

  it('connects through a list whose first member is down and fails over when its server stops', async () => {
    const a = await startNatsForTests();
    const b = await startNatsForTests();
    const dead = await findFreePort();
    const servers = [a, b];
    const h = await connectNats({
      servers: `nats://127.0.0.1:${dead},${a.url}, ${b.url}`,
      name: 'list',
      logger,
      reconnectTimeWait: 100,
      streamReplicas: 3,
    });
    try {
      expect(h.streamReplicas).toBe(3);
      const first = servers.find((s) => h.status().server?.endsWith(`:${s.port}`));
      expect(first).toBeDefined();
      const other = servers.find((s) => s !== first)!;
      await first!.stop();
      await waitFor(() => h.status().reconnects >= 1 && h.status().connected, 10_000);
      expect(h.status().server).toMatch(new RegExp(`:${other.port}$`));
      await h.nc.flush(); // the connection works through the other server
    } finally {
      await h.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
