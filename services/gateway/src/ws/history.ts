import {
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  EVENTS_STREAM,
  PROGRESS_STREAM,
  STREAM_SPECS,
  WS_FINAL_HEADER,
  WS_HISTORY_CONSUMERS,
  WS_HISTORY_PREFIX,
  WS_HISTORY_STREAM,
  WS_PREV_HEADER,
  wsHistoryStreamSpec,
  wsHistorySubject,
} from '@fillsched/contracts';
import { ensureStreams, type ConsumerSpec, type Logger, type StreamSpec } from '@fillsched/service-kit';
import { publicationsFor, type ChannelPublication } from './channels';

/** One stored publication of a channel: its offset (the history stream's sequence) and its data. */
export interface StoredPublication {
  offset: number;
  data: Record<string, unknown>;
  final: boolean;
}

export interface Recovery {
  /** True when every publication after the client's offset is still held (and returned). */
  recovered: boolean;
  publications: StoredPublication[];
  /** The channel's current offset (its last publication, or the history's position when it has none). */
  offset: number;
}

/** The history every gateway replica reads: what a channel published, and a live feed of it. */
export interface ChannelHistory {
  /** Names this history: it changes when the history stream is recreated (history lost). */
  epoch(): Promise<string>;
  /** Publications after `offset` on `subject` (at most the history size), or recovered=false. */
  since(subject: string, offset: number): Promise<Recovery>;
  /** The channel's last publication (its current state) and offset. */
  current(subject: string): Promise<{ offset: number; last: StoredPublication | null }>;
  /** Every stored publication, in history order, as it is stored (each replica gets all). */
  follow(onPublication: (subject: string, pub: StoredPublication) => void): Promise<() => void>;
}

type HistoryMsg = { data: Uint8Array; seq: number };
/** JsMsg names its headers `headers`, StoredMsg `header`. */
const headerOf = (m: HistoryMsg, key: string): string | undefined => {
  const h = (m as { headers?: { get(k: string): string } }).headers ?? (m as StoredMsg).header;
  return h?.get(key) || undefined;
};

const decode = (m: HistoryMsg): StoredPublication => {
  const data = JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>;
  return { offset: m.seq, data, final: headerOf(m, WS_FINAL_HEADER) === '1' };
};

/**
 * Channel history in a JetStream stream (`FILLSCHED_WS_HISTORY`, one subject per channel, the
 * last `historySize` publications per channel, 7 days). An offset is the stream sequence of a
 * publication; each one records the offset of its channel's previous publication (`Fs-Prev`), so a
 * gap left by the per-channel bound is seen. The epoch is the stream's creation time.
 */
