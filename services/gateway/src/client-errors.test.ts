import { RPC } from '@fillsched/contracts';
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

const lots = [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000 }];
const post = (path: string, body: string, contentType?: string, method = 'POST') =>
  fetch(`${gw.url}/api/v1${path}`, {
    method,
    headers: { ...bearer(token), ...(contentType ? { 'Content-Type': contentType } : {}) },
    body,
  });

describe('415 for a body in a media type the endpoint does not read', () => {
  const json = JSON.stringify({ name: 'S', lots_data: lots });

  it.each([
    ['/compare', 'text/plain', 'application/json'],
    ['/config/validate', 'application/x-www-form-urlencoded', 'application/json'],
    ['/schedule', 'text/plain;charset=UTF-8', 'application/json or multipart/form-data'],
    ['/auth/login', 'text/csv', 'application/x-www-form-urlencoded or application/json'],
  ])('POST %s as %s → 415 naming %s; nothing forwarded', async (path, type, accepted) => {
    const res = await post(path, json, type);
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ detail: `Unsupported Content-Type '${type}': send ${accepted}` });
    expect(gw.services.calls).toHaveLength(0);
  });

  it('PUT /config/{id} too; a body without any Content-Type → 415 "Missing Content-Type"', async () => {
    expect((await post('/config/3', '{"name":"x"}', 'text/plain', 'PUT')).status).toBe(415);
    // fetch labels a string body text/plain; a Blob without a type goes out with no Content-Type.
    const res = await fetch(`${gw.url}/api/v1/compare`, {
      method: 'POST',
      headers: bearer(token),
      body: new Blob([json]),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ detail: 'Missing Content-Type: send application/json' });
  });

  it('JSON with a charset, +json types, and multipart where CSV upload is accepted pass', async () => {
    gw.services.on(RPC.schedule.create, () => ({ status: 202, body: { id: 1 } }));
    gw.services.on(RPC.comparison.create, () => ({ status: 422, body: { detail: [] } }));
    expect((await post('/schedule', json, 'application/json; charset=utf-8')).status).toBe(202);
    expect((await post('/compare', json, 'application/merge-patch+json')).status).toBe(422);
    const form = new FormData();
    form.set('name', 'csv');
    form.set('file', new Blob(['Lot ID,Type,Vials\nA,X,1\n'], { type: 'text/csv' }), 'lots.csv');
    const res = await fetch(`${gw.url}/api/v1/schedule`, {
      method: 'POST',
      headers: bearer(token),
      body: form,
    });
    expect(res.status).toBe(202);
  });

  it('a multipart body where only JSON is read → 415', async () => {
    const form = new FormData();
    form.set('name', 'x');
    const res = await fetch(`${gw.url}/api/v1/compare`, {
      method: 'POST',
      headers: bearer(token),
      body: form,
    });
    expect(res.status).toBe(415);
  });
});

describe('unknown top-level fields reach the services that report them', () => {
  it.each([
    ['POST', '/schedule', RPC.schedule.create, { name: 'S', lots_data: lots, stratgy: 'lpt-pack' }],
    [
      'POST',
      '/compare',
      RPC.comparison.create,
      { name: 'C', lots_data: lots, strategies: ['smart-pack', 'lpt-pack'], stratgies: 1 },
    ],
    ['POST', '/config', RPC.config.create, { name: 'T', config: {}, is_publik: true }],
    ['PUT', '/config/4', RPC.config.update, { nmae: 'x' }],
  ])('%s %s forwards the unknown field beside the validated ones', async (method, path, subject, body) => {
    gw.services.on(subject, () => ({ status: 200, body: {} }));
    const res = await post(path, JSON.stringify(body), 'application/json', method);
    expect(res.status).toBe(200);
    expect(gw.services.last(subject)!.request.body).toMatchObject(body);
  });

  it('validated values still win (defaults applied, strings trimmed)', async () => {
    gw.services.on(RPC.schedule.create, () => ({ status: 202, body: {} }));
    await post(
      '/schedule',
      JSON.stringify({ name: '  S ', lots_data: lots, colour: 'red' }),
      'application/json',
    );
    expect(gw.services.last()!.request.body).toEqual({
      name: 'S',
      lots_data: lots,
      strategy: 'smart-pack',
      colour: 'red',
    });
  });

  it('a multipart upload forwards unknown form fields too', async () => {
    gw.services.on(RPC.schedule.create, () => ({ status: 202, body: {} }));
    const form = new FormData();
    form.set('name', 'csv');
    form.set('stratgy', 'lpt-pack');
    form.set('file', new Blob(['Lot ID,Type,Vials\nA,X,1\n']), 'lots.csv');
    await fetch(`${gw.url}/api/v1/schedule`, { method: 'POST', headers: bearer(token), body: form });
    expect(gw.services.last()!.request.body).toMatchObject({ name: 'csv', stratgy: 'lpt-pack' });
  });

  it('other routes keep stripping them (register must not pass is_superuser on)', async () => {
    gw.services.on(RPC.auth.register, () => ({ status: 201, body: {} }));
    await fetch(`${gw.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: 'SecurePass123!', is_superuser: true }),
    });
    expect(gw.services.last(RPC.auth.register)!.request.body).not.toHaveProperty('is_superuser');
  });
});
