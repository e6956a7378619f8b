import express, { type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { RpcRequest } from '@fillsched/service-kit';
import { ScheduleUploadFormSchema } from './forms';
import { BODY_LIMIT_BYTES, parseOr422, sendDetail, sendValidation, withDroppedFields } from './http';
import { principalOf } from './middleware';
import { ACCEPTED_MEDIA_TYPES, type BodyKind, type RouteDef } from './routes';

const jsonParser = express.json({
  limit: BODY_LIMIT_BYTES,
  type: ['application/json', 'application/*+json'],
});
const formParser = express.urlencoded({ limit: BODY_LIMIT_BYTES, extended: false });
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: BODY_LIMIT_BYTES, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 40 },
}).single('file');

/**
 * 415 for a body in a media type the route does not read: it would otherwise arrive unparsed and
 * fail as a confusing 422 "field required". Requests without a body pass (req.is → null, or an
 * empty body that clients send as Content-Length: 0), so "body missing" stays a 422 at [body].
 */
function requireMediaType(kind: Exclude<BodyKind, 'none'>): RequestHandler {
  const accepted = ACCEPTED_MEDIA_TYPES[kind];
  // The JSON parser also reads structured-syntax types such as application/merge-patch+json.
  const matchers = accepted.flatMap((t) => (t === 'application/json' ? [t, 'application/*+json'] : [t]));
  return (req, res, next) => {
    if (req.headers['content-length'] === '0' || req.is(matchers) !== false) return next();
    const given = req.headers['content-type'];
    const what = given ? `Unsupported Content-Type '${given}'` : 'Missing Content-Type';
    sendDetail(res, 415, `${what}: send ${accepted.join(' or ')}`);
  };
}

/** The media-type check and the parsers of a route's body kind. */
export function bodyParsers(route: RouteDef): RequestHandler[] {
  switch (route.bodyKind) {
    case 'none':
      return [];
    case 'json':
      return [requireMediaType('json'), jsonParser];
    case 'login':
      return [requireMediaType('login'), jsonParser, formParser];
    case 'schedule':
      return [
        requireMediaType('schedule'),
        jsonParser,
        (req, res, next) => (req.is('multipart/form-data') ? upload(req, res, next) : next()),
      ];
  }
}

/** Validates path, query and body; returns the request to forward, or undefined after a 422. */
export function buildRpcRequest(route: RouteDef, req: Request, res: Response): RpcRequest | undefined {
  const principal = principalOf(res);
  const out: RpcRequest = { user: principal?.user ?? null, params: {}, query: {}, body: undefined };
  if (route.params) {
    const p = parseOr422(res, route.params, req.params, 'path');
    if (!p.ok) return undefined;
    out.params = Object.fromEntries(
      Object.entries(p.data as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  if (route.query) {
    const q = parseOr422(res, route.query, req.query ?? {}, 'query');
    if (!q.ok) return undefined;
    out.query = q.data as Record<string, unknown>;
  }
  if (route.bodyKind === 'schedule' && req.is('multipart/form-data')) {
    const body = uploadBody(route, req, res);
    if (!body) return undefined;
    out.body = body;
    return out;
  }
  if (route.body) {
    const b = parseOr422(res, route.body, req.body, 'body');
    if (!b.ok) return undefined;
    out.body = route.forwardsUnknownFields ? withDroppedFields(req.body, b.data) : b.data;
  }
  if (route.bodyFromClaims && principal && 'claims' in principal) {
    const given = (out.body ?? {}) as { refresh_token?: string };
    out.body = {
      sid: principal.claims.sid,
      jti: principal.claims.jti,
      ...(given.refresh_token ? { refresh_token: given.refresh_token } : {}),
    };
  }
  return out;
}

/** A multipart schedule upload as the JSON body the service reads (the CSV as `lots_csv`), or undefined after a 422. */
function uploadBody(route: RouteDef, req: Request, res: Response): Record<string, unknown> | undefined {
  const form = parseOr422(res, ScheduleUploadFormSchema, req.body ?? {}, 'body');
  if (!form.ok) return undefined;
  if (!req.file) {
    sendValidation(res, [{ loc: ['body', 'file'], msg: 'field required', type: 'value_error.missing' }]);
    return undefined;
  }
  const fields = (route.forwardsUnknownFields ? withDroppedFields(req.body, form.data) : form.data) as Record<
    string,
    unknown
  >;
  const filename = req.file.originalname || undefined;
  if (fields.name === undefined && !filename) {
    sendValidation(res, [{ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' }]);
    return undefined;
  }
  return { ...fields, ...(filename ? { filename } : {}), lots_csv: req.file.buffer.toString('utf8') };
}
