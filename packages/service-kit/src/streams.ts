import {
  jetstreamManager,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StreamConfig,
} from '@nats-io/jetstream';
import { errors as natsErrors, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { encodeJson } from './codec';
import { streamReplicas } from './config';
import { isMessagingUnavailable } from './unavailable';
import { CORRELATION_HEADER, currentCorrelationId, type Logger } from './logging';
import { inSpan, injectTraceContext, SpanKind } from './tracing';

export type StreamSpec = Partial<StreamConfig> & { name: string; subjects: string[] };
/** One durable consumer; NATS 2.9 allows a single `filter_subject` and no metadata. */
export type ConsumerSpec = { stream: string; config: Partial<ConsumerConfig> & { durable_name: string } };
/** The same, flattened (`{ stream, durable_name, ... }`), as the contracts package writes it. */
export type FlatConsumerSpec = { stream: string } & Partial<ConsumerConfig> & { durable_name: string };

function normaliseConsumer(spec: ConsumerSpec | FlatConsumerSpec): ConsumerSpec {
  if ('config' in spec && spec.config && typeof spec.config === 'object') return spec as ConsumerSpec;
  const { stream, ...config } = spec as FlatConsumerSpec;
  return { stream, config };
}

export type ProvisionAction = 'created' | 'updated' | 'unchanged';

export interface ProvisionResult {
  streams: Array<{ name: string; action: ProvisionAction }>;
  consumers: Array<{ stream: string; name: string; action: ProvisionAction }>;
}

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;
const CONSUMER_ALREADY_EXISTS = 10148;
const CONSUMER_NAME_EXISTS = 10013;

function apiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

function validateConsumer(spec: ConsumerSpec): void {
  const cfg = spec.config as Record<string, unknown>;
  if (Array.isArray(cfg.filter_subjects))
    throw new Error(`consumer ${spec.config.durable_name}: use one filter_subject (NATS 2.9)`);
  if (cfg.metadata !== undefined)
    throw new Error(`consumer ${spec.config.durable_name}: metadata needs NATS 2.10`);
}

/**
 * Creates or updates streams and durable consumers. Safe to run at every start and from many
 * replicas at once: "already exists" from a concurrent creator turns into an update.
 * Every stream gets `replicas` copies (default NATS_STREAM_REPLICAS) unless its spec says
 * otherwise; consumers inherit their stream's count.
 */
export async function ensureStreams(
  conn: NatsConnection | { nc: NatsConnection },
  specs: {
    streams: readonly StreamSpec[];
    consumers?: ReadonlyArray<ConsumerSpec | FlatConsumerSpec>;
    /** `num_replicas` of every stream whose spec sets none (NATS_STREAM_REPLICAS, default 1); consumers inherit it. */
    replicas?: number;
    /** How long a step is retried while the cluster cannot answer (election, node lost); default 30 s. */
    retryForMs?: number;
  },
  logger?: Logger,
): Promise<ProvisionResult> {
  const nc = 'nc' in conn ? conn.nc : conn;
  assertReplicasPlaceable(nc, specs.replicas);
  const jsm = await jetstreamManager(nc);
  const result: ProvisionResult = { streams: [], consumers: [] };
  const replicas = specs.replicas ?? streamReplicas();
  const retrying = <T>(what: string, step: () => Promise<T>) =>
    retryWhileUnavailable(step, { retryForMs: specs.retryForMs ?? 30_000, what, logger });

  for (const raw of specs.streams) {
    // Always explicit: an update without num_replicas would scale a replicated stream back to 1.
    const spec = { num_replicas: replicas, ...raw };
    let action: ProvisionAction;
    try {
      action = await retrying(`stream ${spec.name}`, () => provisionStream(jsm, spec));
    } catch (err) {
      throw new Error(`ensureStreams: stream ${spec.name}: ${(err as Error).message}`, { cause: err });
    }
    result.streams.push({ name: spec.name, action });
    logger?.info({ stream: spec.name, action }, 'stream provisioned');
  }
  for (const raw of specs.consumers ?? []) {
    const spec = normaliseConsumer(raw);
    validateConsumer(spec);
    const name = spec.config.durable_name;
    let action: ProvisionAction;
    try {
      action = await retrying(`consumer ${spec.stream}/${name}`, () => provisionConsumer(jsm, spec));
    } catch (err) {
      throw new Error(`ensureStreams: consumer ${spec.stream}/${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    result.consumers.push({ stream: spec.stream, name, action });
    logger?.info({ stream: spec.stream, consumer: name, action }, 'consumer provisioned');
  }
  return result;
}

/**
 * Refuses a replica count above 1 on a server that is not part of a cluster. NATS 2.10+ refuses it
 * too, but 2.9 accepts it on a stream update and then reports replicas it does not have.
 */
export function assertReplicasPlaceable(nc: NatsConnection, replicas: number | undefined): void {
  if (replicas === undefined || replicas <= 1 || nc.info?.cluster) return;
  throw new Error(
    `${replicas} stream replicas need a NATS cluster, but ${nc.getServer()} is a single server ` +
      '(set NATS_STREAM_REPLICAS=1, or list the cluster members in NATS_URL)',
  );
}

/**
 * A clustered JetStream cannot answer for a while after a node is lost, or when many replicas
 * provision at once (a new stream has no leader yet, so requests time out; the meta leader is
 * being elected, 503). Worth retrying; a real refusal (a conflicting setting) is not.
 */
async function retryWhileUnavailable<T>(
  step: () => Promise<T>,
  opts: { retryForMs: number; what: string; logger?: Logger },
): Promise<T> {
  const deadline = Date.now() + opts.retryForMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isMessagingUnavailable(err) || Date.now() >= deadline) throw err;
      const delay = Math.min(200 * 2 ** attempt, 2000);
      opts.logger?.warn(
        { err: (err as Error).message, retry_in_ms: delay },
        `provisioning ${opts.what}: retrying`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * True when every setting the spec names already has that value. Every replica of every service
 * provisions at start; on a cluster each update is a round of consensus, and a burst of them
 * (several services starting at once) makes the API time out, so an update that changes nothing
 * is not sent.
 */
function alreadyConfigured(spec: object, current: object): boolean {
  const now = current as Record<string, unknown>;
  return Object.entries(spec).every(([k, v]) => JSON.stringify(now[k]) === JSON.stringify(v));
}

async function provisionStream(jsm: JetStreamManager, spec: StreamSpec): Promise<ProvisionAction> {
  try {
    const info = await jsm.streams.info(spec.name);
    if (alreadyConfigured(spec, info.config)) return 'unchanged';
  } catch (err) {
    if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
    try {
      await jsm.streams.add(spec);
      return 'created';
    } catch (addErr) {
      // Another replica created it between our info and add.
      if (apiCode(addErr) !== STREAM_NAME_IN_USE) throw addErr;
    }
  }
  await jsm.streams.update(spec.name, spec);
  return 'updated';
}

async function provisionConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ProvisionAction> {
  const name = spec.config.durable_name;
  try {
    const info = await jsm.consumers.info(spec.stream, name);
    if (alreadyConfigured(spec.config, info.config)) return 'unchanged';
  } catch (err) {
    if (apiCode(err) !== CONSUMER_NOT_FOUND) throw err;
    try {
      await jsm.consumers.add(spec.stream, spec.config);
      return 'created';
    } catch (addErr) {
      const code = apiCode(addErr);
      if (code !== CONSUMER_ALREADY_EXISTS && code !== CONSUMER_NAME_EXISTS) throw addErr;
    }
  }
  await jsm.consumers.update(spec.stream, name, spec.config);
  return 'updated';
}

export interface PublishEventOptions {
  /** Extra attempts after transient failures (timeouts, no responders); default 3. */
  retries?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

function isTransient(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return false; // the server decided; retrying won't help
  return (
    err instanceof natsErrors.TimeoutError ||
    err instanceof natsErrors.RequestError ||
    err instanceof natsErrors.NoRespondersError ||
    (err as { cause?: unknown })?.cause instanceof natsErrors.TimeoutError
  );
}

/**
 * JetStream publish with `Nats-Msg-Id = event.id`, so a retried publish (here or by a caller
 * that crashed after publishing) is dropped by the stream's duplicate window.
 */
export async function publishEvent(
  js: JetStreamClient,
  subject: string,
  event: { id: string; [key: string]: unknown },
  opts: PublishEventOptions = {},
): Promise<PubAck> {
  const retries = opts.retries ?? 3;
  const data = encodeJson(event);
  const h = natsHeaders();
  const cid =
    currentCorrelationId() ?? (typeof event.correlationid === 'string' ? event.correlationid : undefined);
  if (cid) h.set(CORRELATION_HEADER, cid);
  for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
  // A producer span per event: its consumers (job, lifecycle, relay) become its children.
  const spanOpts = { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination.name': subject } };
  return inSpan(`publish ${subject}`, spanOpts, async () => {
    injectTraceContext(h);
    return publishWithRetries(js, subject, data, h, event.id, retries, opts.timeoutMs);
  });
}

async function publishWithRetries(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array,
  h: ReturnType<typeof natsHeaders>,
  msgID: string,
  retries: number,
  timeoutMs: number | undefined,
): Promise<PubAck> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await js.publish(subject, data, {
        msgID,
        headers: h,
        ...(timeoutMs ? { timeout: timeoutMs } : {}),
      });
    } catch (err) {
      if (attempt >= retries || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
    }
  }
}
