import { CONFIG_KEYS, ConfigListSchema, ConfigTemplateOutSchema, MESSAGES, RPC } from '@fillsched/contracts';
import { createLogger, MemoryIdAllocator, type RpcUser } from '@fillsched/service-kit';
import { MemoryTemplateRepository, MemoryUserDefaultsRepository } from './adapters/memory';
import { createConfigApp, DELETED_MESSAGE, issueText, NO_DEFAULT, type ConfigApp } from './app';

const alice: RpcUser = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob: RpcUser = { id: 2, email: 'bob@example.com', is_superuser: false };
const root: RpcUser = { id: 3, email: 'root@example.com', is_superuser: true };

const NOW = new Date('2026-01-02T03:04:05.000Z');
let app: ConfigApp;
let defaults: MemoryUserDefaultsRepository;

beforeEach(() => {
  defaults = new MemoryUserDefaultsRepository();
  app = createConfigApp({
    templates: new MemoryTemplateRepository(),
    defaults,
    ids: new MemoryIdAllocator(),
    clock: { now: () => NOW },
  });
});

const body = (over: Record<string, unknown> = {}) => ({
  name: 'High-Priority Production',
  description: 'Configuration for high-priority lots',
  config: {
    line_count: 5,
    changeover_time: 30,
    min_batch_size: 100,
    max_makespan: 480,
    priority_weight: 2.0,
  },
  is_public: false,
  ...over,
});

async function createAs(user: RpcUser, over: Record<string, unknown> = {}): Promise<number> {
  const r = await app.create({ user, body: body(over) });
  expect(r.status).toBe(201);
  return (r.body as { id: number }).id;
}
const params = (id: number | string) => ({ id: String(id) });

describe('create', () => {
  it("answers 201 with the guide's shape", async () => {
    const r = await app.create({ user: alice, body: body() });
    expect(r).toEqual({
      status: 201,
      body: {
        id: 1,
        user_id: 1,
        ...body(),
        is_default: false,
        created_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
        warnings: [],
      },
    });
  });

  it('replies match the contract schemas the gateway documents', async () => {
    const id = await createAs(alice);
    const strict = ConfigTemplateOutSchema.strict();
    expect(strict.safeParse((await app.get({ user: alice, params: params(id) })).body).success).toBe(true);
    expect(strict.safeParse((await app.setDefault({ user: alice, params: params(id) })).body).success).toBe(
      true,
    );
    expect(strict.safeParse((await app.getDefault({ user: alice })).body).success).toBe(true);
    expect(
      ConfigListSchema.strict().safeParse((await app.list({ user: alice, query: {} })).body).success,
    ).toBe(true);
  });

  it('defaults is_public to false and description to null', async () => {
    const r = await app.create({ user: alice, body: { name: 'n', config: {} } });
    expect(r.body).toMatchObject({ is_public: false, description: null, config: {} });
  });

  it('accepts unknown keys (warnings only)', async () => {
    const r = await app.create({ user: alice, body: body({ config: { foo: 1 } }) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ config: { foo: 1 } });
  });

  it('reports unknown top-level fields and config keys; GET keeps reporting the stored config keys', async () => {
    const r = await app.create({
      user: alice,
      body: body({ is_publik: true, config: { changover_time: 30 } }),
    });
    expect(r.status).toBe(201);
    expect(ConfigTemplateOutSchema.parse(r.body).warnings).toEqual([
      "Unknown field 'is_publik' is ignored (did you mean 'is_public'?)",
      "Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)",
    ]);
    const id = (r.body as { id: number }).id;
    // The misspelt key is stored with the template (every run using it will ignore it), the field is not.
    expect((await app.get({ user: alice, params: params(id) })).body).toMatchObject({
      is_public: false,
      warnings: ["Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)"],
    });
    const u = await app.update({
      user: alice,
      params: params(id),
      body: { nmae: 'x', config: { line_count: 2 } },
    });
    expect(u.status).toBe(200);
    expect((u.body as { warnings: string[] }).warnings).toEqual([
      "Unknown field 'nmae' is ignored (did you mean 'name'?)",
    ]);
  });

  it('422 with loc body.config.<key> for a config value the engine rejects', async () => {
    const r = await app.create({ user: alice, body: body({ config: { clean_hours: -1, line_count: 'x' } }) });
    expect(r.status).toBe(422);
    const locs = (r.body as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc);
    expect(locs).toEqual(
      expect.arrayContaining([
        ['body', 'config', 'clean_hours'],
        ['body', 'config', 'line_count'],
      ]),
    );
  });

  it('422 for a nested config error with the full loc', async () => {
    const r = await app.create({ user: alice, body: body({ config: { lines: [{ name: 'no id' }] } }) });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual([
      'body',
      'config',
      'lines',
      0,
      'id',
    ]);
  });

  it.each([
    [{ name: '' }, ['body', 'name']],
    [{ name: undefined }, ['body', 'name']],
    [{ config: [1] }, ['body', 'config']],
    [{ config: undefined }, ['body', 'config']],
    [{ is_public: 'yes' }, ['body', 'is_public']],
    [{ description: 5 }, ['body', 'description']],
  ])('422 for a bad body %j at %j', async (over, loc) => {
    const r = await app.create({ user: alice, body: body(over) });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc)).toContainEqual(loc);
  });

  // Found by schemathesis: BSON cannot store a key with NUL, so the mongoose adapter answered 500.
  it('422 naming the key for a config key with a NUL character, at any depth (create and update)', async () => {
    const r = await app.create({
      user: alice,
      body: body({ config: { line_count: 2, z: [{ 'a\u0000b': 1 }] } }),
    });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[]; msg: string }[] }).detail[0]).toMatchObject({
      loc: ['body', 'config', 'z', 0, 'a\u0000b'],
      msg: expect.stringMatching(/NUL/),
    });
    const id = await createAs(alice);
    const u = await app.update({ user: alice, params: params(id), body: { config: { 'k\u0000': 1 } } });
    expect(u.status).toBe(422);
  });

  it('422 for a missing body; 401 without a user', async () => {
    expect((await app.create({ user: alice })).status).toBe(422);
    expect(await app.create({ body: body() })).toEqual({
      status: 401,
      body: { detail: MESSAGES.credentials },
    });
  });
});

