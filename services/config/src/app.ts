import {
  ConfigListQuerySchema,
  ConfigTemplateBodySchema,
  ConfigTemplateUpdateSchema,
  IdParamSchema,
  CONFIG_KEYS,
  MESSAGES,
  RPC,
  ResolveConfigRequestSchema,
  ValidateConfigBodySchema,
  applyConfigOverrides,
  unknownFieldWarnings,
  zodToDetail,
  type ConfigChangedNotice,
  type ErrorDetailItem,
} from '@fillsched/contracts';
import { validateConfig } from '@fillsched/engine';
import {
  detail,
  reply,
  unprocessable,
  type IdAllocator,
  type Logger,
  type RpcHandlers,
  type RpcReply,
  type RpcRequest,
  type RpcUser,
} from '@fillsched/service-kit';
import type { z } from 'zod';
import type {
  Clock,
  ConfigChangeNotifier,
  ConfigTemplate,
  TemplateRepository,
  UserDefaultsRepository,
} from './ports';

export const TEMPLATES_COLLECTION = 'config_templates';
export const NO_DEFAULT = 'No default configuration set';
export const DELETED_MESSAGE = 'Configuration template deleted successfully';

export interface ConfigAppDeps {
  templates: TemplateRepository;
  defaults: UserDefaultsRepository;
  ids: IdAllocator;
  clock?: Clock;
  logger?: Logger;
  /** Absent: nobody keeps resolved templates (tests, a platform without owners). */
  changes?: ConfigChangeNotifier;
}

export type Handler = (req: RpcRequest) => Promise<RpcReply>;
export type ConfigOp = keyof typeof RPC.config;

const NOT_FOUND = () => detail(404, MESSAGES.configNotFound);
const FORBIDDEN = () => detail(403, MESSAGES.forbidden);

/** Engine issues (loc relative to the body, e.g. ['config', 'clean_hours']) as 422 items. */
function configIssues(config: unknown): ErrorDetailItem[] {
  return validateConfig(config).errors.map((e) => ({ loc: ['body', ...e.loc], msg: e.msg, type: e.type }));
}

/** `['config', 'lines', 0, 'id']` → `lines[0].id`, the key path as a user would write it. */
function keyPath(loc: (string | number)[]): string {
  const rest = loc[0] === 'config' ? loc.slice(1) : loc;
  return rest.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p),
    '',
  );
}

/** Validation messages as strings; prefixed with the key path unless the message already starts with it. */
export function issueText(issue: { loc: (string | number)[]; msg: string }): string {
  const path = keyPath(issue.loc);
  if (!path || issue.msg.startsWith(path)) return issue.msg;
  return `${path}: ${issue.msg}`;
}

export function systemDefaultConfig(): Record<string, unknown> {
  return Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.default]));
}

const canRead = (t: ConfigTemplate, user: RpcUser) =>
  user.is_superuser || t.user_id === user.id || t.is_public;
const canWrite = (t: ConfigTemplate, user: RpcUser) => user.is_superuser || t.user_id === user.id;

