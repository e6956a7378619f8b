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
import { CORRELATION_HEADER, currentCorrelationId, type Logger } from './logging';

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

export interface ProvisionResult {
  streams: Array<{ name: string; action: 'created' | 'updated' }>;
  consumers: Array<{ stream: string; name: string; action: 'created' | 'updated' }>;
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
 */
export async function ensureStreams(
  conn: NatsConnection | { nc: NatsConnection },
  specs: {
    streams: readonly StreamSpec[];
    consumers?: ReadonlyArray<ConsumerSpec | FlatConsumerSpec>;
    /** `num_replicas` of every stream whose spec sets none (NATS_STREAM_REPLICAS); consumers inherit it. */
    replicas?: number;
  },
  logger?: Logger,
): Promise<ProvisionResult> {
  const nc = 'nc' in conn ? conn.nc : conn;
  assertReplicasPlaceable(nc, specs.replicas);
  const jsm = await jetstreamManager(nc);
  const result: ProvisionResult = { streams: [], consumers: [] };

  for (const given of specs.streams) {
    const spec = withReplicas(given, specs.replicas);
    let action: 'created' | 'updated';
    try {
      action = await provisionStream(jsm, spec);
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
    let action: 'created' | 'updated';
    try {
      action = await provisionConsumer(jsm, spec);
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

function withReplicas(spec: StreamSpec, replicas: number | undefined): StreamSpec {
  if (replicas === undefined || spec.num_replicas !== undefined) return spec;
  return { ...spec, num_replicas: replicas };
}

async function provisionStream(jsm: JetStreamManager, spec: StreamSpec): Promise<'created' | 'updated'> {
  try {
    await jsm.streams.info(spec.name);
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

async function provisionConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<'created' | 'updated'> {
  const name = spec.config.durable_name;
  try {
    await jsm.consumers.info(spec.stream, name);
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
  for (let attempt = 0; ; attempt++) {
    try {
      return await js.publish(subject, data, {
        msgID: event.id,
        headers: h,
        ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
      });
    } catch (err) {
      if (attempt >= retries || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
    }
  }
}
