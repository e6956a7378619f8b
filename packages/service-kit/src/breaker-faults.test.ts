import { createServiceClient, maxRequestBytes } from './client';
import { connectNats, type NatsHandle } from './nats';
import { serveRequests } from './responder';
import { RequestTooLargeError, ServiceUnavailableError } from './rpc';
import { captureLogger } from './test-support/capture';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(30_000);

let nats: TestNats;
let server: NatsHandle;
let client: NatsHandle;
let received = 0;
const { logger } = captureLogger('svc');

beforeAll(async () => {
  nats = await startNatsForTests();
  server = await connectNats({ servers: nats.url, name: 'responder', logger });
  client = await connectNats({ servers: nats.url, name: 'client', logger });
  serveRequests(server, logger, {
    subject: 'faults.op',
    handler: async (req) => {
      received += 1;
      const status = (req.body as { status?: number } | undefined)?.status ?? 200;
      return { status, body: { detail: `status ${status}` } };
    },
  });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  await nats?.stop();
});

const strict = { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: 60_000 };

describe('breaker: only server faults count (issue 12 item 2)', () => {
  it('requests too large for NATS fail fast with 413, are never sent and never open the circuit', async () => {
    const c = createServiceClient(client, 'big', { breaker: strict });
    try {
      const before = received;
      const huge = { body: { blob: 'x'.repeat(maxRequestBytes(client) + 1) } };
      for (let i = 0; i < 10; i++) {
        const err = await c.request('faults.op', huge).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RequestTooLargeError);
        expect(err).toMatchObject({ status: 413, reason: 'too_large' });
      }
      expect(received).toBe(before);
      expect(c.breaker.opened).toBe(false);
      expect((await c.request('faults.op', { body: {} })).status).toBe(200);
    } finally {
      c.close();
    }
  });

  it('4xx replies never open it; 5xx replies and no responders do', async () => {
    const c = createServiceClient(client, 'mixed', { breaker: strict });
    try {
      for (let i = 0; i < 10; i++)
        expect((await c.request('faults.op', { body: { status: 422 } })).status).toBe(422);
      expect(c.breaker.opened).toBe(false);
      for (let i = 0; i < 30 && !c.breaker.opened; i++)
        await c.request('faults.op', { body: { status: 500 } });
      expect(c.breaker.opened).toBe(true);
      await expect(c.request('faults.op', { body: {} })).rejects.toMatchObject({ reason: 'circuit_open' });
    } finally {
      c.close();
    }
    const ghost = createServiceClient(client, 'ghost', { breaker: strict });
    try {
      for (let i = 0; i < 10 && !ghost.breaker.opened; i++)
        await expect(ghost.request('faults.nobody', {})).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(ghost.breaker.opened).toBe(true);
    } finally {
      ghost.close();
    }
  });
});
