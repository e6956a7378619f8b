import mongoose, { type Connection } from 'mongoose';
import type { Logger } from './logging';

export interface ConnectMongoOptions {
  url: string;
  logger: Logger;
  dbName?: string;
  /**
   * How long one operation waits for a reachable server before it fails (then the request is a
   * 503 with Retry-After). Short on purpose: while the store is down a caller learns it within a
   * second instead of waiting for the gateway's 5 s timeout. Default STORE_SELECTION_TIMEOUT_MS.
   */
  serverSelectionTimeoutMS?: number;
  /** How long the first connection is retried before connectMongo gives up; default 30 s. */
  initialConnectTimeoutMs?: number;
}

/** Default per-operation server selection timeout (see ConnectMongoOptions). */
export const STORE_SELECTION_TIMEOUT_MS = 800;
/** Heartbeat of the driver's server monitor: a store going down or coming back is seen within this. */
export const STORE_HEARTBEAT_MS = 500;

/** True for a plain `mongodb://host:port/...` URL: one host, no replica set, no SRV. */
export function isSingleHostUrl(url: string): boolean {
  if (!url.startsWith('mongodb://')) return false;
  const rest = url.slice('mongodb://'.length);
  const hosts = rest.split('/')[0].split('@').pop() ?? '';
  return !hosts.includes(',') && !/[?&]replicaSet=/.test(url) && !/[?&]directConnection=/.test(url);
}

/**
 * Own connection per service (mongoose.createConnection, not the global default), so tests
 * can open several. Single-host URLs connect directly: the embedded wire server and a lone
 * mongod do not announce a replica set to discover.
 *
 * Store outages fail fast: no command buffering (an operation during an outage fails instead of
 * queueing), a per-operation server selection timeout under a second and a 500 ms heartbeat, so
 * readiness turns false within about a second and back to true by itself when the store returns
 * (the driver keeps monitoring). The first connection is retried for `initialConnectTimeoutMs`.
 */