describe('list', () => {
  it('lists own templates, plus public ones with include_public; superuser sees all', async () => {
    await createAs(alice); // 1
    await createAs(bob, { is_public: true }); // 2
    await createAs(bob); // 3
    const ids = async (user: RpcUser, query: Record<string, unknown> = {}) =>
      ((await app.list({ user, query })).body as { configs: { id: number }[] }).configs.map((c) => c.id);
    expect(await ids(alice)).toEqual([1]);
    expect(await ids(alice, { include_public: 'true' })).toEqual([2, 1]);
    expect(await ids(alice, { include_public: 'false' })).toEqual([1]);
    expect(await ids(bob)).toEqual([3, 2]);
    expect(await ids(root)).toEqual([3, 2, 1]);
  });

  it('pages with total, page and page_size', async () => {
    for (let i = 0; i < 5; i++) await createAs(alice);
    const r = await app.list({ user: alice, query: { page: '2', page_size: '2' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 5, page: 2, page_size: 2 });
    expect((r.body as { configs: { id: number }[] }).configs.map((c) => c.id)).toEqual([3, 2]);
    const defaultsPage = await app.list({ user: alice, query: {} });
    expect(defaultsPage.body).toMatchObject({ total: 5, page: 1, page_size: 20 });
  });

  it.each([
    [{ page_size: '101' }, 'page_size'],
    [{ page_size: '0' }, 'page_size'],
    [{ page: '0' }, 'page'],
    [{ page: 'x' }, 'page'],
    [{ include_public: 'maybe' }, 'include_public'],
  ])('422 for query %j', async (query, field) => {
    const r = await app.list({ user: alice, query });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual(['query', field]);
  });

  it('accepts page_size 100 and marks the default template', async () => {
    const id = await createAs(alice);
    await app.setDefault({ user: alice, params: params(id) });
    const r = await app.list({ user: alice, query: { page_size: '100' } });
    expect(r.status).toBe(200);
    expect((r.body as { configs: { is_default: boolean }[] }).configs[0].is_default).toBe(true);
  });
});

describe('get / update / delete permissions', () => {
  it('owner reads, updates and deletes', async () => {
    const id = await createAs(alice);
    expect((await app.get({ user: alice, params: params(id) })).status).toBe(200);
    const u = await app.update({
      user: alice,
      params: params(id),
      body: { name: 'Updated Name', config: { line_count: 6 } },
    });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({
      name: 'Updated Name',
      config: { line_count: 6 },
      description: body().description,
    });
    expect(await app.remove({ user: alice, params: params(id) })).toEqual({
      status: 200,
      body: { message: DELETED_MESSAGE },
    });
    expect((await app.get({ user: alice, params: params(id) })).status).toBe(404);
  });

  it("another user's private template is 404 for every operation", async () => {
    const id = await createAs(alice);
    const nf = { status: 404, body: { detail: MESSAGES.configNotFound } };
    expect(await app.get({ user: bob, params: params(id) })).toEqual(nf);
    expect(await app.update({ user: bob, params: params(id), body: { name: 'x' } })).toEqual(nf);
    expect(await app.remove({ user: bob, params: params(id) })).toEqual(nf);
    expect(await app.setDefault({ user: bob, params: params(id) })).toEqual(nf);
  });

  it("another user's public template is readable but PUT/DELETE are 403", async () => {
    const id = await createAs(alice, { is_public: true });
    const forbidden = { status: 403, body: { detail: MESSAGES.forbidden } };
    expect((await app.get({ user: bob, params: params(id) })).status).toBe(200);
    expect(await app.update({ user: bob, params: params(id), body: { name: 'x' } })).toEqual(forbidden);
    expect(await app.remove({ user: bob, params: params(id) })).toEqual(forbidden);
    expect((await app.get({ user: alice, params: params(id) })).body).toMatchObject({ name: body().name });
  });

  it('a superuser may read, update and delete any template', async () => {
    const id = await createAs(alice);
    expect((await app.get({ user: root, params: params(id) })).status).toBe(200);
    expect((await app.update({ user: root, params: params(id), body: { is_public: true } })).status).toBe(
      200,
    );
    expect((await app.remove({ user: root, params: params(id) })).status).toBe(200);
  });

  it('unknown id → 404; a non-numeric id → 422 at path.id', async () => {
    expect((await app.get({ user: alice, params: params(99) })).status).toBe(404);
    const r = await app.get({ user: alice, params: params('abc') });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual(['path', 'id']);
  });

  it('update revalidates the config (422 at body.config.<key>) and leaves the template unchanged', async () => {
    const id = await createAs(alice);
    const r = await app.update({ user: alice, params: params(id), body: { config: { window_hours: 0 } } });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual([
      'body',
      'config',
      'window_hours',
    ]);
    expect((await app.get({ user: alice, params: params(id) })).body).toMatchObject({
      config: body().config,
    });
  });

  it('update: 422 for wrong types, null description clears, empty body changes only updated_at', async () => {
    const id = await createAs(alice);
    const bad = await app.update({ user: alice, params: params(id), body: { name: '' } });
    expect(bad.status).toBe(422);
    expect((bad.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual(['body', 'name']);
    const cleared = await app.update({ user: alice, params: params(id), body: { description: null } });
    expect(cleared.body).toMatchObject({ description: null, name: body().name });
    const same = await app.update({ user: alice, params: params(id), body: {} });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ name: body().name, config: body().config });
  });
});

describe('defaults', () => {
  it('get-default is 404 until one is set', async () => {
    expect(await app.getDefault({ user: alice })).toEqual({ status: 404, body: { detail: NO_DEFAULT } });
  });

  it('set-default makes exactly one default; a later one replaces it', async () => {
    const a = await createAs(alice);
    const b = await createAs(alice);
    const r = await app.setDefault({ user: alice, params: params(a) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: a, is_default: true });
    await app.setDefault({ user: alice, params: params(b) });
    expect((await app.getDefault({ user: alice })).body).toMatchObject({ id: b, is_default: true });
    expect((await app.get({ user: alice, params: params(a) })).body).toMatchObject({ is_default: false });
    const listed = (await app.list({ user: alice, query: {} })).body as {
      configs: { is_default: boolean }[];
    };
    expect(listed.configs.filter((c) => c.is_default)).toHaveLength(1);
  });

  it('concurrent set-defaults end with exactly one default', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => createAs(alice)));
    await Promise.all(ids.map((id) => app.setDefault({ user: alice, params: params(id) })));
    const listed = (await app.list({ user: alice, query: {} })).body as {
      configs: { is_default: boolean }[];
    };
    expect(listed.configs.filter((c) => c.is_default)).toHaveLength(1);
  });

  it("a user may default to someone else's public template; defaults are per user", async () => {
    const pub = await createAs(bob, { is_public: true });
    const own = await createAs(bob);
    await app.setDefault({ user: bob, params: params(own) });
    expect((await app.setDefault({ user: alice, params: params(pub) })).status).toBe(200);
    expect((await app.getDefault({ user: alice })).body).toMatchObject({ id: pub });
    expect((await app.getDefault({ user: bob })).body).toMatchObject({ id: own });
    // is_default is about the caller: for alice, bob's own default is not hers.
    expect((await app.get({ user: alice, params: params(pub) })).body).toMatchObject({ is_default: true });
  });

  it('deleting the default template leaves no default', async () => {
    const id = await createAs(alice);
    await app.setDefault({ user: alice, params: params(id) });
    await app.remove({ user: alice, params: params(id) });
    expect((await app.getDefault({ user: alice })).status).toBe(404);
    expect(await defaults.get(alice.id)).toBeNull();
  });

  it('a public default that becomes private is no longer the default of others', async () => {
    const id = await createAs(bob, { is_public: true });
    await app.setDefault({ user: alice, params: params(id) });
    await app.update({ user: bob, params: params(id), body: { is_public: false } });
    expect((await app.getDefault({ user: alice })).status).toBe(404);
    expect((await app.resolve({ user: alice, body: {} })).body).toEqual({ config: {}, template_id: null });
  });

  it('set-default of an unknown id is 404', async () => {
    expect((await app.setDefault({ user: alice, params: params(42) })).status).toBe(404);
  });
});

