import { CONFIG_KEYS } from '@fillsched/engine';
import { buildOpenApi } from './openapi';
import { API_PREFIX, ROUTES, toOpenApiPath } from './routes';
import { startTestGateway, type TestGateway } from './test/helpers';

type Json = Record<string, any>;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('GET /openapi.json', () => {
  let doc: Json;
  beforeAll(async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Json;
  });

  it('is an OpenAPI 3.1 document with info, paths and security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Filling Scheduler API');
    expect(doc.components.securitySchemes.OAuth2PasswordBearer).toEqual({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/api/v1/auth/login', scopes: {} } },
    });
    expect(doc.components.securitySchemes.HTTPBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('lists every route of the route table with summary, tag, params, body and error responses', () => {
    const ids = new Set<string>();
    for (const r of ROUTES) {
      const op = doc.paths[API_PREFIX + toOpenApiPath(r.path)]?.[r.method];
      expect(op).toBeDefined();
      ids.add(op.operationId);
      expect(op.summary).toBe(r.summary);
      expect(op.tags).toEqual([r.tag]);
      expect(op.responses[String(r.successStatus)]).toBeDefined();
      for (const status of ['429', '503', '504']) expect(op.responses[status]).toBeDefined();
      if (r.auth === 'required') {
        expect(op.security).toEqual([{ OAuth2PasswordBearer: [] }, { HTTPBearer: [] }]);
        expect(op.responses['401']).toBeDefined();
      } else expect(op.security).toEqual([]);
      if (r.params) {
        expect(op.parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]),
        );
        expect(op.responses['404']).toBeDefined();
      }
      if (r.params || r.query || r.body) expect(op.responses['422']).toBeDefined();
      for (const q of Object.keys(r.query?.shape ?? {}))
        expect(op.parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: q, in: 'query' })]),
        );
      if (r.body) expect(op.requestBody.content).toBeDefined();
    }
    expect(ids.size).toBe(ROUTES.length);
  });

  it('documents the login form, the CSV upload and the CSV export', () => {
    const login = doc.paths['/api/v1/auth/login'].post.requestBody.content;
    expect(login['application/x-www-form-urlencoded'].schema.required).toEqual(['username', 'password']);
    expect(login['application/json']).toBeDefined();
    const create = doc.paths['/api/v1/schedule'].post.requestBody.content;
    expect(create['multipart/form-data'].schema.properties.file.format).toBe('binary');
    expect(create['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'lots_data']));
    expect(create['application/json'].schema.properties.strategy.enum).toContain('milp-opt');
    expect(doc.paths['/api/v1/schedule/{id}/export'].get.responses['200'].content['text/csv']).toBeDefined();
  });

  it('documents every engine config key in the ScheduleConfig component, referenced by bodies', () => {
    const cfg = doc.components.schemas.ScheduleConfig;
    expect(Object.keys(cfg.properties).sort()).toEqual(CONFIG_KEYS.map((k) => k.key).sort());
    expect(cfg.properties.fill_rate_vph.default).toBe(19920);
    expect(JSON.stringify(doc.paths['/api/v1/schedule'].post.requestBody)).toContain(
      '#/components/schemas/ScheduleConfig',
    );
    expect(
      doc.paths['/api/v1/config'].post.requestBody.content['application/json'].schema.properties.config,
    ).toEqual({
      $ref: '#/components/schemas/ScheduleConfig',
    });
  });

  it('passes the Redocly OpenAPI 3.1 linter (recommended rules) without errors', async () => {
    // @redocly/openapi-core comes with redoc (a dependency of the gateway for /redoc).
    const core = require('@redocly/openapi-core');
    const config = await core.createConfig({ extends: ['recommended'] });
    const problems: any[] = await core.lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: '/openapi.json',
      config,
    });
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  it('every $ref resolves inside the document', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      const path = r.slice(8, -1).replace(/^#\//, '').split('/');
      let node: Json | undefined = doc;
      for (const p of path) node = node?.[p];
      expect(node).toBeDefined();
    }
  });

  it('is built from the same table as the router (a new route appears in the document)', () => {
    const extra = buildOpenApi([
      ...ROUTES,
      {
        ...ROUTES[0],
        operationId: 'probe',
        path: '/probe/:id',
        params: ROUTES.find((r) => r.params)!.params,
      },
    ]);
    expect((extra.paths as Json)['/api/v1/probe/{id}'].post.operationId).toBe('probe');
  });
});

describe('docs UIs with local assets', () => {
  it('/docs serves Swagger UI referencing only local assets, which are served', async () => {
    const res = await fetch(`${gw.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']),
    );
    for (const a of assets) {
      const r = await fetch(`${gw.url}${a}`);
      expect(r.status).toBe(200);
      expect((await r.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect(await (await fetch(`${gw.url}/docs/init.js`)).text()).toContain("url: '/openapi.json'");
  });

  it('/redoc serves ReDoc with the local standalone bundle', async () => {
    const res = await fetch(`${gw.url}/redoc`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('spec-url="/openapi.json"');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(`${gw.url}/redoc/redoc.standalone.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});
