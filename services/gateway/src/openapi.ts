import { z } from 'zod';
import {
  API_KEY_MESSAGES,
  API_KEYS_PER_USER_MAX,
  apiSchemas,
  CONFIG_KEYS,
  ErrorSchema,
  MESSAGES,
  type ServiceName,
} from '@fillsched/contracts';
import { scheduleUploadExample, scheduleUploadJsonSchema } from './forms';
import { ACCEPTED_MEDIA_TYPES, API_PREFIX, API_ROOT, ROUTES, toOpenApiPath, type RouteDef } from './routes';

type Json = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';
const componentRef = (id: string): Json => ({ $ref: COMPONENT_PREFIX + id });

/**
 * zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect) describing what clients send. Schemas named
 * in the contracts' `apiSchemas` registry become `$ref`s to components collected here, so each
 * main body is defined once in the document; their examples travel with them.
 */
export class SchemaComponents {
  readonly schemas: Record<string, Json> = {};

  toJsonSchema(schema: z.ZodType): Json {
    const out = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      metadata: apiSchemas,
    }) as Json;
    delete out.$schema;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$defs;
    for (const [id, def] of Object.entries(defs)) {
      const json = pointRefsAtComponents(def);
      const known = this.schemas[id];
      // Two zod schemas registered under one id would silently overwrite each other.
      if (known && JSON.stringify(known) !== JSON.stringify(json))
        throw new Error(`OpenAPI component ${id} is defined twice, differently`);
      this.schemas[id] = json;
    }
    return pointRefsAtComponents(out);
  }
}

const pointRefsAtComponents = (json: Json): Json =>
  JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', `"${COMPONENT_PREFIX}`)) as Json;

/** The first example registered for a schema (through optional/nullable wrappers), if any. */
export function exampleOf(schema: z.ZodType): unknown {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable)
    inner = inner.unwrap() as z.ZodType;
  return apiSchemas.get(inner)?.examples?.[0];
}

const isOptional = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

/** The `config` object of schedules, comparisons and templates, documented key by key from the engine. */
export function scheduleConfigSchema(): Json {
  const properties: Record<string, Json> = {};
  for (const k of CONFIG_KEYS) {
    const base =
      k.type === 'null-or-number'
        ? ['number', 'null']
        : k.default === null && k.type !== 'array' && k.type !== 'object'
          ? [k.type, 'null']
          : k.type === 'array' || k.type === 'object'
            ? [k.type, 'null']
            : k.type;
    const p: Json = { type: base, description: k.unit ? `${k.description} Unit: ${k.unit}.` : k.description };
    if (k.default !== null && k.default !== undefined) p.default = k.default;
    if (k.min !== undefined) p[k.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = k.min;
    if (k.max !== undefined) p.maximum = k.max;
    properties[k.key] = p;
  }
  return {
    type: 'object',
    description:
      'Scheduling parameters; all optional. Types and ranges are validated (422 / `errors`); unknown keys are accepted with a warning.',
    properties,
    additionalProperties: true,
  };
}

const RATE_HEADERS = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
};

/** An error response whose example is the exact `detail` the platform sends. */
const errorResponse = (description: string, detail: string, extra: Json = {}): Json => ({
  description,
  content: { 'application/json': { schema: componentRef('HTTPError'), example: { detail } } },
  ...extra,
});

/** The guide's 422 example. */
const VALIDATION_ERROR_EXAMPLE = {
  detail: [
    {
      loc: ['body', 'strategy'],
      msg: 'Invalid strategy: must be one of [smart-pack, lpt-pack, spt-pack, cfs-pack, hybrid-pack, milp-opt]',
      type: 'value_error',
    },
  ],
};

const NOT_FOUND: Partial<Record<ServiceName, string>> = {
  auth: API_KEY_MESSAGES.notFound,
  schedule: MESSAGES.scheduleNotFound,
  comparison: MESSAGES.comparisonNotFound,
  config: MESSAGES.configNotFound,
};
const CONFLICT: Partial<Record<ServiceName, [string, string]>> = {
  auth: ['The email is already registered', MESSAGES.emailTaken],
  schedule: ['The schedule has no result yet', 'Schedule is not completed (status: running)'],
};

/** A media type object: the schema, and the registered example when there is one. */
function mediaType(schema: Json, example: unknown): Json {
  return example === undefined ? { schema } : { schema, example };
}