export class NatsChannelHistory implements ChannelHistory {
  private jsmP: Promise<JetStreamManager> | null = null;
  private epochP: Promise<string> | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly historySize: number,
  ) {}

  private jsm(): Promise<JetStreamManager> {
    this.jsmP ??= jetstreamManager(this.nc);
    return this.jsmP;
  }

  async epoch(): Promise<string> {
    this.epochP ??= this.jsm()
      .then((jsm) => jsm.streams.info(WS_HISTORY_STREAM))
      .then((info) => String(Date.parse(info.created)))
      .catch((err: unknown) => {
        this.epochP = null;
        throw err;
      });
    return this.epochP;
  }

  private async get(query: { last_by_subj: string } | { seq: number; next_by_subj: string }) {
    const jsm = await this.jsm();
    try {
      return await jsm.direct.getMessage(WS_HISTORY_STREAM, query);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === 10037) return null; // no message found
      if (/no message found|not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }

  async current(subject: string): Promise<{ offset: number; last: StoredPublication | null }> {
    const m = await this.get({ last_by_subj: subject });
    if (m) return { offset: m.seq, last: decode(m) };
    const info = await (await this.jsm()).streams.info(WS_HISTORY_STREAM);
    return { offset: info.state.last_seq, last: null };
  }

  async since(subject: string, offset: number): Promise<Recovery> {
    const publications: StoredPublication[] = [];
    let seq = offset + 1;
    let firstPrev: number | null = null;
    // Bounded: a channel holds at most historySize publications.
    for (let i = 0; i <= this.historySize; i++) {
      const m: StoredMsg | null = await this.get({ seq, next_by_subj: subject });
      if (!m) break;
      if (firstPrev === null) firstPrev = Number(headerOf(m, WS_PREV_HEADER) ?? '0');
      publications.push(decode(m));
      seq = m.seq + 1;
    }
    const now = await this.current(subject);
    if (firstPrev === null) {
      // Nothing newer is held: recovered unless the client claims a position we never reached.
      return { recovered: offset <= now.offset, publications: [], offset: now.offset };
    }
    // The first newer publication follows the client's offset directly (prev === offset), or is the
    // channel's first ever (prev 0) while the client's position is not older than anything dropped.
    let recovered = firstPrev === offset;
    if (!recovered && firstPrev === 0) {
      const info = await (await this.jsm()).streams.info(WS_HISTORY_STREAM);
      recovered = offset >= info.state.first_seq - 1;
    }
    return { recovered, publications, offset: now.offset };
  }

  async follow(onPublication: (subject: string, pub: StoredPublication) => void): Promise<() => void> {
    const consumer = await jetstream(this.nc).consumers.get(WS_HISTORY_STREAM, {
      filter_subjects: `${WS_HISTORY_PREFIX}.>`,
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume({
      callback: (m: JsMsg) => {
        try {
          onPublication(m.subject, decode(m));
        } catch {
          // a malformed history entry is skipped
        }
      },
    });
    return () => void messages.stop();
  }
}

/** Appends channel publications to the history: `prev` chained, deduplicated by source event id. */
export class HistoryAppender {
  private readonly js;
  private readonly jsmP: Promise<JetStreamManager>;

  constructor(nc: NatsConnection) {
    this.js = jetstream(nc);
    this.jsmP = jetstreamManager(nc);
  }

  async append(pub: ChannelPublication): Promise<void> {
    const subject = wsHistorySubject(pub.channel, pub.userId);
    const body = new TextEncoder().encode(JSON.stringify(pub.data));
    const jsm = await this.jsmP;
    for (let attempt = 0; ; attempt++) {
      let last: StoredMsg | null = null;
      try {
        last = await jsm.direct.getMessage(WS_HISTORY_STREAM, { last_by_subj: subject });
      } catch (err) {
        if (!/no message found|not found/i.test((err as Error).message)) throw err;
      }
      // A finished resource channel takes nothing more (a late progress after `complete`).
      if (last && headerOf(last, WS_FINAL_HEADER) === '1' && pub.channel !== 'user') return;
      const prev = last?.seq ?? 0;
      const h = natsHeaders();
      h.set(WS_PREV_HEADER, String(prev));
      if (pub.final) h.set(WS_FINAL_HEADER, '1');
      try {
        await this.js.publish(subject, body, {
          headers: h,
          msgID: `${subject}|${pub.eventId}`,
          expect: { lastSubjectSequence: prev },
        });
        return;
      } catch (err) {
        // Another replica appended meanwhile: read the new last and chain after it.
        const wrongLast = err instanceof JetStreamApiError && (err.code === 10071 || err.code === 10164);
        if (!wrongLast || attempt >= 10) throw err;
      }
    }
  }
}

export interface HistoryWriter {
  stop(): Promise<void>;
}

/**
 * Follows the events and progress streams with durable consumers shared by every gateway replica
 * (one message in flight each, so per-channel order holds) and appends what clients see to the
 * channel history. Events published while no gateway runs are appended when one starts.
 */
export async function startHistoryWriter(opts: {
  nc: NatsConnection;
  logger: Logger;
  historySize: number;
  replicas?: number;
  clock?: () => Date;
}): Promise<HistoryWriter> {
  const { nc, logger } = opts;
  const now = opts.clock ?? (() => new Date());
  const durable = (stream: string, name: string, filter: string) => ({
    stream,
    durable_name: name,
    filter_subject: filter,
    ack_policy: 'explicit' as const,
    // An append takes milliseconds: a replica that died holding a message hands it on within 5 s.
    ack_wait: 5 * 1_000_000_000,
    max_ack_pending: 1,
    deliver_policy: 'new' as const,
  });
  await ensureStreams(
    nc,
    {
      // The streams it reads too (same specs as their owners: whoever starts first creates them).
      streams: [
        STREAM_SPECS.events,
        STREAM_SPECS.progress,
        wsHistoryStreamSpec(opts.historySize),
      ] as unknown as StreamSpec[],
      consumers: [
        durable(EVENTS_STREAM, WS_HISTORY_CONSUMERS.events, 'fillsched.events.>'),
        durable(PROGRESS_STREAM, WS_HISTORY_CONSUMERS.progress, 'fillsched.progress.>'),
      ] as unknown as ConsumerSpec[],
      replicas: opts.replicas,
    },
    logger,
  );
  const appender = new HistoryAppender(nc);
  const js = jetstream(nc);
  const loops: Array<{ messages: ConsumerMessages; done: Promise<void> }> = [];
  let stopping = false;
  for (const [stream, name] of [
    [EVENTS_STREAM, WS_HISTORY_CONSUMERS.events],
    [PROGRESS_STREAM, WS_HISTORY_CONSUMERS.progress],
  ] as const) {
    const consumer = await js.consumers.get(stream, name);
    const messages = await consumer.consume({ max_messages: 1 });
    const done = (async () => {
      for await (const m of messages) {
        if (stopping) {
          m.nak(); // pulled while stopping: straight back, for another replica
          continue;
        }
        let raw: unknown;
        try {
          raw = m.json();
        } catch {
          m.term();
          continue;
        }
        try {
          for (const pub of publicationsFor(m.subject, raw, now())) await appender.append(pub);
          m.ack();
        } catch (err) {
          logger.warn({ err: (err as Error).message, subject: m.subject }, 'ws history append failed');
          m.nak(500);
        }
      }
    })().catch((err: unknown) => logger.error({ err }, 'ws history writer stopped'));
    loops.push({ messages, done });
  }
  return {
    async stop() {
      stopping = true;
      for (const l of loops) l.messages.stop();
      await Promise.all(loops.map((l) => l.done));
    },
  };
}
