import type { z } from 'zod';
import {
  RPC,
  ACTIVITIES_PAGE_MAX,
  ActivitiesQuerySchema,
  ActivityPageSchema,
  ApiKeyCreatedSchema,
  ApiKeyIdParamSchema,
  ApiKeyListSchema,
  CreateApiKeyBodySchema,
  ComparisonListSchema,
  ComparisonOutSchema,
  ComparisonSummarySchema,
  ConfigListQuerySchema,
  ConfigListSchema,
  ConfigTemplateBodySchema,
  ConfigTemplateOutSchema,
  ConfigTemplateUpdateSchema,
  CreateComparisonBodySchema,
  CreateScheduleBodySchema,
  ExportQuerySchema,
  IdParamSchema,
  JwksSchema,
  LoginBodySchema,
  LogoutBodySchema,
  MessageSchema,
  PageQuerySchema,
  RefreshBodySchema,
  RegisterBodySchema,
  ReplanBodySchema,
  ReplanSummarySchema,
  ScheduleGetQuerySchema,
  ScheduleListQuerySchema,
  ScheduleListSchema,
  ScheduleOutSchema,
  ScheduleSummarySchema,
  StrategiesResponseSchema,
  SystemDefaultConfigSchema,
  TokenResponseSchema,
  UserOutSchema,
  ValidateConfigBodySchema,
  ValidateLotsBodySchema,
  ValidationResponseSchema,
  renderGanttSvg,
  type ApiKeyScope,
  type ServiceName,
} from '@fillsched/contracts';

/**
 * How a route reads its body:
 * - json: application/json only;
 * - login: OAuth2 password form (x-www-form-urlencoded) or JSON;
 * - schedule: JSON, or multipart/form-data with a CSV `file` (see ScheduleUploadFormSchema).
 */
export type BodyKind = 'none' | 'json' | 'login' | 'schedule';

/** Media types each body kind reads; anything else with a body is a 415 naming them. */
export const ACCEPTED_MEDIA_TYPES: Record<Exclude<BodyKind, 'none'>, readonly string[]> = {
  json: ['application/json'],
  login: ['application/x-www-form-urlencoded', 'application/json'],
  schedule: ['application/json', 'multipart/form-data'],
};
export type Auth = 'required' | 'none';
export type Tag = 'auth' | 'schedules' | 'comparisons' | 'configs';

export interface RouteDef {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path relative to /api/v1 (`:id` params); also rendered into the OpenAPI path. */
  path: string;
  summary: string;
  description?: string;
  tag: Tag;
  auth: Auth;
  /**
   * The read scope an API key needs on this route. Routes without one refuse API keys with 403
   * (writes, key management, configs, /auth/me): keys are read-only by construction.
   */
  apiKeyScope?: ApiKeyScope;
  service: ServiceName;
  subject: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  bodyKind: BodyKind;
  body?: z.ZodType;
  /** Builds the forwarded body from the verified claims instead of the request (logout). */
  bodyFromClaims?: boolean;
  /** A 2xx reply revoked the caller's session: reject its token on this replica at once (logout). */
  revokesSession?: boolean;
  /**
   * The service reports unknown top-level body fields as `warnings`: forward them (validation
   * would strip them) so that a typo is answered, not silently ignored.
   */
  forwardsUnknownFields?: boolean;
  successStatus: number;
  successDescription: string;
  response?: z.ZodType;
  /** Content types of a success response other than JSON (export), with an example each. */
  extraSuccessContent?: Record<string, { schema: Record<string, unknown>; example: unknown }>;
  /** Error statuses the route can answer besides the common ones. */
  errors?: number[];
}

const Id = IdParamSchema;
/** The guide's activity drawn by the shared renderer: the export's svg example. */
const GANTT_SVG_EXAMPLE = renderGanttSvg(
  [
    {
      kind: 'FILL',
      line: 1,
      lot_id: 'LOT001',
      type: 'ProductA',
      start: '2024-10-14T08:00:00',
      end: '2024-10-14T10:30:00',
    },
  ],
  { title: 'Gantt chart of Production Schedule - Week 42', standalone: true, focusable: false },
);
const page = PageQuerySchema;