describe('validate', () => {
  it("answers the guide's shape for a valid config", async () => {
    const r = await app.validate({ user: alice, body: { config: { line_count: 3, changeover_time: 30 } } });
    expect(r).toEqual({ status: 200, body: { valid: true, errors: [], warnings: [] } });
  });

  it('reports errors for wrong types and ranges and warnings for unknown keys', async () => {
    const r = await app.validate({
      user: alice,
      body: { config: { clean_hours: -1, line_count: 1.5, foo: 1 } },
    });
    expect(r.status).toBe(200);
    const out = r.body as { valid: boolean; errors: string[]; warnings: string[] };
    expect(out.valid).toBe(false);
    expect(out.errors).toHaveLength(2);
    expect(out.errors.join('\n')).toMatch(/clean_hours/);
    expect(out.errors.join('\n')).toMatch(/line_count/);
    expect(out.warnings).toEqual([expect.stringMatching(/foo/)]);
  });

  it('422 when config is missing or not an object', async () => {
    for (const b of [{}, { config: 3 }, undefined]) {
      const r = await app.validate({ user: alice, body: b });
      expect(r.status).toBe(422);
      expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual(['body', 'config']);
    }
  });

  it('names the key path of nested errors', () => {
    expect(issueText({ loc: ['config', 'lines', 0, 'id'], msg: 'line id is required' })).toBe(
      'lines[0].id: line id is required',
    );
    expect(issueText({ loc: ['config', 'clean_hours'], msg: 'clean_hours must be at least 0' })).toBe(
      'clean_hours must be at least 0',
    );
  });
});

