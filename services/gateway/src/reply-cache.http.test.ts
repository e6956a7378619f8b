// The reply cache through the gateway's HTTP stack: a repeated GET of a completed schedule is
// answered like the first one without calling the schedule service; everything else still is.
import http from 'node:http';
import zlib from 'node:zlib';
import { RPC } from '@fillsched/contracts';
import { CompletedReplyCache } from './reply-cache';
import { bearer, makeKeyPair, signToken, startTestGateway, type TestGateway } from './test/helpers';

const key = makeKeyPair();
let gw: TestGateway;
let cache: CompletedReplyCache;
const alice = () => signToken(key, { sub: '7' });
const bob = () => signToken(key, { sub: '8' });
let status = 'completed';

beforeAll(async () => {
  cache = new CompletedReplyCache();
  gw = await startTestGateway({ keys: [key], replyCache: cache });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.services.calls.length = 0;
  gw.services.handlers.clear();
  status = 'completed';
  gw.services.on(RPC.schedule.get, (req) =>
    req.user?.id === 7
      ? { status: 200, body: { id: 1, status, result: status === 'completed' ? { makespan: 12.5 } : null } }
      : { status: 404, body: { detail: 'Schedule not found' } },
  );
  gw.services.on(RPC.schedule.delete, () => ({
    status: 200,
    body: { message: 'Schedule deleted successfully' },
  }));
});

const get = (token: string, path = '/api/v1/schedule/1') =>
  fetch(`${gw.url}${path}`, { headers: bearer(token) });
const gets = () => gw.services.calls.filter((c) => c.subject === RPC.schedule.get).length;

test('the second GET of a completed schedule is the same answer, without a service call', async () => {
  const first = await get(alice());
  const second = await get(alice());
  expect(second.status).toBe(200);
  expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
  expect(await second.json()).toEqual(await first.json());
  expect(gets()).toBe(1);
  // a HEAD of it has no body either way
  const head = await fetch(`${gw.url}/api/v1/schedule/1`, { method: 'HEAD', headers: bearer(alice()) });
  expect(head.status).toBe(200);
  expect(await head.text()).toBe('');
});

test("another user's GET goes to the owner, which answers 404", async () => {
  await get(alice(), '/api/v1/schedule/5');
  const other = await get(bob(), '/api/v1/schedule/5');
  expect(other.status).toBe(404);
  expect(gets()).toBe(2);
});

test('a running schedule is asked every time; a delete drops a kept one', async () => {
  status = 'running';
  await get(alice(), '/api/v1/schedule/2');
  await get(alice(), '/api/v1/schedule/2');
  expect(gets()).toBe(2);
  status = 'completed';
  await get(alice(), '/api/v1/schedule/3');
  await get(alice(), '/api/v1/schedule/3');
  expect(gets()).toBe(3);
  const del = await fetch(`${gw.url}/api/v1/schedule/3`, { method: 'DELETE', headers: bearer(alice()) });
  expect(del.status).toBe(200);
  await get(alice(), '/api/v1/schedule/3');
  expect(gets()).toBe(4);
});

test('authentication still comes first: no token, no cached answer', async () => {
  await get(alice());
  const anonymous = await fetch(`${gw.url}/api/v1/schedule/1`);
  expect(anonymous.status).toBe(401);
});

/** Raw GET (fetch would decode transparently): status, headers and the bytes on the wire. */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${gw.url}${path}`, { headers: { ...bearer(alice()), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        })
        .on('error', reject);
    },
  );
}

test.each([
  ['gzip', zlib.gunzipSync],
  ['br', zlib.brotliDecompressSync],
  ['identity', (b: Buffer) => b],
] as const)(
  'a kept reply above the compression threshold is sent %s-encoded like a fresh one',
  async (enc, decode) => {
    const big = {
      id: 9,
      status: 'completed',
      result: { activities: Array.from({ length: 50 }, (_, i) => ({ lot_id: `L${i}`, line: 1 })) },
    };
    gw.services.handlers.clear();
    gw.services.on(RPC.schedule.get, () => ({ status: 200, body: big }));
    const path = `/api/v1/schedule/${enc === 'gzip' ? 91 : enc === 'br' ? 92 : 93}`;
    const fresh = await rawGet(path, { 'Accept-Encoding': enc });
    const kept = await rawGet(path, { 'Accept-Encoding': enc });
    const keptAgain = await rawGet(path, { 'Accept-Encoding': enc });
    expect(gets()).toBe(1);
    for (const r of [fresh, kept, keptAgain]) {
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe(enc === 'identity' ? undefined : enc);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(decode(r.body).toString('utf8'))).toEqual(big);
    }
    if (enc !== 'identity') expect(String(kept.headers.vary)).toMatch(/Accept-Encoding/i);
  },
);
