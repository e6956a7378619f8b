import { MESSAGES, RPC, STRATEGY_ERROR } from '@fillsched/contracts';
import { ServiceTimeoutError, ServiceUnavailableError } from '@fillsched/service-kit';
import { ROUTES, type RouteDef } from './routes';
import { bearer, makeKeyPair, signToken, startTestGateway, type TestGateway } from './test/helpers';

const key = makeKeyPair();
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [key] });
  token = signToken(key, { sub: '7', email: 'user@example.com', su: false, sid: 'sess1', jti: 'jti1' });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.services.calls.length = 0;
  gw.services.handlers.clear();
});

const lots = [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 }];
const SAMPLE_BODIES: Record<string, unknown> = {
  register: { email: 'new@example.com', password: 'SecurePass123!' },
  login: { username: 'user@example.com', password: 'SecurePass123!' },
  refresh: { refresh_token: 'r1' },
  logout: { refresh_token: 'r1' },
  validateLots: { lots_data: lots },
  createSchedule: { name: 'Week 42', lots_data: lots, strategy: 'smart-pack', config: { line_count: 3 } },
  createComparison: { name: 'C', lots_data: lots, strategies: ['smart-pack', 'lpt-pack'] },
  createConfig: { name: 'T', config: { line_count: 2 }, is_public: false },
  validateConfig: { config: { line_count: 3, changeover_time: 30 } },
  updateConfig: { name: 'Renamed' },
  createApiKey: { name: 'MES reader', scopes: ['schedules:read'] },
  replanSchedule: {
    at: '2024-10-17T08:00:00Z',
    disruptions: [{ type: 'line_down', line: 2, start: '2024-10-17T08:00:00Z', end: '2024-10-18T20:00:00Z' }],
  },
};

/** A valid id of the route's kind: API keys have 16-hex-character ids, everything else numbers. */
const sampleId = (route: RouteDef): string =>
  route.operationId === 'revokeApiKey' ? '0123456789abcdef' : '5';

function urlOf(route: RouteDef, id = sampleId(route)): string {
  return `${gw.url}/api/v1${route.path.replace(':id', id)}`;
}

