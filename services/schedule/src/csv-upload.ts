import type { ErrorDetailItem } from '@fillsched/contracts';
import { parseLotsCsv } from '@fillsched/engine';
import { unprocessable as invalid, type RpcReply } from '@fillsched/service-kit';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The engine's CSV errors carry their position either as `loc` or as row/column fields. */
export function csvIssueToDetail(issue: unknown): ErrorDetailItem {
  const o = (isPlainObject(issue) ? issue : {}) as {
    loc?: unknown;
    row?: unknown;
    column?: unknown;
    msg?: unknown;
    message?: unknown;
    type?: unknown;
  };
  let tail: (string | number)[] = [];
  if (Array.isArray(o.loc))
    tail = o.loc.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  else {
    if (typeof o.row === 'number' || typeof o.row === 'string') tail.push(o.row);
    if (typeof o.column === 'number' || typeof o.column === 'string') tail.push(o.column);
  }
  // The engine reports ['csv', line, column]; the REST layer names the upload 'file'.
  if (tail[0] === 'csv' || tail[0] === 'file') tail = tail.slice(1);
  const msg = typeof o.msg === 'string' ? o.msg : typeof o.message === 'string' ? o.message : String(issue);
  return {
    loc: ['body', 'file', ...tail],
    msg,
    type: typeof o.type === 'string' ? o.type : 'value_error.csv',
  };
}

/** A create body carrying an uploaded CSV instead of lots_data. */
export const isCsvUpload = (body: unknown): body is Record<string, unknown> =>
  isPlainObject(body) && 'lots_csv' in body;

/**
 * A multipart upload arrives as `lots_csv` text (and the file's name) beside form fields that the
 * gateway has already typed (ScheduleUploadFormSchema: config parsed from JSON, numbers coerced,
 * empty fields dropped) — converted there once, not again here. This parses the CSV into
 * lots_data and names the schedule after the file when no name was given; the result is then
 * validated like a JSON create.
 */
export function fromCsvUpload(
  body: Record<string, unknown>,
): { ok: true; body: Record<string, unknown> } | { ok: false; reply: RpcReply } {
  const { lots_csv: csv, filename, ...rest } = body;
  if (typeof csv !== 'string')
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: 'the uploaded file must be CSV text', type: 'type_error.str' },
      ]),
    };
  if (rest.lots_data !== undefined)
    return {
      ok: false,
      reply: invalid([
        {
          loc: ['body', 'file'],
          msg: 'send either lots_data (JSON) or a CSV file, not both',
          type: 'value_error',
        },
      ]),
    };
  if (rest.name === undefined && typeof filename === 'string' && filename.trim()) rest.name = filename.trim();

  let parsed: { lots: unknown[]; errors: unknown[] };
  try {
    parsed = parseLotsCsv(csv) as unknown as { lots: unknown[]; errors: unknown[] };
  } catch (err) {
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: `unreadable CSV: ${(err as Error).message}`, type: 'value_error.csv' },
      ]),
    };
  }
  if (parsed.errors.length > 0) return { ok: false, reply: invalid(parsed.errors.map(csvIssueToDetail)) };
  if (parsed.lots.length === 0)
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: 'the CSV file contains no lots', type: 'value_error.list.min_items' },
      ]),
    };
  return { ok: true, body: { ...rest, lots_data: parsed.lots } };
}
