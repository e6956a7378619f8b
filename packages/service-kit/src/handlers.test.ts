import { AlreadyExistsError, isAlreadyExists, translateDuplicateKey } from './already-exists';
import { createServiceClient } from './client';
import { serveHandlers } from './handlers';
import { DuplicateKeyError } from './mongo';
import { connectNats, type NatsHandle } from './nats';
import { detail, reply, unauthorized, unprocessable } from './reply';
import type { Responder } from './responder';
import { captureLogger } from './test-support/capture';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(20000);

describe('serveHandlers', () => {
  const SUBJECTS = { hello: 'test.handlers.hello', fail: 'test.handlers.fail' } as const;
  let nats: TestNats;
  let server: NatsHandle;
  let client: NatsHandle;
  let responders: Responder[] = [];
  const { logger } = captureLogger('handlers');

  beforeAll(async () => {
    nats = await startNatsForTests();
    server = await connectNats({ servers: nats.url, name: 'handlers-server', logger });
    client = await connectNats({ servers: nats.url, name: 'handlers-client', logger });
  });
  afterAll(async () => {
    await Promise.all(responders.map((r) => r.stop()));
    await client?.close();
    await server?.close();
    await nats?.stop();
  });

  test('one responder per operation, in the queue group, answering as soon as it resolves', async () => {
    responders = await serveHandlers(server, logger, {
      subjects: SUBJECTS,
      queue: 'handlers',
      handlers: {
        hello: async (req) => reply(200, { hello: (req.body as { name: string }).name }),
        fail: async () => detail(409, 'taken'),
      },
    });
    expect(responders.map((r) => r.subject).sort()).toEqual(Object.values(SUBJECTS).sort());
    // No wait: serveHandlers flushed the subscriptions to the server before resolving.
    const svc = createServiceClient(client, 'config', { timeoutMs: 2000 });
    try {
      expect(await svc.request(SUBJECTS.hello, { body: { name: 'ada' } })).toEqual({
        status: 200,
        body: { hello: 'ada' },
      });
      expect(await svc.request(SUBJECTS.fail, {})).toEqual({ status: 409, body: { detail: 'taken' } });
    } finally {
      svc.close();
    }
  });
});

describe('reply helpers', () => {
  test('the shapes every service answers with', () => {
    expect(reply(200, { a: 1 })).toEqual({ status: 200, body: { a: 1 } });
    expect(reply(200, 'csv', { 'Content-Type': 'text/csv' })).toEqual({
      status: 200,
      body: 'csv',
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(detail(404, 'gone')).toEqual({ status: 404, body: { detail: 'gone' } });
    const items = [{ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' }];
    expect(unprocessable(items)).toEqual({ status: 422, body: { detail: items } });
    expect(unauthorized().status).toBe(401);
  });
});

describe('translateDuplicateKey', () => {
  test('a duplicate-key failure in any driver shape becomes AlreadyExistsError, keeping the cause', async () => {
    const shapes: unknown[] = [
      new DuplicateKeyError(),
      Object.assign(new Error('E11000 duplicate key error collection: x index: id_1'), { code: 11000 }),
      { writeErrors: [{ code: 11000 }] },
    ];
    for (const failure of shapes) {
      const err = await translateDuplicateKey('widget', { id: 7 }, () => Promise.reject(failure)).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err).toMatchObject({ entity: 'widget', key: { id: 7 }, cause: failure });
      expect(isAlreadyExists(err)).toBe(true);
    }
  });

  test('other failures pass unchanged; a successful write returns its value', async () => {
    const other = new Error('connection reset');
    await expect(translateDuplicateKey('widget', { id: 7 }, () => Promise.reject(other))).rejects.toBe(other);
    await expect(translateDuplicateKey('widget', { id: 7 }, async () => 42)).resolves.toBe(42);
    expect(isAlreadyExists(other)).toBe(false);
  });
});