async function call(
  route: RouteDef,
  init: { headers?: Record<string, string>; body?: unknown; id?: string } = {},
) {
  const body = init.body ?? SAMPLE_BODIES[route.operationId];
  return fetch(urlOf(route, init.id), {
    method: route.method.toUpperCase(),
    headers: {
      // logout revokes the session of its token: never spend the shared one on it
      ...(route.auth === 'required' ? bearer(route.revokesSession ? signToken(key) : token) : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
}

describe('every route of the table', () => {
  it.each(ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s forwards {user, params, query, body} to its subject and passes the reply through',
    async (_name, route) => {
      gw.services.on(route.subject, () => ({
        status: route.successStatus,
        body: { ok: route.operationId },
        headers: { 'X-From-Service': route.service },
      }));
      const res = await call(route);
      expect(res.status).toBe(route.successStatus);
      if (route.successStatus === 204) expect(await res.text()).toBe('');
      else expect(await res.json()).toEqual({ ok: route.operationId });
      expect(res.headers.get('x-from-service')).toBe(route.service);
      const c = gw.services.last(route.subject)!;
      expect(c).toBeDefined();
      expect(c.service).toBe(route.service);
      if (route.auth === 'required')
        expect(c.request.user).toEqual({ id: 7, email: 'user@example.com', is_superuser: false });
      else expect(c.request.user).toBeNull();
      if (route.params) expect(c.request.params).toEqual({ id: sampleId(route) });
    },
  );

  it.each(
    ROUTES.filter((r) => r.auth === 'required').map(
      (r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const,
    ),
  )('%s without a token → 401 with WWW-Authenticate, nothing forwarded', async (_name, route) => {
    const res = await call(route, { headers: { Authorization: '' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ detail: MESSAGES.credentials });
    expect(gw.services.calls).toHaveLength(0);
  });

  it.each(ROUTES.filter((r) => r.params).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s with a non-positive or non-integer id → 422 at loc [path, id]',
    async (_name, route) => {
      for (const bad of ['abc', '0', '-3', '1.5']) {
        const res = await call(route, { id: bad });
        expect(res.status).toBe(422);
        const body = (await res.json()) as { detail: Array<{ loc: unknown[] }> };
        expect(body.detail[0].loc).toEqual(['path', 'id']);
      }
      expect(gw.services.calls).toHaveLength(0);
    },
  );
});

describe('bodies', () => {
  it('forwards the parsed schedule body with defaults (strategy smart-pack)', async () => {
    gw.services.on(RPC.schedule.create, () => ({ status: 202, body: { id: 1, status: 'pending' } }));
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'S', lots_data: lots }),
    });
    expect(res.status).toBe(202);
    expect(gw.services.last()!.request.body).toEqual({ name: 'S', lots_data: lots, strategy: 'smart-pack' });
  });

  it('invalid strategy → 422 listing the valid ids at loc [body, strategy]', async () => {
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'S', lots_data: lots, strategy: 'nope' }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      detail: [{ loc: ['body', 'strategy'], msg: STRATEGY_ERROR, type: 'value_error' }],
    });
    expect(gw.services.calls).toHaveLength(0);
  });

  it('missing field and wrong type name their exact loc', async () => {
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: JSON.stringify({ lots_data: [{ lot_id: 5 }] }),
    });
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as { detail: Array<{ loc: unknown[]; type: string; msg: string }> };
    expect(detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' },
        expect.objectContaining({ loc: ['body', 'lots_data', 0, 'lot_id'], type: 'type_error' }),
      ]),
    );
  });

  it('no body at all → 422 at loc [body]', async () => {
    const res = await fetch(`${gw.url}/api/v1/compare`, { method: 'POST', headers: bearer(token) });
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as { detail: Array<{ loc: unknown[] }> };
    expect(detail[0].loc).toEqual(['body']);
  });

  it('malformed JSON → 422 value_error.jsondecode with the error position', async () => {
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: '{"name": "x",, }',
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      detail: [{ loc: ['body', 13], msg: 'JSON decode error', type: 'value_error.jsondecode' }],
    });
  });

  it('body over 5 MB → 413, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x', lots_data: [{ lot_id: 'a'.repeat(5 * 1024 * 1024) }] });
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: MESSAGES.bodyTooLarge });
    // Without Content-Length (chunked), the parser's limit answers.
    const chunks = [big.slice(0, 1024 * 1024), big.slice(1024 * 1024)];
    const stream = new ReadableStream({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const res2 = await fetch(`${gw.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res2.status).toBe(413);
    expect(gw.services.calls).toHaveLength(0);
  });

  it('query is validated with the contract schema and forwarded parsed', async () => {
    const bad = await fetch(`${gw.url}/api/v1/schedules?page_size=101&status=weird`, {
      headers: bearer(token),
    });
    expect(bad.status).toBe(422);
    const { detail } = (await bad.json()) as { detail: Array<{ loc: unknown[] }> };
    expect(detail.map((d) => d.loc)).toEqual(
      expect.arrayContaining([
        ['query', 'page_size'],
        ['query', 'status'],
      ]),
    );
    const zero = await fetch(`${gw.url}/api/v1/comparisons?page=0`, { headers: bearer(token) });
    expect(zero.status).toBe(422);
    expect(((await zero.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'query',
      'page',
    ]);

    const ok = await fetch(`${gw.url}/api/v1/schedules?page=2&status=completed`, { headers: bearer(token) });
    expect(ok.status).toBe(200);
    expect(gw.services.last(RPC.schedule.list)!.request.query).toEqual({
      page: 2,
      page_size: 20,
      status: 'completed',
      sort: '-created_at',
    });
    await fetch(`${gw.url}/api/v1/configs?include_public=true`, { headers: bearer(token) });
    expect(gw.services.last(RPC.config.list)!.request.query).toMatchObject({ include_public: true });
  });
});

describe('auth bodies', () => {
  it('login accepts the OAuth2 password form and forwards {username, password} only', async () => {
    gw.services.on(RPC.auth.login, () => ({
      status: 200,
      body: { access_token: 't', token_type: 'bearer' },
    }));
    const form = new URLSearchParams({
      username: 'u@example.com',
      password: 'pw',
      grant_type: 'password',
      scope: '',
    });
    const res = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(res.status).toBe(200);
    expect(gw.services.last(RPC.auth.login)!.request.body).toEqual({
      username: 'u@example.com',
      password: 'pw',
    });
  });

  it('login accepts JSON with email instead of username', async () => {
    const res = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'e@example.com', password: 'pw' }),
    });
    expect(res.status).toBe(200);
    expect(gw.services.last(RPC.auth.login)!.request.body).toEqual({
      username: 'e@example.com',
      password: 'pw',
    });
  });

  it('login without username → 422 at loc [body, username]; without password at [body, password]', async () => {
    const a = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'password=pw',
    });
    expect(a.status).toBe(422);
    expect(((await a.json()) as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toEqual([
      ['body', 'username'],
    ]);
    const b = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=u',
    });
    expect(((await b.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]).toEqual({
      loc: ['body', 'password'],
      msg: 'field required',
      type: 'value_error.missing',
    });
    expect(gw.services.calls).toHaveLength(0);
  });

  it('logout forwards sid and jti from the verified claims (not from the body)', async () => {
    const res = await fetch(`${gw.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: {
        ...bearer(signToken(key, { sid: 'sessL1', jti: 'jtiL1' })),
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ refresh_token: 'r9', sid: 'forged', jti: 'forged' }),
    });
    expect(res.status).toBe(200);
    expect(gw.services.last(RPC.auth.logout)!.request.body).toEqual({
      sid: 'sessL1',
      jti: 'jtiL1',
      refresh_token: 'r9',
    });
    const t2 = signToken(key, { sid: 'sessL2', jti: 'jtiL2' });
    await fetch(`${gw.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(t2) });
    expect(gw.services.last(RPC.auth.logout)!.request.body).toEqual({ sid: 'sessL2', jti: 'jtiL2' });
  });

  it('after a successful logout the same token is rejected at once on this replica', async () => {
    const t = signToken(key, { sid: 'sessOut' });
    gw.services.on(RPC.auth.logout, () => ({ status: 500, body: { detail: 'Internal server error' } }));
    expect((await fetch(`${gw.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(t) })).status).toBe(
      500,
    );
    expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: bearer(t) })).status).toBe(200); // failed logout: still valid
    gw.services.on(RPC.auth.logout, () => ({ status: 200, body: { message: 'Successfully logged out' } }));
    expect((await fetch(`${gw.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(t) })).status).toBe(
      200,
    );
    const after = await fetch(`${gw.url}/api/v1/auth/me`, { headers: bearer(t) });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="invalid token"',
    );
  });

  it('register is public and refresh needs no access token', async () => {
    const r = await fetch(`${gw.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'body',
      'refresh_token',
    ]);
  });
});

