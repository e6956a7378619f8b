import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { MESSAGES, type ErrorDetailItem } from '@fillsched/contracts';
import { isServiceError, type Logger } from '@fillsched/service-kit';
import { jsonErrorPosition, sendDetail, sendValidation } from './http';
import { retryAfterFor } from './downstream-health';

/**
 * A failed call to a service as the client sees it: the kit's typed transport errors (504 timeout,
 * 503 unavailable) with their `detail`; true when answered, false for anything else (a bug: the
 * error handler below makes it a 500).
 */
export function sendServiceError(res: Response, err: unknown, logger: Logger, subject: string): boolean {
  if (!isServiceError(err)) return false;
  logger.warn({ service: err.service, reason: err.reason, subject }, 'service call failed');
  const retryAfter = retryAfterFor(err);
  if (retryAfter) res.setHeader('Retry-After', retryAfter);
  sendDetail(res, err.status, err.detail);
  return true;
}

/** After every route: 404 in the API's `{ detail }` shape. */
export const notFound: RequestHandler = (_req, res) => sendDetail(res, 404, 'Not Found');

/** Errors of body parsers and anything unexpected: never a stack, never a crash. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = err as {
      type?: string;
      code?: string;
      status?: number;
      expose?: boolean;
      message?: string;
      field?: string;
      name?: string;
      body?: unknown;
    };
    if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE' || e?.code === 'LIMIT_FIELD_VALUE')
      return sendDetail(res, 413, MESSAGES.bodyTooLarge);
    if (e?.type === 'entity.parse.failed') {
      const detail: ErrorDetailItem[] = [
        { loc: ['body', jsonErrorPosition(e)], msg: 'JSON decode error', type: 'value_error.jsondecode' },
      ];
      return sendValidation(res, detail);
    }
    // Every multer error is about the client's multipart body (a part without a field name, too
    // many parts, an unexpected file field): a 422 naming the part, never a 500.
    if (e?.name === 'MulterError' || (typeof e?.code === 'string' && e.code.startsWith('LIMIT_'))) {
      const msg =
        e.code === 'LIMIT_UNEXPECTED_FILE'
          ? `Unexpected file field '${e.field}': send one CSV file as 'file'`
          : e.code === 'MISSING_FIELD_NAME'
            ? 'Multipart part without a field name: every part needs Content-Disposition: form-data; name="..."'
            : (e.message ?? 'Invalid multipart body');
      return sendValidation(res, [{ loc: e.field ? ['body', e.field] : ['body'], msg, type: 'value_error' }]);
    }
    if (
      e?.message === 'Unexpected end of form' ||
      e?.message === 'Multipart: Boundary not found' ||
      /^Malformed part header/.test(e?.message ?? '')
    )
      return sendValidation(res, [
        { loc: ['body'], msg: `Malformed multipart body: ${e.message}`, type: 'value_error' },
      ]);
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose)
      return sendDetail(res, e.status, e.message ?? 'Bad Request');
    logger.error({ err, method: req.method, path: req.originalUrl.split('?')[0] }, 'unhandled request error');
    sendDetail(res, 500, 'Internal server error');
  };
}
