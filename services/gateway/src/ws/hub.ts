import { bindTraceContext, inSpan, SpanKind, type Logger } from '@fillsched/service-kit';
import { wsChannels } from '../metrics';
import type { EventSource, Unsubscribe } from '../ports';
import type { Outgoing } from './messages';

/** Receives a channel's translated messages (a socket, or later a multiplexed session). */
export interface ChannelMember {
  deliver(out: Outgoing): void;
}

export interface ChannelSpec {
  /** NATS subjects feeding the channel (wildcards allowed). */
  subjects: string[];
  /** Turns one NATS message into zero or one outgoing message; may be async (e.g. read-your-writes checks). */
  translate(subject: string, data: unknown): Outgoing | null | Promise<Outgoing | null>;
}

interface Channel {
  key: string;
  spec: ChannelSpec;
  members: Set<ChannelMember>;
  unsubscribes: Unsubscribe[];
  /** Messages are translated and fanned out strictly in arrival order. */
  queue: Promise<void>;
  /** The final message once seen: late joiners of a finished channel get it at once. */
  final: Outgoing | null;
}

/**
 * Channels named like `schedule.42` (Centrifugo-style): one set of NATS subscriptions per channel,
 * shared by every member watching it and reference-counted, so N sockets on one schedule cost one
 * subscription and one translation per message. The single-resource endpoints use one channel per
 * socket; a multiplexed endpoint can join several channels per connection with the same API.
 */
export class ChannelHub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly events: EventSource,
    private readonly logger: Logger,
  ) {}

  /** Joins (creating and subscribing on first use); returns the leave function (idempotent). */
  join(key: string, spec: () => ChannelSpec, member: ChannelMember): () => void {
    let ch = this.channels.get(key);
    if (!ch) {
      const created: Channel = {
        key,
        spec: spec(),
        members: new Set(),
        unsubscribes: [],
        queue: Promise.resolve(),
        final: null,
      };
      for (const subject of created.spec.subjects) {
        created.unsubscribes.push(
          this.events.subscribe(subject, (subj, data) => this.dispatch(created, subj, data)),
        );
      }
      this.channels.set(key, created);
      wsChannels.set(this.channels.size);
      ch = created;
    }
    const channel = ch;
    channel.members.add(member);
    if (channel.final) member.deliver(channel.final);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      channel.members.delete(member);
      if (channel.members.size === 0 && this.channels.get(key) === channel) {
        this.channels.delete(key);
        wsChannels.set(this.channels.size);
        for (const u of channel.unsubscribes) u();
      }
    };
  }

  channelCount(): number {
    return this.channels.size;
  }

  memberCount(key: string): number {
    return this.channels.get(key)?.members.size ?? 0;
  }

  private dispatch(channel: Channel, subject: string, data: unknown): void {
    // A span per relayed message, child of the event's own trace context (current at arrival).
    const relay = bindTraceContext((fn: () => Promise<void>) =>
      inSpan(`ws relay ${subject}`, { kind: SpanKind.CONSUMER, attributes: { channel: channel.key } }, fn),
    );
    channel.queue = channel.queue
      .then(() =>
        relay(async () => {
          if (channel.final) return;
          const out = await channel.spec.translate(subject, data);
          if (!out) return;
          if (out.final) channel.final = out;
          for (const m of [...channel.members]) {
            try {
              m.deliver(out);
            } catch (err) {
              this.logger.warn({ err, channel: channel.key }, 'delivering to a channel member failed');
            }
          }
        }),
      )
      .catch((err: unknown) =>
        this.logger.error({ err, channel: channel.key, subject }, 'channel message failed'),
      );
  }
}