export function toOut(t: ConfigTemplate, defaultId: number | null) {
  return {
    id: t.id,
    user_id: t.user_id,
    name: t.name,
    description: t.description,
    config: t.config,
    is_public: t.is_public,
    is_default: defaultId === t.id,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

/**
 * Create, update and GET add `warnings`: the unknown top-level fields of the request being answered
 * (not stored), then the stored config's unknown keys, recomputed, so every read says what runs
 * using the template will ignore. Lists keep the guide's shape.
 */
export function toOutWithWarnings(t: ConfigTemplate, defaultId: number | null, ignoredFields: string[] = []) {
  return { ...toOut(t, defaultId), warnings: [...ignoredFields, ...validateConfig(t.config).warnings] };
}

export function createConfigApp(deps: ConfigAppDeps) {
  const { templates, defaults, ids } = deps;
  const clock = deps.clock ?? { now: () => new Date() };

  /**
   * After a change is stored and before it is answered: the owners drop the templates they keep.
   * A notice that cannot be sent is logged; the answer goes out over the same connection, so a
   * client only hears of the change once the notice could have been sent too.
   */
  async function announceChange(notice: ConfigChangedNotice): Promise<void> {
    await deps.changes?.changed(notice).catch((err: unknown) => {
      deps.logger?.error({ err, ...notice }, 'could not announce a config change');
    });
  }

  /** Wraps a handler needing an authenticated user (the gateway always forwards one). */
  const authed =
    (fn: (user: RpcUser, req: RpcRequest) => Promise<RpcReply>): Handler =>
    async (req) => {
      if (!req.user) return detail(401, MESSAGES.credentials);
      return fn(req.user, req);
    };

  function parse<S extends z.ZodType>(
    schema: S,
    value: unknown,
    where: 'body' | 'query' | 'path',
  ): { ok: true; value: z.infer<S> } | { ok: false; reply: RpcReply } {
    const r = schema.safeParse(value ?? {});
    return r.success
      ? { ok: true, value: r.data }
      : { ok: false, reply: unprocessable(zodToDetail(r.error, where)) };
  }

  /** Finds a template the user may read; foreign private templates look missing (404). */
  async function readable(user: RpcUser, params: unknown) {
    const p = parse(IdParamSchema, params, 'path');
    if (!p.ok) return p;
    const t = await templates.findById(p.value.id);
    if (!t || !canRead(t, user)) return { ok: false as const, reply: NOT_FOUND() };
    return { ok: true as const, value: t };
  }

  /** Only the owner (or a superuser) writes; a readable public template of someone else → 403. */
  async function writable(user: RpcUser, params: unknown) {
    const r = await readable(user, params);
    if (!r.ok) return r;
    if (!canWrite(r.value, user)) return { ok: false as const, reply: FORBIDDEN() };
    return r;
  }

  /** The user's default template if it still exists and is still readable by them. */
  async function defaultTemplate(user: RpcUser): Promise<ConfigTemplate | null> {
    const id = await defaults.get(user.id);
    if (id === null) return null;
    const t = await templates.findById(id);
    return t && canRead(t, user) ? t : null;
  }

  const create = authed(async (user, req) => {
    const body = parse(ConfigTemplateBodySchema, req.body, 'body');
    if (!body.ok) return body.reply;
    const issues = configIssues(body.value.config);
    if (issues.length) return unprocessable(issues);
    const now = clock.now();
    const template: ConfigTemplate = {
      id: await ids.next(TEMPLATES_COLLECTION),
      user_id: user.id,
      name: body.value.name,
      description: body.value.description ?? null,
      config: body.value.config,
      is_public: body.value.is_public,
      created_at: now,
      updated_at: now,
    };
    await templates.insert(template);
    return reply(
      201,
      toOutWithWarnings(template, null, unknownFieldWarnings(ConfigTemplateBodySchema, req.body)),
    );
  });

  const list = authed(async (user, req) => {
    const q = parse(ConfigListQuerySchema, req.query, 'query');
    if (!q.ok) return q.reply;
    const { page, page_size, include_public } = q.value;
    const [{ items, total }, defaultId] = await Promise.all([
      templates.list(
        { user_id: user.id, include_public, all: user.is_superuser },
        (page - 1) * page_size,
        page_size,
      ),
      defaults.get(user.id),
    ]);
    return reply(200, { configs: items.map((t) => toOut(t, defaultId)), total, page, page_size });
  });

  const get = authed(async (user, req) => {
    const r = await readable(user, req.params);
    if (!r.ok) return r.reply;
    return reply(200, toOutWithWarnings(r.value, await defaults.get(user.id)));
  });

  const update = authed(async (user, req) => {
    const r = await writable(user, req.params);
    if (!r.ok) return r.reply;
    const body = parse(ConfigTemplateUpdateSchema, req.body, 'body');
    if (!body.ok) return body.reply;
    if (body.value.config !== undefined) {
      const issues = configIssues(body.value.config);
      if (issues.length) return unprocessable(issues);
    }
    const { name, description, config, is_public } = body.value;
    const updated = await templates.update(r.value.id, {
      name,
      // description: null clears it; absent leaves it unchanged.
      description: description === undefined ? undefined : description,
      config,
      is_public,
      updated_at: clock.now(),
    });
    if (!updated) return NOT_FOUND();
    await announceChange({ template_id: updated.id, user_id: null });
    const ignored = unknownFieldWarnings(ConfigTemplateUpdateSchema, req.body);
    return reply(200, toOutWithWarnings(updated, await defaults.get(user.id), ignored));
  });

  const remove = authed(async (user, req) => {
    const r = await writable(user, req.params);
    if (!r.ok) return r.reply;
    if (!(await templates.delete(r.value.id))) return NOT_FOUND();
    // Nobody keeps a default pointing at a deleted template.
    await defaults.clearTemplate(r.value.id);
    await announceChange({ template_id: r.value.id, user_id: null });
    return reply(200, { message: DELETED_MESSAGE });
  });

  const setDefault = authed(async (user, req) => {
    const r = await readable(user, req.params);
    if (!r.ok) return r.reply;
    await defaults.set(user.id, r.value.id);
    await announceChange({ template_id: null, user_id: user.id });
    return reply(200, toOut(r.value, r.value.id));
  });

  const getDefault = authed(async (user) => {
    const t = await defaultTemplate(user);
    if (!t) return detail(404, NO_DEFAULT);
    return reply(200, toOut(t, t.id));
  });

  const validate = authed(async (_user, req) => {
    const body = parse(ValidateConfigBodySchema, req.body, 'body');
    if (!body.ok) return body.reply;
    const report = validateConfig(body.value.config);
    return reply(200, {
      valid: report.valid,
      errors: report.errors.map(issueText),
      warnings: report.warnings,
    });
  });

  const systemDefault = async (): Promise<RpcReply> =>
    reply(200, { config: systemDefaultConfig(), keys: CONFIG_KEYS });

  /**
   * Internal: the effective config of a run. Named template, else the user's default, else {}
   * (the engine fills the system defaults); request keys win key by key.
   */
  const resolve = authed(async (user, req) => {
    const body = parse(ResolveConfigRequestSchema, req.body, 'body');
    if (!body.ok) return body.reply;
    let template: ConfigTemplate | null;
    if (body.value.config_id !== undefined && body.value.config_id !== null) {
      template = await templates.findById(body.value.config_id);
      if (!template || !canRead(template, user)) return NOT_FOUND();
    } else {
      template = await defaultTemplate(user);
    }
    const config = applyConfigOverrides(template?.config, body.value.config);
    return reply(200, { config, template_id: template?.id ?? null });
  });

  // Keyed by operation: an operation of RPC.config without a handler does not compile.
  const handlers: RpcHandlers<ConfigOp> = {
    create,
    list,
    get,
    update,
    delete: remove,
    setDefault,
    getDefault,
    validate,
    systemDefault,
    resolve,
  };

  return {
    handlers,
    create,
    list,
    get,
    update,
    remove,
    setDefault,
    getDefault,
    validate,
    systemDefault,
    resolve,
  };
}
export type ConfigApp = ReturnType<typeof createConfigApp>;
