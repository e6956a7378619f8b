import http from 'node:http';
import zlib from 'node:zlib';
import WebSocket from 'ws';
import { ACTIVITIES_PAGE_MAX, RPC } from '@fillsched/contracts';
import { COMPRESSION_THRESHOLD_BYTES } from './middleware';
import { ROUTES } from './routes';
import { bearer, makeKeyPair, signToken, startTestGateway, type TestGateway } from './test/helpers';

const key = makeKeyPair();
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [key] });
  token = signToken(key);
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.services.calls.length = 0;
  gw.services.handlers.clear();
});

/** Raw HTTP GET (fetch would decode transparently): status, headers and the bytes on the wire. */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${gw.url}${path}`, { headers: { ...bearer(token), ...headers } }, (res) => {
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

const activities = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'FILL',
    line: 1 + (i % 3),
    lot_id: `LOT${i}`,
    type: 'ProductA',
    start: '2024-10-14T08:00:00.000Z',
    end: '2024-10-14T10:30:00.000Z',
    duration: 150,
    duration_hours: 2.5,
  }));
const bigSchedule = { id: 1, status: 'completed', result: { activities: activities(2000) } };

describe('compression', () => {
  beforeEach(() => {
    gw.services.on(RPC.schedule.get, () => ({ status: 200, body: bigSchedule }));
  });

  it.each([
    ['gzip', zlib.gunzipSync],
    ['br', zlib.brotliDecompressSync],
  ] as const)(
    'a large reply is sent %s-encoded when accepted, and decodes to the same JSON',
    async (enc, decode) => {
      const plain = Buffer.byteLength(JSON.stringify(bigSchedule));
      const res = await rawGet('/api/v1/schedule/1', { 'Accept-Encoding': enc });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(enc);
      expect(res.headers.vary).toMatch(/Accept-Encoding/i);
      expect(res.body.length).toBeLessThan(plain / 10);
      expect(JSON.parse(decode(res.body).toString('utf8'))).toEqual(bigSchedule);
    },
  );

  it('br is preferred when the client accepts both', async () => {
    const res = await rawGet('/api/v1/schedule/1', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(res.headers['content-encoding']).toBe('br');
  });

  it('without Accept-Encoding (or identity) the reply is plain with its Content-Length', async () => {
    for (const headers of [{}, { 'Accept-Encoding': 'identity' }]) {
      const res = await rawGet('/api/v1/schedule/1', headers);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(JSON.parse(res.body.toString('utf8'))).toEqual(bigSchedule);
    }
  });

  it(`replies under ${COMPRESSION_THRESHOLD_BYTES} bytes are not compressed`, async () => {
    gw.services.on(RPC.schedule.get, () => ({ status: 200, body: { id: 1, status: 'pending' } }));
    const res = await rawGet('/api/v1/schedule/1', { 'Accept-Encoding': 'gzip, br' });
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('CSV exports are compressed too; WebSocket upgrades are untouched', async () => {
    gw.services.on(RPC.schedule.export, () => ({
      status: 200,
      body: 'line,kind\n'.repeat(500),
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
    }));
    const csv = await rawGet('/api/v1/schedule/1/export?format=csv', { 'Accept-Encoding': 'gzip' });
    expect(csv.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(csv.body).toString()).toBe('line,kind\n'.repeat(500));

    // The upgrade (101) happens on the server's 'upgrade' event, outside the compression middleware.
    const ws = new WebSocket(`${gw.wsUrl}/api/v1/ws/schedule/1?token=${token}`, {
      headers: { 'Accept-Encoding': 'gzip, br' },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, r) => reject(new Error(`HTTP ${r.statusCode}`)));
      ws.once('error', reject);
    });
    ws.close();
  });
});

describe('GET /schedule/{id}?include_activities and /schedule/{id}/activities', () => {
  it('include_activities is validated and forwarded parsed', async () => {
    gw.services.on(RPC.schedule.get, () => ({ status: 200, body: {} }));
    await fetch(`${gw.url}/api/v1/schedule/1?include_activities=false`, { headers: bearer(token) });
    expect(gw.services.last(RPC.schedule.get)!.request.query).toEqual({ include_activities: false });
    const bad = await fetch(`${gw.url}/api/v1/schedule/1?include_activities=maybe`, {
      headers: bearer(token),
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'query',
      'include_activities',
    ]);
  });

  it('activities: defaults and bounds checked at the gateway, forwarded to the schedule service', async () => {
    gw.services.on(RPC.schedule.activities, () => ({
      status: 200,
      body: { items: [], total: 0, offset: 0, limit: 1000 },
    }));
    const ok = await fetch(`${gw.url}/api/v1/schedule/5/activities?line=2`, { headers: bearer(token) });
    expect(ok.status).toBe(200);
    const call = gw.services.last(RPC.schedule.activities)!;
    expect(call.request.params).toEqual({ id: '5' });
    expect(call.request.query).toEqual({ line: 2, offset: 0, limit: 1000 });
    const tooMany = await fetch(`${gw.url}/api/v1/schedule/5/activities?limit=${ACTIVITIES_PAGE_MAX + 1}`, {
      headers: bearer(token),
    });
    expect(tooMany.status).toBe(422);
    expect(
      ((await tooMany.json()) as { detail: Array<{ loc: unknown[]; msg: string }> }).detail[0],
    ).toMatchObject({
      loc: ['query', 'limit'],
      msg: expect.stringContaining(String(ACTIVITIES_PAGE_MAX)),
    });
  });

  it('the OpenAPI document lists the activities route with its query parameters', () => {
    const route = ROUTES.find((r) => r.operationId === 'listScheduleActivities')!;
    expect(route.path).toBe('/schedule/:id/activities');
    const op = (
      gw.gateway.openapi.paths as Record<string, Record<string, { parameters: Array<{ name: string }> }>>
    )['/api/v1/schedule/{id}/activities'].get;
    expect(op.parameters.map((p) => p.name).sort()).toEqual(['id', 'limit', 'line', 'offset']);
  });
});
