import { CONFIG_KEYS } from '@fillsched/contracts';
import { buildOpenApi } from './openapi';
import { API_PREFIX, ROUTES, toOpenApiPath } from './routes';
import { startTestGateway, type TestGateway } from './test/helpers';

type Json = Record<string, any>;

/** Follows a `#/components/...` $ref inside the document. */
function deref(doc: Json, node: Json): Json {
  if (typeof node?.$ref !== 'string') return node;
  let out: Json = doc;
  for (const p of node.$ref.replace(/^#\//, '').split('/')) out = out[p];
  return deref(doc, out);
}

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
        // read routes with an API-key scope accept a key in either header as well
        expect(op.security).toEqual([
          { OAuth2PasswordBearer: [] },
          { HTTPBearer: [] },
          ...(r.apiKeyScope ? [{ APIKeyHeader: [] }, { APIKeyBearer: [] }] : []),
        ]);
        expect(op['x-api-key-scope']).toBe(r.apiKeyScope);
        expect(op.responses['401']).toBeDefined();
        expect(op.responses['403']).toBeDefined();
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

  it('documents API keys: both schemes, the scope of each read route, 403 on the others, the key shown once', () => {
    expect(doc.components.securitySchemes.APIKeyHeader).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(doc.components.securitySchemes.APIKeyBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const get = doc.paths['/api/v1/schedule/{id}'].get;
    expect(get['x-api-key-scope']).toBe('schedules:read');
    expect(get.responses['403'].content['application/json'].example.detail).toContain('schedules:read');
    const del = doc.paths['/api/v1/schedule/{id}'].delete;
    expect(del.security).not.toContainEqual({ APIKeyHeader: [] });
    expect(del.responses['403'].content['application/json'].example.detail).toMatch(/API keys are read-only/);
    const created = doc.paths['/api/v1/auth/api-keys'].post.responses['201'].content['application/json'];
    expect(created.example.key).toMatch(/^fsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(doc.paths['/api/v1/auth/api-keys'].post.responses['409']).toBeDefined();
    const revoke = doc.paths['/api/v1/auth/api-keys/{id}'].delete;
    expect(revoke.responses['204'].content).toBeUndefined();
    expect(revoke.responses['404'].content['application/json'].example).toEqual({
      detail: 'API key not found',
    });
    expect(doc.info.description).toContain('X-API-Key');
  });

  it('documents the login form, the CSV upload and the CSV export', () => {
    const login = doc.paths['/api/v1/auth/login'].post.requestBody.content;
    expect(login['application/x-www-form-urlencoded'].schema.required).toEqual(['username', 'password']);
    expect(login['application/json']).toBeDefined();
    const create = doc.paths['/api/v1/schedule'].post.requestBody.content;
    expect(create['multipart/form-data'].schema.properties.file.format).toBe('binary');
    const json = deref(doc, create['application/json'].schema);
    expect(json.required).toEqual(expect.arrayContaining(['name', 'lots_data']));
    expect(deref(doc, json.properties.strategy).enum).toContain('milp-opt');
    expect(doc.paths['/api/v1/schedule/{id}/export'].get.responses['200'].content['text/csv']).toBeDefined();
  });

  it('documents every engine config key in the ScheduleConfig component, referenced by bodies', () => {
    const cfg = doc.components.schemas.ScheduleConfig;
    expect(Object.keys(cfg.properties).sort()).toEqual(CONFIG_KEYS.map((k) => k.key).sort());
    expect(cfg.properties.fill_rate_vph.default).toBe(19920);
    expect(doc.components.schemas.ScheduleCreate.properties.config.anyOf).toContainEqual({
      $ref: '#/components/schemas/ScheduleConfig',
    });
    expect(
      deref(doc, doc.paths['/api/v1/config'].post.requestBody.content['application/json'].schema).properties
        .config,
    ).toEqual({ $ref: '#/components/schemas/ScheduleConfig' });
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

  /** Every operation with its media types (request and every response), for the example checks. */
  function mediaTypes(): { where: string; media: Json }[] {
    const out: { where: string; media: Json }[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Json))
      for (const [method, op] of Object.entries(ops as Json)) {
        for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json))
          out.push({ where: `${method.toUpperCase()} ${path} request ${type}`, media });
        for (const [status, res] of Object.entries(op.responses as Json))
          for (const [type, media] of Object.entries(((res as Json).content ?? {}) as Json))
            out.push({ where: `${method.toUpperCase()} ${path} ${status} ${type}`, media });
      }
    return out;
  }

  it('every request and response body of every operation has an example', () => {
    const all = mediaTypes();
    expect(all.length).toBeGreaterThan(150);
    expect(all.filter((m) => m.media.example === undefined).map((m) => m.where)).toEqual([]);
    for (const r of ROUTES) {
      const op = doc.paths[API_PREFIX + toOpenApiPath(r.path)][r.method];
      if (r.body) expect(op.requestBody.content['application/json'].example).toBeDefined();
      if (r.response)
        expect(op.responses[String(r.successStatus)].content['application/json'].example).toBeDefined();
    }
  });

  it('every example validates against its own schema (JSON Schema 2020-12, a real validator)', () => {
    // @redocly/ajv (Ajv 8 with the 2020-12 dialect) comes with redoc, like the linter above.
    const Ajv2020 = require('@redocly/ajv/dist/2020').default;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const base = 'urn:fillsched:openapi';
    ajv.addSchema({ $id: base, components: doc.components });
    const compile = (schema: Json) =>
      ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${base}#/components/`)));
    const failures: string[] = [];
    const check = (where: string, schema: Json, example: unknown) => {
      const validate = compile(schema);
      if (!validate(example)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    let checked = 0;
    for (const { where, media } of mediaTypes()) {
      check(where, media.schema, media.example);
      checked++;
    }
    for (const [id, schema] of Object.entries(doc.components.schemas as Json))
      for (const example of (schema as Json).examples ?? []) {
        check(`components.schemas.${id}`, { $ref: `#/components/schemas/${id}` }, example);
        checked++;
      }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(180);
    // …and the validator does reject what does not fit (the test can fail).
    expect(compile({ $ref: '#/components/schemas/ScheduleCreate' })({ name: 'x', lots_data: [] })).toBe(
      false,
    );
  });

  it('request examples are accepted by the zod contracts the gateway validates with', () => {
    for (const r of ROUTES) {
      if (!r.body) continue;
      const op = doc.paths[API_PREFIX + toOpenApiPath(r.path)][r.method];
      const parsed = r.body.safeParse(op.requestBody.content['application/json'].example);
      expect({ operation: r.operationId, issues: parsed.error?.issues ?? [] }).toEqual({
        operation: r.operationId,
        issues: [],
      });
    }
  });

  it("POST /schedule's default body in Swagger UI is the guide's body, not a generated one", () => {
    const media = doc.paths['/api/v1/schedule'].post.requestBody.content['application/json'];
    expect(media.example).toMatchObject({
      name: 'Production Schedule - Week 42',
      strategy: 'smart-pack',
      lots_data: [expect.objectContaining({ lot_id: 'LOT001', product: 'ProductA', quantity: 1000 })],
    });
  });

  it('names the main bodies as components and references them instead of inlining copies', () => {
    const schemas = doc.components.schemas;
    for (const id of [
      'ScheduleCreate',
      'ScheduleSummary',
      'ScheduleOut',
      'ScheduleResult',
      'Activity',
      'Lot',
      'Comparison',
      'ComparisonCreate',
      'ComparisonResult',
      'ConfigTemplate',
      'ConfigTemplateCreate',
      'User',
      'Token',
    ])
      expect(schemas[id]).toBeDefined();
    const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
    const json = (path: string, method: string, status?: string) => {
      const op = doc.paths[path][method];
      return (status ? op.responses[status] : op.requestBody).content['application/json'].schema;
    };
    expect(json('/api/v1/schedule', 'post')).toEqual(ref('ScheduleCreate'));
    expect(json('/api/v1/schedule', 'post', '202')).toEqual(ref('ScheduleSummary'));
    expect(json('/api/v1/schedule/{id}', 'get', '200')).toEqual(ref('ScheduleOut'));
    expect(json('/api/v1/compare/{id}', 'get', '200')).toEqual(ref('Comparison'));
    expect(json('/api/v1/config/{id}', 'get', '200')).toEqual(ref('ConfigTemplate'));
    expect(schemas.ScheduleOut.properties.result.anyOf).toContainEqual(ref('ScheduleResult'));
    expect(schemas.ScheduleResult.properties.activities.items).toEqual(ref('Activity'));
    // one definition each: no inline copy of an Activity anywhere else
    const activityShape = JSON.stringify(schemas.Activity.properties);
    expect(JSON.stringify(doc).split(activityShape)).toHaveLength(2);
  });

  it('has no jsonSchemaDialect (Swagger UI warns about it in red)', () => {
    expect(doc).not.toHaveProperty('jsonSchemaDialect');
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
  });

  it("503 and 504 name the route's own service, in the description and the example", () => {
    for (const r of ROUTES) {
      const op = doc.paths[API_PREFIX + toOpenApiPath(r.path)][r.method];
      expect(op.responses['503'].description).toContain(`Service unavailable: ${r.service}`);
      expect(op.responses['503'].description).not.toContain('<service>');
      expect(op.responses['503'].content['application/json'].example).toEqual({
        detail: `Service unavailable: ${r.service}`,
      });
      expect(op.responses['504'].content['application/json'].example).toEqual({
        detail: `Service timeout: ${r.service}`,
      });
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
    const init = await (await fetch(`${gw.url}/docs/init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
    // Swagger UI's default validatorUrl sends the document to validator.swagger.io
    expect(init).toMatch(/validatorUrl: null/);
  });

  /**
   * How a script or stylesheet makes the browser load something from an absolute URL (an element's
   * src, CSS url()/@import); `href`s in scripts are links a user may follow, and the HTML pages
   * hold no absolute URL at all (tested above).
   */
  const OUTSIDE_LOAD = /src\s*[:=]\s*["']https?:\/\/|url\(\s*["']?https?:\/\/|@import\s+["']?https?:\/\//;

  it('no page or asset of /docs and /redoc loads anything from another host', async () => {
    const urls = [
      '/docs',
      '/docs/init.js',
      '/docs/assets/swagger-ui.css',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui-standalone-preset.js',
      '/redoc',
      '/redoc/redoc.standalone.js',
    ];
    for (const u of urls) {
      const res = await fetch(`${gw.url}${u}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect({ u, load: text.match(OUTSIDE_LOAD)?.[0] ?? null }).toEqual({ u, load: null });
    }
    // the one ReDoc loads at runtime (its footer logo) is served locally instead
    const redoc = await (await fetch(`${gw.url}/redoc/redoc.standalone.js`)).text();
    expect(redoc).not.toContain('cdn.redoc.ly');
    expect(redoc).toContain('src:"/favicon.svg"');
    // the pattern does catch the original bundle (the check can fail)
    const original = require('node:fs').readFileSync(
      require.resolve('redoc/bundles/redoc.standalone.js'),
      'utf8',
    );
    expect(original).toMatch(OUTSIDE_LOAD);
  });

  it('both pages link a favicon, which is served (also at /favicon.ico)', async () => {
    for (const page of ['/docs', '/redoc'])
      expect(await (await fetch(`${gw.url}${page}`)).text()).toContain(
        '<link rel="icon" type="image/svg+xml" href="/favicon.svg">',
      );
    for (const u of ['/favicon.svg', '/favicon.ico']) {
      const res = await fetch(`${gw.url}${u}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('image/svg+xml');
      expect(await res.text()).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\s*$/);
    }
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

describe('the /docs introduction', () => {
  it('points to the multiplexed WebSocket and its document', () => {
    const doc = buildOpenApi() as { info: { description: string } };
    expect(doc.info.description).toContain('/api/v1/ws');
    expect(doc.info.description).toContain('docs/websocket.md');
    expect(doc.info.description).toContain('examples/ws-client.mjs');
  });
});