function parameters(route: RouteDef, components: SchemaComponents): Json[] {
  const out: Json[] = [];
  for (const [name, schema] of Object.entries(route.params?.shape ?? {}))
    out.push({ name, in: 'path', required: true, schema: components.toJsonSchema(schema as z.ZodType) });
  for (const [name, schema] of Object.entries(route.query?.shape ?? {}))
    out.push({
      name,
      in: 'query',
      required: !isOptional(schema as z.ZodType),
      schema: components.toJsonSchema(schema as z.ZodType),
    });
  return out;
}

function requestBody(route: RouteDef, components: SchemaComponents): Json | undefined {
  if (route.bodyKind === 'none' || !route.body) return undefined;
  const json = mediaType(components.toJsonSchema(route.body), exampleOf(route.body));
  const required = !isOptional(route.body);
  if (route.bodyKind === 'login') {
    return {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['username', 'password'],
            properties: {
              username: { type: 'string', description: 'The email address' },
              password: { type: 'string', format: 'password' },
              grant_type: { type: 'string', description: 'ignored (OAuth2 password flow: "password")' },
              scope: { type: 'string', description: 'ignored' },
            },
          },
          example: exampleOf(route.body),
        },
        'application/json': json,
      },
    };
  }
  const content: Json = { 'application/json': json };
  if (route.bodyKind === 'schedule')
    content['multipart/form-data'] = {
      schema: {
        ...scheduleUploadJsonSchema,
        properties: {
          ...scheduleUploadJsonSchema.properties,
          strategy: { ...componentRef('Strategy'), default: 'smart-pack' },
        },
      },
      example: scheduleUploadExample,
      encoding: { file: { contentType: 'text/csv' } },
    };
  return { required, content };
}

function responses(route: RouteDef, components: SchemaComponents): Json {
  const success: Json = { description: route.successDescription, headers: RATE_HEADERS };
  const content: Json = {};
  if (route.response)
    content['application/json'] = mediaType(
      components.toJsonSchema(route.response),
      exampleOf(route.response),
    );
  Object.assign(content, route.extraSuccessContent ?? {});
  if (Object.keys(content).length) success.content = content;
  const out: Json = { [String(route.successStatus)]: success };
  const service = route.service;
  if (route.auth === 'required')
    out['401'] = errorResponse(
      'Missing, invalid, expired or revoked token ("Could not validate credentials")',
      MESSAGES.credentials,
      {
        headers: {
          'WWW-Authenticate': {
            description:
              'RFC 6750 challenge: `Bearer` without a token; `Bearer error="invalid_token", error_description="token expired"` ' +
              'for an expired one (refresh it), `error_description="invalid token"` for any other bad token',
            schema: { type: 'string' },
          },
        },
      },
    );
  if (route.operationId === 'login')
    out['401'] = errorResponse('Unknown email or wrong password', MESSAGES.badLogin);
  if (route.auth === 'required') Object.assign(out, apiKeyResponses(route));
  for (const status of route.errors ?? []) {
    if (status === 404 && NOT_FOUND[service])
      out['404'] = errorResponse('Not found, or owned by another user', NOT_FOUND[service]);
    else if (status === 409 && route.operationId === 'createApiKey')
      out['409'] = errorResponse(
        'The user already holds the most live API keys allowed',
        API_KEY_MESSAGES.tooMany(API_KEYS_PER_USER_MAX),
      );
    else if (status === 409 && CONFLICT[service])
      out['409'] = errorResponse(...(CONFLICT[service] as [string, string]));
    else if (status === 413)
      out['413'] = errorResponse('Request body larger than 5 MB', MESSAGES.bodyTooLarge);
  }
  if (route.params && !out['404'])
    out['404'] = errorResponse('Not found, or owned by another user', NOT_FOUND[service] ?? 'Not Found');
  if (route.bodyKind !== 'none' && !out['413'])
    out['413'] = errorResponse('Request body larger than 5 MB', MESSAGES.bodyTooLarge);
  if (route.bodyKind !== 'none')
    out['415'] = errorResponse(
      `Unsupported Content-Type (send ${ACCEPTED_MEDIA_TYPES[route.bodyKind].join(' or ')})`,
      `Unsupported Content-Type 'text/plain': send ${ACCEPTED_MEDIA_TYPES[route.bodyKind].join(' or ')}`,
    );
  if (route.params || route.query || route.body)
    out['422'] = {
      description: 'Validation error (FastAPI format)',
      content: {
        'application/json': {
          schema: componentRef('HTTPValidationError'),
          example: VALIDATION_ERROR_EXAMPLE,
        },
      },
    };
  out['429'] = errorResponse(
    'Rate limit exceeded ("Rate limit exceeded. Please try again in N seconds.")',
    MESSAGES.rateLimited(30),
    { headers: { ...RATE_HEADERS, 'Retry-After': { schema: { type: 'integer' } } } },
  );
  if (route.operationId === 'login')
    out['429'] = errorResponse(
      'Rate limit exceeded, or too many failed logins for this account from any address: after a few ' +
        'failures each attempt waits 1, 2, 4… s (at most 30), after 10 within 15 min the account is ' +
        'locked for 15 min (defaults; docs/security.md). `Retry-After` says when to try again.',
      MESSAGES.loginThrottled(900),
      { headers: { ...RATE_HEADERS, 'Retry-After': { schema: { type: 'integer' } } } },
    );
  out['503'] = errorResponse(
    `The ${service} service is unavailable ("${MESSAGES.serviceUnavailable(service)}")`,
    MESSAGES.serviceUnavailable(service),
  );
  out['504'] = errorResponse(
    `The ${service} service did not answer in time ("${MESSAGES.serviceTimeout(service)}")`,
    MESSAGES.serviceTimeout(service),
  );
  return out;
}

