/**
 * Issue 12 item 2 (breaker poisoning), reproduced over a real nats-server (8 MB max_payload): one
 * user's unforwardable bodies must not open the schedule service's breaker for everyone else.
 * Before the fix, 10 such requests from Alice opened it and Bob's requests got 503 for 10 s.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RPC } from '@fillsched/contracts';
import { connectNats, serveRequests, type NatsHandle, type RpcRequest } from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { createGatewayApp } from './app';
import { MAX_BODY_DEPTH, nestingDepth } from './body-guards';
import { makeKeyPair, signToken, silentLogger } from './test/helpers';
import { natsPorts, type NatsPorts } from './wiring';

jest.setTimeout(60_000);

const key = makeKeyPair('k1');
const logger = silentLogger();
let nats: TestNats;
let svc: NatsHandle;
let gwHandle: NatsHandle;
let wired: NatsPorts;
let server: http.Server;
let url: string;
const createCalls: RpcRequest[] = [];

/** MongoDB refuses documents nested deeper than 100 levels; the service then answers 500. */
const BSON_MAX_DEPTH = 100;

beforeAll(async () => {
  nats = await startNatsForTests();
  svc = await connectNats({ servers: nats.url, name: 'fake-services', logger });
  serveRequests(svc, logger, {
    subject: RPC.auth.keys,
    queue: 'auth',
    handler: async () => ({
      status: 200,
      body: { keys: [{ kid: key.kid, alg: 'RS256', public_key_pem: key.publicKey }] },
    }),
  });
  // schedule.create as the real service behaves for these bodies: stores and answers 202, or
  // fails with 500 when the store refuses the nesting.
  serveRequests(svc, logger, {
    subject: RPC.schedule.create,
    queue: 'schedule',
    handler: async (req) => {
      createCalls.push(req);
      if (nestingDepth(req.body).depth > BSON_MAX_DEPTH)
        return { status: 500, body: { detail: 'Internal server error' } };
      return { status: 202, body: { id: createCalls.length, status: 'pending' } };
    },
  });
  gwHandle = await connectNats({ servers: nats.url, name: 'gateway-test', logger });
  wired = natsPorts(gwHandle, logger, { serviceTimeoutMs: 2000, rateLimitPerMinute: 10_000 });
  const gateway = createGatewayApp({ ...wired.ports, options: { wsConfirmMs: 1000 } });
  server = http.createServer(gateway.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deadline = Date.now() + 10_000;
  while (!wired.keys.ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await new Promise<void>((r) => {
    server?.close(() => r());
    server?.closeAllConnections();
  });
  await wired?.stop();
  await gwHandle?.close();
  await svc?.close();
  await nats?.stop();
});

const alice = () => signToken(key, { sub: '1', email: 'alice@example.com', su: false });
const bob = () => signToken(key, { sub: '2', email: 'bob@example.com', su: false });
const lots = [{ lot_id: 'LOT001', type: 'A', vials: 1000 }];

function post(token: string, body: string) {
  return fetch(`${url}/api/v1/schedule`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body,
  });
}

/** `config` holding a value nested `depth` levels deep. */
function deepConfigBody(depth: number): string {
  return `{"name":"deep","lots_data":${JSON.stringify(lots)},"config":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

/**
 * A 4.5 MB body (under the 5 MB body limit) whose numbers re-encode 4.4× longer (1e20 →
 * 100000000000000000000): ≈ 20 MB once forwarded, past the 8 MB NATS max_payload.
 */
function swellingBody(): string {
  const n = 900_000;
  return `{"name":"big","lots_data":${JSON.stringify(lots)},"config":{"x":[${Array(n).fill('1e20').join(',')}]}}`;
}

describe('breaker poisoning (issue 12 item 2)', () => {
  it("ten unforwardable requests from one user are refused before NATS and never fail another user's", async () => {
    const deep = deepConfigBody(10_000);
    const swelling = swellingBody();
    expect(swelling.length).toBeLessThan(5 * 1024 * 1024);
    const attack: number[] = [];
    const callsBefore = createCalls.length;
    for (let i = 0; i < 10; i++) attack.push((await post(alice(), i % 2 ? swelling : deep)).status);

    const attackCalls = createCalls.length - callsBefore;
    const victim: number[] = [];
    for (let i = 0; i < 32; i++)
      victim.push((await post(bob(), JSON.stringify({ name: `b${i}`, lots_data: lots }))).status);
    const victimFailures = victim.filter((s) => s !== 202).length;
    process.stdout.write(
      `breaker poisoning: attacker statuses ${JSON.stringify(attack)}; victim failures ${victimFailures}/32\n`,
    );
    expect(victimFailures).toBe(0);
    expect(attack).toEqual([422, 413, 422, 413, 422, 413, 422, 413, 422, 413]);
    expect(attackCalls).toBe(0); // refused at the gateway: none reached NATS or the service
  });

  it('the 422 names the limit and where the body goes too deep; the 413 names sizes', async () => {
    const deep = await post(alice(), deepConfigBody(MAX_BODY_DEPTH + 5));
    expect(deep.status).toBe(422);
    const [item] = ((await deep.json()) as { detail: Array<{ loc: unknown[]; msg: string; type: string }> })
      .detail;
    expect(item.loc.slice(0, 3)).toEqual(['body', 'config', 'x']);
    expect(item.msg).toBe(
      `nested too deeply: at most ${MAX_BODY_DEPTH} levels of arrays and objects are allowed`,
    );
    expect(item.type).toBe('value_error.too_deep');
    // Just under the limit passes (body → config → x → arrays).
    expect((await post(alice(), deepConfigBody(MAX_BODY_DEPTH - 3))).status).toBe(202);

    const big = await post(alice(), swellingBody());
    expect(big.status).toBe(413);
    expect(((await big.json()) as { detail: string }).detail).toMatch(
      /^Request too large to forward: \d+ bytes once encoded, the limit is 8384512 bytes$/,
    );
  });
});