describe('multipart CSV upload', () => {
  const csv = 'Lot ID,Type,Vials\nA1,VialE,10000\nA2,VialH,20000\n';

  it('forwards the fields and the file text as lots_csv', async () => {
    gw.services.on(RPC.schedule.create, () => ({ status: 202, body: { id: 3, status: 'pending' } }));
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'lots.csv');
    form.append('name', 'Upload');
    form.append('strategy', 'lpt-pack');
    form.append('config', JSON.stringify({ line_count: 2 }));
    form.append('config_id', '4');
    form.append('start_time', '2025-01-01T00:00:00');
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: form,
    });
    expect(res.status).toBe(202);
    expect(gw.services.last(RPC.schedule.create)!.request.body).toEqual({
      name: 'Upload',
      strategy: 'lpt-pack',
      config: { line_count: 2 },
      config_id: 4,
      start_time: '2025-01-01T00:00:00',
      filename: 'lots.csv',
      lots_csv: csv,
    });
  });

  it('without a name the file name is forwarded (the schedule service names the schedule after it)', async () => {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'week42.csv');
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: form,
    });
    expect(res.status).toBe(200);
    expect(gw.services.last(RPC.schedule.create)!.request.body).toEqual({
      strategy: 'smart-pack',
      filename: 'week42.csv',
      lots_csv: csv,
    });
  });

  it('missing file → 422 [body, file]; config not JSON → 422 [body, config]', async () => {
    const noFile = new FormData();
    noFile.append('name', 'Upload');
    const a = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: noFile,
    });
    expect(a.status).toBe(422);
    expect(((await a.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'body',
      'file',
    ]);

    const badConfig = new FormData();
    badConfig.append('file', new Blob([csv]), 'lots.csv');
    badConfig.append('name', 'Upload');
    badConfig.append('config', '{nope');
    const b = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: badConfig,
    });
    expect(b.status).toBe(422);
    expect(((await b.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'body',
      'config',
    ]);

    const wrongField = new FormData();
    wrongField.append('csv', new Blob([csv]), 'lots.csv');
    wrongField.append('name', 'Upload');
    const c = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: wrongField,
    });
    expect(c.status).toBe(422);
    expect(((await c.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual([
      'body',
      'csv',
    ]);
    expect(gw.services.calls).toHaveLength(0);
  });

  // Found by schemathesis: multer's MISSING_FIELD_NAME error used to fall through to a 500.
  it('a part without a field name → 422 saying so, not a 500', async () => {
    const boundary = 'b0undary';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\n{"a": 1}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="lots.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: { ...bearer(token), 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(422);
    const detail = ((await res.json()) as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
    expect(detail[0].loc).toEqual(['body']);
    expect(detail[0].msg).toMatch(/without a field name/);
    expect(gw.services.calls).toHaveLength(0);
  });

  it('a file over 5 MB → 413', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x'.repeat(5 * 1024 * 1024 + 10)]), 'big.csv');
    form.append('name', 'Upload');
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: form,
    });
    expect(res.status).toBe(413);
    expect(gw.services.calls).toHaveLength(0);
  });
});