/**
 * The single source of truth for the router and the OpenAPI document, so they cannot drift.
 * Order matters: fixed paths come before `/:id` paths that would capture them.
 */
export const ROUTES: RouteDef[] = [
  // --- auth
  {
    operationId: 'register',
    method: 'post',
    path: '/auth/register',
    summary: 'Register a user',
    tag: 'auth',
    auth: 'none',
    service: 'auth',
    subject: RPC.auth.register,
    bodyKind: 'json',
    body: RegisterBodySchema,
    successStatus: 201,
    successDescription: 'The created user',
    response: UserOutSchema,
    errors: [409],
  },
  {
    operationId: 'login',
    method: 'post',
    path: '/auth/login',
    summary: 'Log in (OAuth2 password form or JSON)',
    description:
      'Form fields `username` (the email) and `password` as in the OAuth2 password flow (`grant_type`, `scope` are ignored), ' +
      'or a JSON body `{"username"|"email", "password"}`. Returns an access token and a rotating refresh token.',
    tag: 'auth',
    auth: 'none',
    service: 'auth',
    subject: RPC.auth.login,
    bodyKind: 'login',
    body: LoginBodySchema,
    successStatus: 200,
    successDescription: 'Token pair',
    response: TokenResponseSchema,
  },
  {
    operationId: 'me',
    method: 'get',
    path: '/auth/me',
    summary: 'The current user',
    tag: 'auth',
    auth: 'required',
    service: 'auth',
    subject: RPC.auth.me,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The authenticated user',
    response: UserOutSchema,
  },
  {
    operationId: 'refresh',
    method: 'post',
    path: '/auth/refresh',
    summary: 'Exchange a refresh token for a new token pair (rotation)',
    description: 'Reusing a rotated refresh token is a 401 and revokes its whole session family.',
    tag: 'auth',
    auth: 'none',
    service: 'auth',
    subject: RPC.auth.refresh,
    bodyKind: 'json',
    body: RefreshBodySchema,
    successStatus: 200,
    successDescription: 'New token pair',
    response: TokenResponseSchema,
  },
  {
    operationId: 'logout',
    method: 'post',
    path: '/auth/logout',
    summary: 'Log out: revokes the session at once on every gateway',
    description: 'Optional JSON body `{"refresh_token": "..."}`; the session of the access token is revoked.',
    tag: 'auth',
    auth: 'required',
    service: 'auth',
    subject: RPC.auth.logout,
    bodyKind: 'json',
    body: LogoutBodySchema.optional(),
    bodyFromClaims: true,
    revokesSession: true,
    successStatus: 200,
    successDescription: 'Logged out',
    response: MessageSchema,
  },
  {
    operationId: 'jwks',
    method: 'get',
    path: '/auth/.well-known/jwks.json',
    summary: 'Public keys of the access tokens (JSON Web Key Set)',
    description:
      'The RS256 keys access tokens are signed with, by `kid`: the active key and, after a rotation, the ' +
      'previous ones until their tokens have expired. Anyone may verify our tokens with them.',
    tag: 'auth',
    auth: 'none',
    service: 'auth',
    subject: RPC.auth.jwks,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The key set',
    response: JwksSchema,
  },
  {
    operationId: 'createApiKey',
    method: 'post',
    path: '/auth/api-keys',
    summary: 'Create an API key with read scopes (the key is shown once)',
    description:
      'For services of other teams that read plans over REST. `scopes`: `schedules:read` (GET of schedules, their ' +
      'export and activities), `comparisons:read` (GET of comparisons). The answer carries the key `fsk_<id>_<secret>` ' +
      'once; only a SHA-256 of its secret is stored. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`. ' +
      'Needs a user access token: an API key cannot manage keys (403). At most 10 live keys per user (409).',
    tag: 'auth',
    auth: 'required',
    service: 'auth',
    subject: RPC.auth.apiKeyCreate,
    bodyKind: 'json',
    body: CreateApiKeyBodySchema,
    successStatus: 201,
    successDescription: 'The key, with its secret (never shown again)',
    response: ApiKeyCreatedSchema,
    errors: [409],
  },
  {
    operationId: 'listApiKeys',
    method: 'get',
    path: '/auth/api-keys',
    summary: "The caller's API keys (never their secrets)",
    tag: 'auth',
    auth: 'required',
    service: 'auth',
    subject: RPC.auth.apiKeyList,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'Every key of the user, revoked ones included, oldest first',
    response: ApiKeyListSchema,
  },
  {
    operationId: 'revokeApiKey',
    method: 'delete',
    path: '/auth/api-keys/:id',
    summary: 'Revoke an API key (effective on the next request)',
    description: "404 for an unknown id or another user's key.",
    tag: 'auth',
    auth: 'required',
    service: 'auth',
    subject: RPC.auth.apiKeyRevoke,
    params: ApiKeyIdParamSchema,
    bodyKind: 'none',
    successStatus: 204,
    successDescription: 'Revoked (also when it already was)',
    errors: [404],
  },
  // --- schedules (fixed paths first)
  {
    operationId: 'validateLots',
    method: 'post',
    path: '/schedule/validate',
    summary: 'Validate lots data without scheduling',
    description: 'Takes `{"lots_data": [...]}` or a bare array of lots.',
    tag: 'schedules',
    auth: 'required',
    service: 'schedule',
    subject: RPC.schedule.validate,
    bodyKind: 'json',
    body: ValidateLotsBodySchema,
    successStatus: 200,
    successDescription: 'Validation report',
    response: ValidationResponseSchema,
  },
  {
    operationId: 'createSchedule',
    method: 'post',
    path: '/schedule',
    summary: 'Create a schedule (JSON or CSV upload); runs asynchronously',
    description:
      "JSON body as in the guide, or `multipart/form-data` with a CSV `file` (`Lot ID,Type,Vials` columns or the guide's lot fields) " +
      'and the fields `name`, `strategy`, `config` (a JSON object as a string), `config_id`, `start_time`. Answers 202 with status `pending`; ' +
      'follow it on `ws://…/api/v1/ws/schedule/{id}`.',
    tag: 'schedules',
    auth: 'required',
    service: 'schedule',
    subject: RPC.schedule.create,
    bodyKind: 'schedule',
    body: CreateScheduleBodySchema,
    forwardsUnknownFields: true,
    successStatus: 202,
    successDescription: 'Accepted, status pending',
    response: ScheduleSummarySchema,
    errors: [413],
  },
  {
    operationId: 'listSchedules',
    method: 'get',
    path: '/schedules',
    summary: 'List schedules (paged, filtered, sorted)',
    tag: 'schedules',
    auth: 'required',
    apiKeyScope: 'schedules:read',
    service: 'schedule',
    subject: RPC.schedule.list,
    query: ScheduleListQuerySchema,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'One page of schedules',
    response: ScheduleListSchema,
  },
  {
    operationId: 'listStrategies',
    method: 'get',
    path: '/strategies',
    summary: 'Available scheduling strategies',
    tag: 'schedules',
    auth: 'required',
    apiKeyScope: 'schedules:read',
    service: 'schedule',
    subject: RPC.schedule.strategies,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'Strategy ids, names and descriptions',
    response: StrategiesResponseSchema,
  },
  {
    operationId: 'exportSchedule',
    method: 'get',
    path: '/schedule/:id/export',
    summary: 'Export a schedule as JSON, CSV or an SVG Gantt chart',
    tag: 'schedules',
    auth: 'required',
    apiKeyScope: 'schedules:read',
    service: 'schedule',
    subject: RPC.schedule.export,
    params: Id,
    query: ExportQuerySchema,
    bodyKind: 'none',
    successStatus: 200,
    successDescription:
      'The schedule with its activities (json), one row per activity (csv), or its Gantt chart (svg)',
    response: ScheduleOutSchema,
    extraSuccessContent: {
      'text/csv': {
        schema: { type: 'string' },
        // The columns of services/schedule/src/export-csv.ts; the guide's activity as one row.
        example:
          'line,kind,lot_id,type,start,end,duration_minutes,duration_hours\r\n' +
          '1,FILL,LOT001,ProductA,2024-10-14T08:00:00,2024-10-14T10:30:00,150,2.5\r\n',
      },
      // One lane per line (data-line), one bar per activity (data-lot-id on fills); see contracts' gantt.ts.
      'image/svg+xml': { schema: { type: 'string' }, example: GANTT_SVG_EXAMPLE },
    },
    errors: [404, 409],
  },
  {
    operationId: 'listScheduleActivities',
    method: 'get',
    path: '/schedule/:id/activities',
    summary: "One page of a completed schedule's activities",
    description:
      `Activities in schedule order, optionally of one \`line\`; \`limit\` at most ${ACTIVITIES_PAGE_MAX} (default 1000). ` +
      'Pair with `GET /schedule/{id}?include_activities=false` to read a large schedule in pieces. ' +
      '409 while the schedule is not completed, as export.',
    tag: 'schedules',
    auth: 'required',
    apiKeyScope: 'schedules:read',
    service: 'schedule',
    subject: RPC.schedule.activities,
    params: Id,
    query: ActivitiesQuerySchema,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: '{items, total, offset, limit}; total counts every matching activity',
    response: ActivityPageSchema,
    errors: [404, 409],
  },
  {
    operationId: 'replanSchedule',
    method: 'post',
    path: '/schedule/:id/replan',
    summary: 'Re-plan a completed schedule after a disruption; runs asynchronously',
    description:
      'Owner only (404 for others); 409 unless the schedule is completed. `disruptions`: `line_down {line, start, end, reason}`, ' +
      '`lot_added {lot}`, `lot_removed {lot_id}`, `lot_changed {lot_id, vials?, priority?, end_window?}`. `freeze` "started" (default: ' +
      'every activity started before `at` keeps its line and times) or an ISO time until which everything is frozen. Answers 202 with a ' +
      'new schedule (parent_id, version) that solves like any other; its result carries `replan` (the diff against the parent). ' +
      '422 with the exact `loc` for `at` before the parent start, an unknown lot or line, a line_down overlapping a frozen activity; nothing is stored then.',
    tag: 'schedules',
    auth: 'required',
    service: 'schedule',
    subject: RPC.schedule.replan,
    params: Id,
    bodyKind: 'json',
    body: ReplanBodySchema,
    successStatus: 202,
    successDescription: 'Accepted: the new schedule, status pending, with parent_id and version',
    response: ReplanSummarySchema,
    errors: [404, 409],
  },
  {
    operationId: 'getSchedule',
    method: 'get',
    path: '/schedule/:id',
    summary: 'Get a schedule with its result',
    tag: 'schedules',
    auth: 'required',
    apiKeyScope: 'schedules:read',
    service: 'schedule',
    subject: RPC.schedule.get,
    params: Id,
    query: ScheduleGetQuerySchema,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The schedule',
    response: ScheduleOutSchema,
    errors: [404],
  },
  {
    operationId: 'deleteSchedule',
    method: 'delete',
    path: '/schedule/:id',
    summary: 'Delete a schedule (cancels a running one)',
    tag: 'schedules',
    auth: 'required',
    service: 'schedule',
    subject: RPC.schedule.delete,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'Deleted',
    response: MessageSchema,
    errors: [404],
  },
  // --- comparisons
  {
    operationId: 'createComparison',
    method: 'post',
    path: '/compare',
    summary: 'Compare 2..6 strategies in parallel; runs asynchronously',
    tag: 'comparisons',
    auth: 'required',
    service: 'comparison',
    subject: RPC.comparison.create,
    bodyKind: 'json',
    body: CreateComparisonBodySchema,
    forwardsUnknownFields: true,
    successStatus: 202,
    successDescription: 'Accepted, status pending',
    response: ComparisonSummarySchema,
    errors: [413],
  },
  {
    operationId: 'listComparisons',
    method: 'get',
    path: '/comparisons',
    summary: 'List comparisons (paged)',
    tag: 'comparisons',
    auth: 'required',
    apiKeyScope: 'comparisons:read',
    service: 'comparison',
    subject: RPC.comparison.list,
    query: page,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'One page of comparisons',
    response: ComparisonListSchema,
  },
  {
    operationId: 'getComparison',
    method: 'get',
    path: '/compare/:id',
    summary: 'Get a comparison with per-strategy results and the best strategy',
    tag: 'comparisons',
    auth: 'required',
    apiKeyScope: 'comparisons:read',
    service: 'comparison',
    subject: RPC.comparison.get,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The comparison',
    response: ComparisonOutSchema,
    errors: [404],
  },
  {
    operationId: 'deleteComparison',
    method: 'delete',
    path: '/compare/:id',
    summary: 'Delete a comparison (cancels its running jobs)',
    tag: 'comparisons',
    auth: 'required',
    service: 'comparison',
    subject: RPC.comparison.delete,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'Deleted',
    response: MessageSchema,
    errors: [404],
  },
  // --- config templates (fixed paths before /config/:id)
  {
    operationId: 'createConfig',
    method: 'post',
    path: '/config',
    summary: 'Create a configuration template',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.create,
    bodyKind: 'json',
    body: ConfigTemplateBodySchema,
    forwardsUnknownFields: true,
    successStatus: 201,
    successDescription: 'The created template',
    response: ConfigTemplateOutSchema,
  },
  {
    operationId: 'listConfigs',
    method: 'get',
    path: '/configs',
    summary: 'List configuration templates (own, plus public ones with include_public)',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.list,
    query: ConfigListQuerySchema,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'One page of templates',
    response: ConfigListSchema,
  },
  {
    operationId: 'getDefaultConfig',
    method: 'get',
    path: '/config/default',
    summary: "The user's default template",
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.getDefault,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The default template',
    response: ConfigTemplateOutSchema,
    errors: [404],
  },
  {
    operationId: 'validateConfig',
    method: 'post',
    path: '/config/validate',
    summary: 'Validate a configuration (errors for types/ranges, warnings for unknown keys)',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.validate,
    bodyKind: 'json',
    body: ValidateConfigBodySchema,
    successStatus: 200,
    successDescription: 'Validation report',
    response: ValidationResponseSchema,
  },
  {
    operationId: 'getSystemDefaultConfig',
    method: 'get',
    path: '/config/system/default',
    summary: 'The system default configuration',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.systemDefault,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The built-in defaults of every config key',
    response: SystemDefaultConfigSchema,
  },
  {
    operationId: 'getConfig',
    method: 'get',
    path: '/config/:id',
    summary: 'Get a configuration template',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.get,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The template',
    response: ConfigTemplateOutSchema,
    errors: [404],
  },
  {
    operationId: 'updateConfig',
    method: 'put',
    path: '/config/:id',
    summary: 'Update a configuration template (owner only)',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.update,
    params: Id,
    bodyKind: 'json',
    body: ConfigTemplateUpdateSchema,
    forwardsUnknownFields: true,
    successStatus: 200,
    successDescription: 'The updated template',
    response: ConfigTemplateOutSchema,
    errors: [404],
  },
  {
    operationId: 'deleteConfig',
    method: 'delete',
    path: '/config/:id',
    summary: 'Delete a configuration template (owner only)',
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.delete,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'Deleted',
    response: MessageSchema,
    errors: [404],
  },
  {
    operationId: 'setDefaultConfig',
    method: 'post',
    path: '/config/:id/set-default',
    summary: "Make a template the user's default",
    tag: 'configs',
    auth: 'required',
    service: 'config',
    subject: RPC.config.setDefault,
    params: Id,
    bodyKind: 'none',
    successStatus: 200,
    successDescription: 'The template, now default',
    response: ConfigTemplateOutSchema,
    errors: [404],
  },
];

export const API_PREFIX = '/api/v1';

/** The guide's JSON root (`GET /`): where an API client finds everything else. */
export const API_ROOT = {
  name: 'Filling Scheduler API',
  version: '0.1.0',
  docs: '/docs',
  redoc: '/redoc',
  openapi: '/openapi.json',
  health: '/health',
  api: API_PREFIX,
} as const;

/** `/schedule/:id/export` → `/schedule/{id}/export` */
export const toOpenApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