describe('system-default', () => {
  it('lists every engine key with its default', async () => {
    const r = await app.systemDefault();
    expect(r.status).toBe(200);
    const out = r.body as { config: Record<string, unknown>; keys: unknown[] };
    expect(Object.keys(out.config).sort()).toEqual(CONFIG_KEYS.map((k) => k.key).sort());
    for (const k of CONFIG_KEYS) expect(out.config[k.key]).toEqual(k.default);
    expect(out.keys).toEqual(CONFIG_KEYS);
  });
});

describe('resolve', () => {
  it('no template and no default → the request config alone', async () => {
    expect(await app.resolve({ user: alice, body: { config: { line_count: 2 } } })).toEqual({
      status: 200,
      body: { config: { line_count: 2 }, template_id: null },
    });
    expect((await app.resolve({ user: alice, body: {} })).body).toEqual({ config: {}, template_id: null });
  });

  it('the default template applies; request keys win key by key', async () => {
    const id = await createAs(alice, { config: { line_count: 5, clean_hours: 12 } });
    await app.setDefault({ user: alice, params: params(id) });
    const r = await app.resolve({ user: alice, body: { config: { line_count: 2, window_hours: null } } });
    expect(r.body).toEqual({
      config: { line_count: 2, clean_hours: 12, window_hours: null },
      template_id: id,
    });
  });

  it('a named template wins over the default', async () => {
    const def = await createAs(alice, { config: { line_count: 5 } });
    const named = await createAs(alice, { config: { clean_hours: 1 } });
    await app.setDefault({ user: alice, params: params(def) });
    const r = await app.resolve({ user: alice, body: { config_id: named, config: null } });
    expect(r.body).toEqual({ config: { clean_hours: 1 }, template_id: named });
  });

  it("a named template may be someone's public one, not their private one", async () => {
    const pub = await createAs(bob, { is_public: true, config: { line_count: 4 } });
    const priv = await createAs(bob);
    expect((await app.resolve({ user: alice, body: { config_id: pub } })).body).toEqual({
      config: { line_count: 4 },
      template_id: pub,
    });
    expect(await app.resolve({ user: alice, body: { config_id: priv } })).toEqual({
      status: 404,
      body: { detail: MESSAGES.configNotFound },
    });
    expect((await app.resolve({ user: alice, body: { config_id: 999 } })).status).toBe(404);
  });

  it('422 for a malformed request', async () => {
    const r = await app.resolve({ user: alice, body: { config_id: 'x' } });
    expect(r.status).toBe(422);
    expect((r.body as { detail: { loc: unknown[] }[] }).detail[0].loc).toEqual(['body', 'config_id']);
  });
});

