import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pino from 'pino';
import { chooseLogFormat, prettyStream, type LogFormat } from './log-format';

export type Logger = pino.Logger;
export type LogLevel = pino.LevelWithSilent;

/** Used verbatim both as the HTTP header and the NATS message header. */
export const CORRELATION_HEADER = 'X-Correlation-Id';

interface CorrelationContext {
  correlationId: string;
}
const storage = new AsyncLocalStorage<CorrelationContext>();

export function newCorrelationId(): string {
  return randomUUID();
}

/** Runs fn with `id` as the current correlation id for everything it awaits or schedules. */
export function withCorrelation<R>(id: string, fn: () => R): R {
  return storage.run({ correlationId: id }, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/**
 * This process's instance name, the same in every log line and event source: SERVICE_INSTANCE
 * (set by `npm start`, e.g. `solver-1`) or else host and pid (unique per process on one host).
 */
export function serviceInstance(env: NodeJS.ProcessEnv = process.env): string {
  return env.SERVICE_INSTANCE ?? `${os.hostname()}-${process.pid}`;
}

/**
 * pino logger. Every line carries service, pid, instance and, inside withCorrelation,
 * `correlation_id`, so one request can be followed across services with a single filter.
 * `format`: JSON, or readable lines on a terminal (see chooseLogFormat); with a `destination`
 * (tests that capture output) JSON unless asked otherwise.
 */
export function createLogger(
  service: string,
  level: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
  destination?: pino.DestinationStream,
  format: LogFormat = destination ? 'json' : chooseLogFormat(),
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid, instance: serviceInstance() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const id = currentCorrelationId();
      return id ? { correlation_id: id } : {};
    },
  };
  if (format === 'pretty') return pino(options, prettyStream(destination));
  return destination ? pino(options, destination) : pino(options);
}

/** Normalises an incoming header value; falls back to a fresh id when absent or absurd. */
export function correlationIdFrom(value: string | string[] | undefined | null): string {
  const v = Array.isArray(value) ? value[0] : value;
  // Bound the length: the id is echoed into logs and headers of every hop.
  if (typeof v === 'string' && v.length > 0 && v.length <= 200 && /^[\w.:@/-]+$/.test(v)) return v;
  return newCorrelationId();
}

type NextFn = (err?: unknown) => void;
interface HeaderReq {
  headers: Record<string, string | string[] | undefined>;
}
interface HeaderRes {
  setHeader(name: string, value: string): unknown;
}

/**
 * Express/connect middleware: takes the correlation id from the request header (or makes one),
 * echoes it on the response, and runs the rest of the chain inside that context.
 */
export function correlationMiddleware() {
  const lower = CORRELATION_HEADER.toLowerCase();
  return (req: HeaderReq, res: HeaderRes, next: NextFn): void => {
    const id = correlationIdFrom(req.headers[lower]);
    res.setHeader(CORRELATION_HEADER, id);
    withCorrelation(id, () => next());
  };
}
