import { WebSocket } from 'ws';
import { WS_CLOSE, WS_LIMITS } from '@fillsched/contracts';

/** Protection limits of every WebSocket of the gateway (per replica; docs/websocket.md). */
export interface WsLimits {
  maxFrameBytes: number;
  /** Bytes waiting to be sent to one socket before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  socketsPerUser: number;
  subscriptionsPerSocket: number;
  inboundPerSecond: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  maxFrameBytes: WS_LIMITS.maxFrameBytes,
  maxBufferedBytes: WS_LIMITS.maxBufferedBytes,
  socketsPerUser: WS_LIMITS.socketsPerUser,
  subscriptionsPerSocket: WS_LIMITS.subscriptionsPerSocket,
  inboundPerSecond: WS_LIMITS.inboundPerSecond,
};

/**
 * Closes a socket for good: the close frame is sent, reading stops at once (what the peer keeps
 * sending stays in its own buffers, not ours) and the socket is destroyed after a short grace.
 */
export function closeAndStopReading(ws: WebSocket, code: number, reason: string): void {
  try {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)
      ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    ws.pause();
  } catch {
    ws.terminate();
    return;
  }
  // Long enough for a peer that reads again to get the close frame; nothing more is read or queued.
  setTimeout(() => ws.terminate(), 5000).unref();
}

/** The per-socket side: inbound rate and outbound buffer. */
export class SocketGuard {
  private windowStart = 0;
  private count = 0;
  closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: WsLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one inbound message; false (and the socket closed with 4429) when over the rate. */
  inbound(): boolean {
    if (this.closed) return false;
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.count = 0;
    }
    if (++this.count > this.limits.inboundPerSecond) {
      this.abort(WS_CLOSE.rateLimited, `More than ${this.limits.inboundPerSecond} messages per second`);
      return false;
    }
    return true;
  }

  /** Sends unless the socket's send buffer would pass the cap (then closes it with 4002). */
  send(text: string): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount + Buffer.byteLength(text) > this.limits.maxBufferedBytes) {
      this.abort(WS_CLOSE.slowConsumer, 'Slow consumer: send buffer full');
      return false;
    }
    this.ws.send(text);
    return true;
  }

  abort(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    closeAndStopReading(this.ws, code, reason);
  }
}

/** Sockets per user on this replica; `acquire` false when the user is at the cap. */
export class UserSockets {
  private readonly counts = new Map<number, number>();

  constructor(private readonly max: () => number) {}

  acquire(userId: number): (() => void) | null {
    const n = this.counts.get(userId) ?? 0;
    if (n >= this.max()) return null;
    this.counts.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(userId) ?? 1) - 1;
      if (left <= 0) this.counts.delete(userId);
      else this.counts.set(userId, left);
    };
  }

  count(userId: number): number {
    return this.counts.get(userId) ?? 0;
  }
}