// GET /health and GET / are answered by the gateway itself (app.ts), not by a route of the table.
const HEALTH_SCHEMA: Json = {
  type: 'object',
  required: ['status', 'checks', 'timestamp'],
  properties: {
    status: { type: 'string', enum: ['healthy', 'unhealthy'] },
    checks: { type: 'object', additionalProperties: { type: 'boolean' } },
    timestamp: { type: 'string', description: 'ISO 8601 timestamp' },
  },
};
const HEALTH_EXAMPLE = {
  status: 'healthy',
  checks: {
    auth_keys: true,
    revocations: true,
    nats: true,
    not_draining: true,
    auth_store: true,
    schedule_store: true,
    comparison_store: true,
    config_store: true,
  },
  timestamp: '2024-10-13T10:00:00.000Z',
};
const ROOT_SCHEMA: Json = { type: 'object', additionalProperties: { type: 'string' } };

const SECURITY = [{ OAuth2PasswordBearer: [] }, { HTTPBearer: [] }];
/** Read routes that declare an API-key scope also accept a key, in either header. */
const SECURITY_WITH_API_KEY = [...SECURITY, { APIKeyHeader: [] }, { APIKeyBearer: [] }];

/** 400 (two credentials) and 403 (a key on a route it may not use) of every authenticated route. */
function apiKeyResponses(route: RouteDef): Json {
  const forbidden = route.apiKeyScope
    ? errorResponse(
        `An API key without the scope \`${route.apiKeyScope}\``,
        API_KEY_MESSAGES.missingScope(route.apiKeyScope),
      )
    : errorResponse(
        'An API key: this endpoint needs a user access token (API keys are read-only)',
        API_KEY_MESSAGES.routeNotAllowed,
      );
  return {
    '400': errorResponse('Both `Authorization` and `X-API-Key` were sent', API_KEY_MESSAGES.twoCredentials),
    '403': forbidden,
  };
}

const DESCRIPTION = `Production scheduling for filling lines.

Authenticate with \`POST /api/v1/auth/login\` (OAuth2 password form) and send \`Authorization: Bearer <access_token>\`.

**API keys** (read-only, for other teams' services): a user creates one with \`POST /api/v1/auth/api-keys\`
\`{"name", "scopes": ["schedules:read", "comparisons:read"], "expires_at"?}\` (shown once), lists and revokes them under the same path,
and sends it as \`Authorization: Bearer fsk_…\` or \`X-API-Key: fsk_…\`. It works on the GET routes whose \`x-api-key-scope\` it holds;
on any other route it is refused with 403. An unknown, revoked or expired key is a 401.

**Limits**: 100 requests per minute per user (per client IP when unauthenticated), reported in \`X-RateLimit-Limit\`,
\`X-RateLimit-Remaining\`, \`X-RateLimit-Reset\` (epoch seconds); over the limit → 429 with \`Retry-After\`.
Request bodies up to 5 MB (413 above). At most 10 running schedules per user (enforced by the schedule service).

**WebSocket** (not expressible in OpenAPI): \`ws://<host>/api/v1/ws/schedule/{id}\` and \`/api/v1/ws/compare/{id}\`.
Token as \`?token=\`, as \`Sec-WebSocket-Protocol: bearer, <token>\`, or in a first message \`{"type":"auth","token":"..."}\` within 5 s.
Messages: \`{"type":"progress","step","progress","message","timestamp"}\`, \`{"type":"complete","progress":100,"message","result","timestamp"}\`,
\`{"type":"error","code","message","timestamp"}\`. Close codes: 1008 bad token, 4404 unknown id, 1000 after the final message, 1001 server shutdown.

**One WebSocket for everything**: \`ws://<host>/api/v1/ws\` multiplexes channels (\`schedule:{id}\`, \`compare:{id}\`, \`user\`)
with \`subscribe\` / \`unsubscribe\` / \`ping\`, offsets and epochs to resume without loss after a reconnect, heartbeats and
protection limits. Protocol, close codes and limits: \`docs/websocket.md\` in the source repository;
a client with reconnect and resume: \`examples/ws-client.mjs\`.`;