describe('replies and errors', () => {
  it('export passes Content-Type/Content-Disposition and sends a string body as-is', async () => {
    gw.services.on(RPC.schedule.export, (req) => ({
      status: 200,
      body: 'kind,line\nFILL,1\n',
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="schedule_${req.params!.id}.csv"`,
      },
    }));
    const res = await fetch(`${gw.url}/api/v1/schedule/12/export?format=csv`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="schedule_12.csv"');
    expect(await res.text()).toBe('kind,line\nFILL,1\n');
    expect(gw.services.last(RPC.schedule.export)!.request.query).toEqual({ format: 'csv' });
    const bad = await fetch(`${gw.url}/api/v1/schedule/12/export?format=xml`, { headers: bearer(token) });
    expect(bad.status).toBe(422);
  });

  it('a 404 from the service is passed through', async () => {
    gw.services.on(RPC.schedule.get, () => ({ status: 404, body: { detail: MESSAGES.scheduleNotFound } }));
    const res = await fetch(`${gw.url}/api/v1/schedule/99`, { headers: bearer(token) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'Schedule not found' });
  });

  it('ServiceUnavailableError → 503, ServiceTimeoutError → 504, anything else → 500 without a stack', async () => {
    gw.services.on(RPC.schedule.get, () => {
      throw new ServiceUnavailableError('schedule', 'no_responders');
    });
    const a = await fetch(`${gw.url}/api/v1/schedule/1`, { headers: bearer(token) });
    expect(a.status).toBe(503);
    expect(await a.json()).toEqual({ detail: 'Service unavailable: schedule' });

    gw.services.on(RPC.comparison.get, () => {
      throw new ServiceTimeoutError('comparison');
    });
    const b = await fetch(`${gw.url}/api/v1/compare/1`, { headers: bearer(token) });
    expect(b.status).toBe(504);
    expect(await b.json()).toEqual({ detail: 'Service timeout: comparison' });

    gw.services.on(RPC.config.get, () => {
      throw new Error('boom at /secret/path.ts:12');
    });
    const c = await fetch(`${gw.url}/api/v1/config/1`, { headers: bearer(token) });
    expect(c.status).toBe(500);
    expect(await c.json()).toEqual({ detail: 'Internal server error' });
    // still serving
    const d = await fetch(`${gw.url}/health`);
    expect(d.status).toBe(200);
  });

  it('unknown route → 404 Not Found; wrong method → 405 with Allow', async () => {
    const a = await fetch(`${gw.url}/api/v1/nothing`, { headers: bearer(token) });
    expect(a.status).toBe(404);
    expect(await a.json()).toEqual({ detail: 'Not Found' });
    const b = await fetch(`${gw.url}/api/v1/schedule/1`, { method: 'PATCH', headers: bearer(token) });
    expect(b.status).toBe(405);
    expect(await b.json()).toEqual({ detail: 'Method Not Allowed' });
    expect(b.headers.get('allow')).toContain('DELETE');
    const c = await fetch(`${gw.url}/api/v1/schedules`, { method: 'POST', headers: bearer(token) });
    expect(c.status).toBe(405);
    const d = await fetch(`${gw.url}/api/v1/config/system/default`, {
      method: 'DELETE',
      headers: bearer(token),
    });
    expect(d.status).toBe(405);
  });

  it('fixed paths win over /:id (GET /config/default, /config/system/default, POST /schedule/validate)', async () => {
    await fetch(`${gw.url}/api/v1/config/default`, { headers: bearer(token) });
    expect(gw.services.last()!.subject).toBe(RPC.config.getDefault);
    await fetch(`${gw.url}/api/v1/config/system/default`, { headers: bearer(token) });
    expect(gw.services.last()!.subject).toBe(RPC.config.systemDefault);
    // PUT /config/default is the template route with an invalid id, as FastAPI would route it.
    const put = await fetch(`${gw.url}/api/v1/config/default`, {
      method: 'PUT',
      headers: { ...bearer(token), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(put.status).toBe(422);
  });

  it('X-Correlation-Id is echoed or generated', async () => {
    const a = await fetch(`${gw.url}/health`, { headers: { 'X-Correlation-Id': 'abc-123' } });
    expect(a.headers.get('x-correlation-id')).toBe('abc-123');
    const b = await fetch(`${gw.url}/health`);
    expect(b.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /, /health, /livez, /readyz on the API port; /metrics only on the ops port', async () => {
    expect(((await (await fetch(`${gw.url}/`)).json()) as { docs: string }).docs).toBe('/docs');
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect((await fetch(`${gw.url}/livez`)).status).toBe(200);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, boolean> }).checks).toEqual({
      auth_keys: true,
      revocations: true,
    });
    // Metrics name routes, services and error rates: operators only (OPS_PORT), not the public port.
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });
});
