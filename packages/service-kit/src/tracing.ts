import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { serviceInstance, type Logger } from './logging';

export { SpanKind, SpanStatusCode };

/** The W3C trace-context header, used verbatim in NATS message headers and CloudEvents. */
export const TRACEPARENT_HEADER = 'traceparent';

export interface TracingHandle {
  enabled: boolean;
  /** Exports the spans still buffered, then stops; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

let active: TracingHandle = { enabled: false, shutdown: async () => undefined };

/**
 * Off by default: on only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not "true".
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Registers the global tracer provider: OTLP/HTTP exporter (configured by the standard `OTEL_*`
 * variables, which the exporter and the batch processor read themselves), W3C trace context.
 * When off nothing is registered and the API's no-op tracer is used, which costs nothing.
 */
export function startTracing(
  service: string,
  opts: { logger?: Logger; env?: NodeJS.ProcessEnv } = {},
): TracingHandle {
  const env = opts.env ?? process.env;
  if (active.enabled || !tracingEnabled(env)) return active;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || service,
      'service.instance.id': serviceInstance(env),
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }))],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  opts.logger?.info(
    { endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT },
    'tracing: exporting spans over OTLP/HTTP',
  );
  active = {
    enabled: true,
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
      active = { enabled: false, shutdown: async () => undefined };
    },
  };
  return active;
}

/** Per the OTLP spec: the signal-specific endpoint as is, the generic one + `/v1/traces`. */
function tracesUrl(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').replace(/\/+$/, '')}/v1/traces`;
}

/** The process's tracing handle (disabled unless startTracing turned it on). */
export function tracing(): TracingHandle {
  return active;
}

/** The last shutdown step: the spans of the shutdown itself are exported too. */
export function flushTracesStep(): { name: string; run(): Promise<void> } {
  return { name: 'flush traces', run: () => active.shutdown() };
}

export function tracer() {
  return trace.getTracer('fillsched');
}

/** Anything with NATS-style `get`/`set` headers (MsgHdrs). */
interface HeaderBag {
  get(key: string): string;
  set(key: string, value: string): void;
}

const headerSetter: TextMapSetter<HeaderBag> = { set: (h, k, v) => h.set(k, v) };
const recordGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => c[k.toLowerCase()] ?? c[k],
};

/** Writes the current trace context (if any) into NATS message headers. */
export function injectTraceContext(headers: HeaderBag, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, headerSetter);
}

/** The current trace context as a `traceparent` value, for CloudEvents' distributed-tracing extension. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACEPARENT_HEADER];
}

/**
 * The remote parent carried by NATS headers, else by a `traceparent` fallback (e.g. the CloudEvent
 * attribute); ROOT when neither carries one.
 */
export function traceContextFrom(
  headers: { get(key: string): string } | undefined,
  fallbackTraceparent?: unknown,
): Context {
  const fromHeader = headers?.get(TRACEPARENT_HEADER);
  const value = fromHeader || (typeof fallbackTraceparent === 'string' ? fallbackTraceparent : undefined);
  if (!value) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { [TRACEPARENT_HEADER]: value }, recordGetter);
}

/** Trace context from HTTP request headers (an upstream proxy or client may have started the trace). */
export function traceContextFromHttp(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, recordGetter);
}

/**
 * Runs fn inside a new active span (child of `parent`, default the current context); records a
 * throw as an error and always ends the span.
 */
export async function inSpan<R>(
  name: string,
  opts: SpanOptions & { parent?: Context },
  fn: (span: Span) => Promise<R>,
): Promise<R> {
  const { parent, ...spanOpts } = opts;
  return tracer().startActiveSpan(name, spanOpts, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs fn later (a timer, a worker-thread message) in the trace context current now. */
export function bindTraceContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return context.bind(context.active(), fn);
}

/** Runs fn with `parent` as the current trace context (e.g. one extracted from a message). */
export function withTraceContext<R>(parent: Context, fn: () => R): R {
  return context.with(parent, fn);
}

interface HttpReq {
  method: string;
  originalUrl: string;
  baseUrl?: string;
  route?: { path?: unknown };
  headers: Record<string, string | string[] | undefined>;
}
interface HttpRes {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * Express middleware: one SERVER span per HTTP request (continuing an incoming `traceparent`),
 * named `METHOD /route/:pattern` once routing has matched, active for the rest of the chain.
 */
export function httpServerSpanMiddleware() {
  return (req: HttpReq, res: HttpRes, next: (err?: unknown) => void): void => {
    const path = req.originalUrl.split('?')[0];
    const span = tracer().startSpan(
      `${req.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': path } },
      traceContextFromHttp(req.headers),
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(context.active(), span), () => next());
  };
}