it('registers a handler for every config operation (the compiler checks it; this checks none is extra)', () => {
  expect(Object.keys(app.handlers).sort()).toEqual(Object.keys(RPC.config).sort());
});

describe('change notices (owners drop the templates they keep)', () => {
  /** Records each notice and whether the change was already stored when it was sent. */
  function recordingApp() {
    const templates = new MemoryTemplateRepository();
    const notices: Array<{ template_id: number | null; user_id: number | null; stored: unknown }> = [];
    const a = createConfigApp({
      templates,
      defaults,
      ids: new MemoryIdAllocator(),
      clock: { now: () => NOW },
      changes: {
        changed: async (n) => {
          const t = n.template_id === null ? null : await templates.findById(n.template_id);
          notices.push({ ...n, stored: n.user_id !== null ? await defaults.get(n.user_id) : t?.config });
        },
      },
    });
    return { a, notices };
  }

  it('update, delete and set-default announce the change once it is stored; create and reads do not', async () => {
    const { a, notices } = recordingApp();
    const id = (await a.create({ user: alice, body: body() })).body as { id: number };
    await a.get({ user: alice, params: params(id.id) });
    await a.resolve({ user: alice, body: {} });
    expect(notices).toEqual([]);
    await a.update({ user: alice, params: params(id.id), body: { config: { line_count: 2 } } });
    expect(notices).toEqual([{ template_id: id.id, user_id: null, stored: { line_count: 2 } }]);
    await a.setDefault({ user: alice, params: params(id.id) });
    expect(notices[1]).toEqual({ template_id: null, user_id: alice.id, stored: id.id });
    await a.remove({ user: alice, params: params(id.id) });
    // Sent after the deletion and after the default pointing at it was cleared.
    expect(notices[2]).toEqual({ template_id: id.id, user_id: null, stored: undefined });
    expect(await defaults.get(alice.id)).toBeNull();
  });

  it('refused changes announce nothing', async () => {
    const { a, notices } = recordingApp();
    const id = ((await a.create({ user: alice, body: body() })).body as { id: number }).id;
    expect((await a.update({ user: bob, params: params(id), body: { name: 'x' } })).status).toBe(404);
    expect(
      (await a.update({ user: alice, params: params(id), body: { config: { line_count: -1 } } })).status,
    ).toBe(422);
    expect((await a.remove({ user: bob, params: params(id) })).status).toBe(404);
    expect(notices).toEqual([]);
  });

  it('a notice that cannot be sent is logged; the change is still answered', async () => {
    const lines: Array<{ msg?: string }> = [];
    const a = createConfigApp({
      templates: new MemoryTemplateRepository(),
      defaults,
      ids: new MemoryIdAllocator(),
      logger: createLogger('config-test', 'info', { write: (s: string) => void lines.push(JSON.parse(s)) }),
      changes: { changed: async () => Promise.reject(new Error('NATS gone')) },
    });
    const id = ((await a.create({ user: alice, body: body() })).body as { id: number }).id;
    expect((await a.setDefault({ user: alice, params: params(id) })).status).toBe(200);
    expect(lines.some((l) => l.msg === 'could not announce a config change')).toBe(true);
  });
});
