import { MESSAGES, RPC } from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  createServiceClient,
  MemoryIdAllocator,
  serveHandlers,
  type NatsHandle,
  type Responder,
  type RpcUser,
  type ServiceClient,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { MemoryTemplateRepository, MemoryUserDefaultsRepository } from './adapters/memory';
import { createConfigApp } from './app';

jest.setTimeout(30_000);

const logger = createLogger('config-it', 'silent');
const alice: RpcUser = { id: 1, email: 'a@example.com', is_superuser: false };
const bob: RpcUser = { id: 2, email: 'b@example.com', is_superuser: false };

let server: TestNats;
let serviceConn: NatsHandle;
let clientConn: NatsHandle;
let responders: Responder[];
let client: ServiceClient;

beforeAll(async () => {
  server = await startNatsForTests();
  serviceConn = await connectNats({ servers: server.url, name: 'config-it', logger });
  clientConn = await connectNats({ servers: server.url, name: 'config-it-client', logger });
  const app = createConfigApp({
    templates: new MemoryTemplateRepository(),
    defaults: new MemoryUserDefaultsRepository(),
    ids: new MemoryIdAllocator(),
  });
  // Two replicas in the queue group 'config', as in production: each request is answered once.
  responders = (
    await Promise.all(
      [0, 1].map(() =>
        serveHandlers(serviceConn, logger, { subjects: RPC.config, queue: 'config', handlers: app.handlers }),
      ),
    )
  ).flat();
  client = createServiceClient(clientConn, 'config', { timeoutMs: 2000 });
});

afterAll(async () => {
  client?.close();
  await Promise.all((responders ?? []).map((r) => r.stop()));
  await clientConn?.close();
  await serviceConn?.close();
  await server?.stop();
});

it('serves the template lifecycle and resolve over NATS', async () => {
  const created = await client.request(RPC.config.create, {
    user: alice,
    body: { name: 'base', config: { line_count: 3, clean_hours: 6 }, is_public: true },
  });
  expect(created.status).toBe(201);
  const id = (created.body as { id: number }).id;

  expect((await client.request(RPC.config.get, { user: bob, params: { id: String(id) } })).status).toBe(200);
  expect(await client.request(RPC.config.delete, { user: bob, params: { id: String(id) } })).toEqual({
    status: 403,
    body: { detail: MESSAGES.forbidden },
  });

  const set = await client.request(RPC.config.setDefault, { user: alice, params: { id: String(id) } });
  expect(set.body).toMatchObject({ id, is_default: true });

  const resolved = await client.request(RPC.config.resolve, {
    user: alice,
    body: { config: { line_count: 1 } },
  });
  expect(resolved).toEqual({
    status: 200,
    body: { config: { line_count: 1, clean_hours: 6 }, template_id: id },
  });

  const validated = await client.request(RPC.config.validate, { user: alice, body: { config: { foo: 1 } } });
  expect(validated.body).toMatchObject({ valid: true, errors: [], warnings: [expect.stringMatching(/foo/)] });

  const sys = await client.request(RPC.config.systemDefault, {});
  expect(sys.status).toBe(200);
  expect((sys.body as { config: Record<string, unknown> }).config).toHaveProperty('line_count', 1);
});

it('answers 400 for a payload that is not JSON, and keeps serving', async () => {
  const raw = await clientConn.nc.request(RPC.config.list, new TextEncoder().encode('{nope'), {
    timeout: 2000,
  });
  expect(raw.json()).toEqual({ status: 400, body: { detail: 'Invalid request payload' } });
  const ok = await client.request(RPC.config.list, { user: alice, query: {} });
  expect(ok.status).toBe(200);
});
