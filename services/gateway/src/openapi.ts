import { z } from 'zod';
import { ErrorSchema } from '@fillsched/contracts';
import { CONFIG_KEYS } from '@fillsched/engine';
import { scheduleUploadJsonSchema } from './forms';
import { ACCEPTED_MEDIA_TYPES, API_PREFIX, ROUTES, toOpenApiPath, type RouteDef } from './routes';

type Json = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect) describing what clients send. */
export function toJsonSchema(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  delete out.$schema;
  return out;
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

const CONFIG_REF = { $ref: '#/components/schemas/ScheduleConfig' };

/** Points top-level `config` properties at the documented ScheduleConfig component. */
function withConfigRef(schema: Json): Json {
  const props = schema.properties as Record<string, Json> | undefined;
  if (!props?.config) return schema;
  const nullable = JSON.stringify(props.config).includes('"null"');
  return {
    ...schema,
    properties: { ...props, config: nullable ? { anyOf: [CONFIG_REF, { type: 'null' }] } : CONFIG_REF },
  };
}

const RATE_HEADERS = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
};

const errorResponse = (description: string, extra: Json = {}): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPError' } } },
  ...extra,
});

function parameters(route: RouteDef): Json[] {
  const out: Json[] = [];
  for (const [name, schema] of Object.entries(route.params?.shape ?? {}))
    out.push({ name, in: 'path', required: true, schema: toJsonSchema(schema as z.ZodType) });
  for (const [name, schema] of Object.entries(route.query?.shape ?? {}))
    out.push({
      name,
      in: 'query',
      required: !isOptional(schema as z.ZodType),
      schema: toJsonSchema(schema as z.ZodType),
    });
  return out;
}

function requestBody(route: RouteDef): Json | undefined {
  if (route.bodyKind === 'none' || !route.body) return undefined;
  const json = withConfigRef(toJsonSchema(route.body));
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
        },
        'application/json': { schema: json },
      },
    };
  }
  const content: Json = { 'application/json': { schema: json } };
  if (route.bodyKind === 'schedule')
    content['multipart/form-data'] = {
      schema: withConfigRef({ ...scheduleUploadJsonSchema }),
      encoding: { file: { contentType: 'text/csv' } },
    };
  return { required, content };
}

function responses(route: RouteDef): Json {
  const success: Json = { description: route.successDescription, headers: RATE_HEADERS };
  const content: Json = {};
  if (route.response) content['application/json'] = { schema: withConfigRef(toJsonSchema(route.response)) };
  else if (route.extraSuccessContent) content['application/json'] = { schema: { type: 'object' } };
  Object.assign(content, route.extraSuccessContent ?? {});
  if (Object.keys(content).length) success.content = content;
  const out: Json = { [String(route.successStatus)]: success };
  if (route.auth === 'required')
    out['401'] = errorResponse(
      'Missing, invalid, expired or revoked token ("Could not validate credentials")',
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
  for (const status of route.errors ?? []) {
    if (status === 404) out['404'] = errorResponse('Not found, or owned by another user');
    else if (status === 409) out['409'] = errorResponse('Conflict');
    else if (status === 413) out['413'] = errorResponse('Request body larger than 5 MB');
  }
  if (route.params && !out['404']) out['404'] = errorResponse('Not found, or owned by another user');
  if (route.bodyKind !== 'none' && !out['413']) out['413'] = errorResponse('Request body larger than 5 MB');
  if (route.bodyKind !== 'none')
    out['415'] = errorResponse(
      `Unsupported Content-Type (send ${ACCEPTED_MEDIA_TYPES[route.bodyKind].join(' or ')})`,
    );
  if (route.params || route.query || route.body)
    out['422'] = {
      description: 'Validation error (FastAPI format)',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } },
    };
  out['429'] = errorResponse('Rate limit exceeded ("Rate limit exceeded. Please try again in N seconds.")', {
    headers: { ...RATE_HEADERS, 'Retry-After': { schema: { type: 'integer' } } },
  });
  out['503'] = errorResponse('Downstream service unavailable ("Service unavailable: <service>")');
  out['504'] = errorResponse('Downstream service timed out ("Service timeout: <service>")');
  return out;
}

const SECURITY = [{ OAuth2PasswordBearer: [] }, { HTTPBearer: [] }];

const DESCRIPTION = `Production scheduling for filling lines.

Authenticate with \`POST /api/v1/auth/login\` (OAuth2 password form) and send \`Authorization: Bearer <access_token>\`.

**Limits**: 100 requests per minute per user (per client IP when unauthenticated), reported in \`X-RateLimit-Limit\`,
\`X-RateLimit-Remaining\`, \`X-RateLimit-Reset\` (epoch seconds); over the limit → 429 with \`Retry-After\`.
Request bodies up to 5 MB (413 above). At most 10 running schedules per user (enforced by the schedule service).

**WebSocket** (not expressible in OpenAPI): \`ws://<host>/api/v1/ws/schedule/{id}\` and \`/api/v1/ws/compare/{id}\`.
Token as \`?token=\`, as \`Sec-WebSocket-Protocol: bearer, <token>\`, or in a first message \`{"type":"auth","token":"..."}\` within 5 s.
Messages: \`{"type":"progress","step","progress","message","timestamp"}\`, \`{"type":"complete","progress":100,"message","result","timestamp"}\`,
\`{"type":"error","code","message","timestamp"}\`. Close codes: 1008 bad token, 4404 unknown id, 1000 after the final message, 1001 server shutdown.`;

export function buildOpenApi(routes: RouteDef[] = ROUTES, version = '0.1.0'): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = API_PREFIX + toOpenApiPath(route.path);
    const op: Json = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      responses: responses(route),
    };
    if (route.description) op.description = route.description;
    const params = parameters(route);
    if (params.length) op.parameters = params;
    const body = requestBody(route);
    if (body) op.requestBody = body;
    // Public routes say so explicitly (an empty requirement), so UIs do not send a token.
    op.security = route.auth === 'required' ? SECURITY : [];
    (paths[path] ??= {})[route.method] = op;
  }
  paths['/health'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness of the gateway and its dependencies',
      tags: ['meta'],
      security: [],
      responses: { '200': { description: 'Healthy' }, '503': { description: 'Not ready' } },
    },
  };
  paths['/'] = {
    get: {
      operationId: 'root',
      summary: 'API entry point',
      tags: ['meta'],
      security: [],
      responses: { '200': { description: 'Links' } },
    },
  };
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
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
        ScheduleConfig: scheduleConfigSchema(),
        HTTPError: toJsonSchema(ErrorSchema),
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
      },
    },
  };
}