export async function connectMongo(opts: ConnectMongoOptions): Promise<Connection> {
  const { logger } = opts;
  const deadline = Date.now() + (opts.initialConnectTimeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    const conn = mongoose.createConnection(opts.url, {
      ...(isSingleHostUrl(opts.url) ? { directConnection: true } : {}),
      ...(opts.dbName ? { dbName: opts.dbName } : {}),
      serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? STORE_SELECTION_TIMEOUT_MS,
      heartbeatFrequencyMS: STORE_HEARTBEAT_MS,
      bufferCommands: false,
      // Polling heartbeats instead of the streaming (exhaust) protocol: the embedded wire server
      // breaks streaming hellos under load ("Server ended moreToCome unexpectedly"), and the
      // driver then clears the pool and fails in-flight operations.
      serverMonitoringMode: 'poll',
      autoIndex: true,
    });
    try {
      await conn.asPromise();
    } catch (err) {
      await conn.close().catch(() => undefined);
      if (Date.now() >= deadline) throw err;
      logger.warn({ err, attempt }, 'MongoDB not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    conn.on('disconnected', () => logger.warn('MongoDB disconnected'));
    conn.on('reconnected', () => logger.info('MongoDB reconnected'));
    conn.on('error', (err) => logger.error({ err }, 'MongoDB error'));
    logger.info({ db: conn.name, host: conn.host, port: conn.port }, 'MongoDB connected');
    return conn;
  }
}

/** Readiness check: connection state is "connected". */
export function mongoReady(conn: Connection): boolean {
  return conn.readyState === mongoose.ConnectionStates.connected;
}

/** Allocates positive integer public ids per collection; never reuses one. */
export interface IdAllocator {
  next(collection: string): Promise<number>;
}

/** The ids first..last (inclusive), reserved together: nobody else is ever handed one of them. */
export interface IdBlock {
  first: number;
  last: number;
}

/** Reserves `count` consecutive ids of a collection in one step (what BlockIdAllocator draws on). */
export interface IdBlockSource {
  reserve(collection: string, count: number): Promise<IdBlock>;
}

export class MemoryIdAllocator implements IdAllocator, IdBlockSource {
  private readonly counters = new Map<string, number>();
  async next(collection: string): Promise<number> {
    return (await this.reserve(collection, 1)).first;
  }
  async reserve(collection: string, count: number): Promise<IdBlock> {
    const last = (this.counters.get(collection) ?? 0) + count;
    this.counters.set(collection, last);
    return { first: last - count + 1, last };
  }
}

/**
 * Atomic `$inc` with upsert on one counters document per collection, keyed by `name` (not
 * `_id`: the embedded wire server only accepts ObjectId-like _ids). A unique index on `name`
 * makes two racing first-time upserts on real MongoDB end in E11000 for the loser, which
 * retries and then increments the existing document.
 */
export class MongoIdAllocator implements IdAllocator, IdBlockSource {
  private indexReady?: Promise<unknown>;

  constructor(
    private readonly conn: Connection,
    private readonly countersCollection = 'counters',
  ) {}

  async next(collection: string): Promise<number> {
    return (await this.reserve(collection, 1)).first;
  }

  /** `$inc` by `count`: the block is the `count` ids up to the new value. */
  async reserve(collection: string, count: number): Promise<IdBlock> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`cannot reserve ${count} ids`);
    const coll = this.conn.collection<{ name: string; seq: number }>(this.countersCollection);
    this.indexReady ??= coll.createIndex({ name: 1 }, { unique: true }).catch((err) => {
      this.indexReady = undefined; // retry on the next call
      throw err;
    });
    await this.indexReady;
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await coll.findOneAndUpdate(
          { name: collection },
          { $inc: { seq: count } },
          { upsert: true, returnDocument: 'after' },
        );
        const seq = doc?.seq;
        if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < count)
          throw new Error(`counter ${collection} returned ${String(seq)}`);
        return { first: seq - count + 1, last: seq };
      } catch (err) {
        if (attempt < 5 && isDuplicateKeyError(err)) continue;
        throw err;
      }
    }
  }
}

/** Thrown by in-memory adapters so callers handle one shape for both adapters. */
export class DuplicateKeyError extends Error {
  readonly code = 11000;
  constructor(
    message = 'E11000 duplicate key error',
    readonly keyValue?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DuplicateKeyError';
  }
}

const DUP_CODES = new Set([11000, 11001, 12582]);

/**
 * Recognises duplicate-key failures in every shape the driver and mongoose produce:
 * MongoServerError (code), MongoBulkWriteError (writeErrors[].code / err.code), mongoose's
 * wrapped write errors, and messages containing E11000.
 */
export function isDuplicateKeyError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as Record<string, unknown>;
  if (typeof e.code === 'number' && DUP_CODES.has(e.code)) return true;
  if (typeof e.code === 'string' && /^(E?11000|11001)$/.test(e.code)) return true;
  if (typeof e.message === 'string' && e.message.includes('E11000')) return true;
  const writeErrors = e.writeErrors ?? (e.result as Record<string, unknown> | undefined)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.some((w) => isDuplicateKeyError(w, depth + 1))) return true;
  return isDuplicateKeyError(e.err, depth + 1) || isDuplicateKeyError(e.cause, depth + 1);
}

/**
 * A server that speaks the protocol but lacks a feature answers NotImplemented (code 238):
 * FerretDB 1.24 does so for TTL indexes, `$slice` projections and findAndModify's `fields`.
 */
export function isNotImplementedError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; codeName?: unknown };
  return e.code === 238 || e.codeName === 'NotImplemented';
}

/** Readiness check for a mongoose connection, for startOpsServer. */
export function mongoReadiness(conn: Connection, name = 'store'): { name: string; check(): boolean } {
  return { name, check: () => mongoReady(conn) };
}
