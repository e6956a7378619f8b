import { checkConfigInto, isPlainObject } from './config';
import { buildChangeoverTables } from './normalize/changeover';
import { minBatchSize, resolveConfig } from './normalize/config';
import { MAX_ERRORS, Warnings, type Issues } from './normalize/issues';
import { buildLines, lineIdsOf } from './normalize/lines';
import { checkLotsList, placeLots, readLots, typesOf } from './normalize/lots';
import { DEFAULT_START_TIME, parseIso, toIso } from './time';
import type { Instance, RawScheduleInput, ValidationIssue, ValidationReport } from './types';

export { changeover } from './normalize/changeover';

export type NormalizeOutcome =
  | { ok: true; instance: Instance; warnings: string[] }
  | { ok: false; errors: ValidationIssue[]; warnings: string[] };

/** Normalizes and validates a schedule request. Never throws on bad input; returns errors instead. */
export function normalizeInput(raw: RawScheduleInput): NormalizeOutcome {
  const issues: Issues = { errors: [], warn: new Warnings() };
  const cfgWarnings: string[] = [];
  try {
    return normalizeInner(raw, issues, cfgWarnings);
  } catch (e) {
    issues.errors.push({
      loc: [],
      msg: `invalid input: ${(e as Error)?.message ?? String(e)}`,
      type: 'value_error',
    });
    return { ok: false, errors: issues.errors, warnings: [...cfgWarnings, ...issues.warn.finish()] };
  }
}

/**
 * The steps, each in its own module under normalize/: config check, start time, line ids, lots
 * (normalize/lots.ts), resolved config, lines with downtime (normalize/lines.ts), changeover tables
 * (normalize/changeover.ts), lots placed on lines. Any error ends the request after its step.
 */
function normalizeInner(raw: RawScheduleInput, issues: Issues, cfgWarnings: string[]): NormalizeOutcome {
  const { errors } = issues;
  const fail = (): NormalizeOutcome => ({
    ok: false,
    errors: errors.slice(0, MAX_ERRORS),
    warnings: [...cfgWarnings, ...issues.warn.finish()],
  });
  if (!isPlainObject(raw)) {
    errors.push({ loc: [], msg: 'body must be an object with lots_data', type: 'type_error.dict' });
    return fail();
  }
  checkConfigInto(raw.config, errors, cfgWarnings);
  const cfg: Record<string, unknown> = isPlainObject(raw.config) ? raw.config : {};

  let startMs = startTimeOf(raw, cfg, errors);
  const { linesRaw, lineIds } = lineIdsOf(cfg);

  const lotsRaw = raw.lots_data;
  if (!checkLotsList(lotsRaw, errors)) return fail();
  const read = readLots(lotsRaw, { lineIds, minBatch: minBatchSize(cfg) }, issues);
  if (errors.length > 0) return fail();

  const config = resolveConfig(cfg, lineIds.length, cfgWarnings);
  if (startMs === null) {
    let minSw = Infinity;
    for (const p of read) if (p.sw !== null && p.sw < minSw) minSw = p.sw;
    startMs = Number.isFinite(minSw) ? minSw : parseIso(DEFAULT_START_TIME)!;
  }
  const { types, typeIndex } = typesOf(read);
  const { lines, lineMatrices } = buildLines(linesRaw, lineIds, config.fill_rate_vph, startMs);
  const matrices = buildChangeoverTables(lines, lineMatrices, config, typeIndex, errors);
  if (!matrices) return fail();

  const lots = placeLots(read, { lines, typeIndex, windowHours: config.window_hours, startMs }, errors);
  if (errors.length > 0) return fail();
  const instance: Instance = { lots, lines, types, startTime: toIso(startMs), startMs, config, matrices };
  return { ok: true, instance, warnings: [...cfgWarnings, ...issues.warn.finish()] };
}

/** `start_time` of the request, else of the config; null when neither is given (or it is invalid: an error). */
function startTimeOf(
  raw: Record<string, unknown>,
  cfg: Record<string, unknown>,
  errors: ValidationIssue[],
): number | null {
  const startRaw = raw.start_time ?? cfg.start_time;
  if (startRaw === undefined || startRaw === null) return null;
  const startMs = parseIso(startRaw);
  if (startMs === null) {
    errors.push({
      loc: [
        raw.start_time !== undefined ? 'start_time' : 'config',
        ...(raw.start_time !== undefined ? [] : ['start_time']),
      ],
      msg: 'start_time must be an ISO 8601 date-time',
      type: 'value_error.datetime',
    });
  }
  return startMs;
}

/** `{valid, errors, warnings}` as in the API guide's POST /schedule/validate. */
export function validateInput(raw: RawScheduleInput): ValidationReport {
  const out = normalizeInput(raw);
  return out.ok
    ? { valid: true, errors: [], warnings: out.warnings }
    : { valid: false, errors: out.errors, warnings: out.warnings };
}