export function buildOpenApi(routes: RouteDef[] = ROUTES, version = '0.1.0'): Json {
  const components = new SchemaComponents();
  components.toJsonSchema(ErrorSchema);
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = API_PREFIX + toOpenApiPath(route.path);
    const op: Json = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      responses: responses(route, components),
    };
    if (route.description) op.description = route.description;
    const params = parameters(route, components);
    if (params.length) op.parameters = params;
    const body = requestBody(route, components);
    if (body) op.requestBody = body;
    // Public routes say so explicitly (an empty requirement), so UIs do not send a token.
    op.security = route.auth !== 'required' ? [] : route.apiKeyScope ? SECURITY_WITH_API_KEY : SECURITY;
    if (route.apiKeyScope) op['x-api-key-scope'] = route.apiKeyScope;
    (paths[path] ??= {})[route.method] = op;
  }
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness of the gateway and its dependencies',
      tags: ['meta'],
      security: [],
      responses: {
        '200': {
          description: 'Healthy',
          content: { 'application/json': mediaType(HEALTH_SCHEMA, HEALTH_EXAMPLE) },
        },
        '503': {
          description:
            "Not ready: a dependency failed its check (`<service>_store`: that service's database is not answering; API calls to it get 503 with Retry-After)",
          content: {
            'application/json': mediaType(HEALTH_SCHEMA, {
              ...HEALTH_EXAMPLE,
              status: 'unhealthy',
              checks: { ...HEALTH_EXAMPLE.checks, schedule_store: false },
            }),
          },
        },
      },
    },
  };
  paths['/'] = {
    get: {
      operationId: 'root',
      summary: 'API entry point',
      tags: ['meta'],
      security: [],
      responses: {
        '200': {
          description: 'Links',
          content: { 'application/json': mediaType(ROOT_SCHEMA, API_ROOT) },
        },
      },
    },
  };
  return {
    // No `jsonSchemaDialect`: 3.1's default dialect is what zod emits, and Swagger UI shows a red
    // warning for the field.
    openapi: '3.1.0',
    info: {
      title: 'Filling Scheduler API',
      version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'auth', description: 'Registration, login, token refresh and logout' },
      { name: 'schedules', description: 'Schedules: create, follow, export' },
      { name: 'comparisons', description: 'Strategy comparisons' },
      { name: 'configs', description: 'Configuration templates' },
      { name: 'meta', description: 'Service information' },
    ],
    paths,
    components: {
      schemas: {
        ...components.schemas,
        // The engine documents every config key; zod only knows "an object".
        ScheduleConfig: { ...scheduleConfigSchema(), examples: components.schemas.ScheduleConfig?.examples },
        HTTPValidationError: {
          type: 'object',
          properties: {
            detail: {
              type: 'array',
              items: {
                type: 'object',
                required: ['loc', 'msg', 'type'],
                properties: {
                  loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
                  msg: { type: 'string' },
                  type: { type: 'string' },
                },
              },
            },
          },
          examples: [VALIDATION_ERROR_EXAMPLE],
        },
      },
      headers: {
        'X-RateLimit-Limit': { description: 'Requests allowed per minute', schema: { type: 'integer' } },
        'X-RateLimit-Remaining': {
          description: 'Requests left in the current window',
          schema: { type: 'integer' },
        },
        'X-RateLimit-Reset': {
          description: 'End of the current window, epoch seconds',
          schema: { type: 'integer' },
        },
      },
      securitySchemes: {
        OAuth2PasswordBearer: {
          type: 'oauth2',
          flows: { password: { tokenUrl: '/api/v1/auth/login', scopes: {} } },
        },
        HTTPBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        APIKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description:
            'An API key (`fsk_<id>_<secret>`, POST /api/v1/auth/api-keys) on the read routes whose `x-api-key-scope` it holds.',
        },
        APIKeyBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'fsk_<id>_<secret>',
          description: 'The same API key as `Authorization: Bearer fsk_…`.',
        },
      },
    },
  };
}
