#!/usr/bin/env node
// Example client of the multiplexed WebSocket /api/v1/ws (docs/websocket.md): subscribes to
// channels, reconnects with backoff (trying each gateway URL in turn) and resumes every channel
// from the last offset it saw, so no publication is lost across a reconnect.
//
//   node examples/ws-client.mjs http://localhost:8000 "$TOKEN" user schedule:1
//
// prints one JSON line per server message (opens, closes and gaps go to stderr); the token may also
// come from $TOKEN. CI runs it against a real platform
// (tests/system/ws.test.ts). Only dependency: the `ws` package.
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

/** Close codes after which reconnecting as is cannot help (docs/websocket.md). */
export const DO_NOT_RECONNECT = new Set([1008, 1009, 4400, 4401, 4404, 4429]);

export class ResumingClient extends EventEmitter {
  /**
   * @param {object} opts
   * @param {string[]} opts.urls gateway base URLs (http://host:port), tried in turn on reconnect
   * @param {string} opts.token access token (sent as the `bearer, <token>` subprotocol)
   * @param {string[]} opts.channels e.g. ['user', 'schedule:42']
   * @param {number} [opts.minBackoffMs] first reconnect delay (doubles up to maxBackoffMs)
   * @param {number} [opts.maxBackoffMs]
   */
  constructor({ urls, token, channels, minBackoffMs = 250, maxBackoffMs = 10_000 }) {
    super();
    this.urls = urls;
    this.token = token;
    this.channels = channels;
    this.minBackoffMs = minBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    /** channel → { offset, epoch }: where to resume. */
    this.positions = new Map();
    this.attempt = 0;
    this.urlIndex = 0;
    this.stopped = false;
    this.ws = null;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'client done');
  }

  connect() {
    const base = this.urls[this.urlIndex % this.urls.length];
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws`, ['bearer', this.token]);
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.emit('open', base);
      for (const channel of this.channels) {
        const since = this.positions.get(channel);
        ws.send(JSON.stringify({ type: 'subscribe', channel, ...(since ? { since } : {}) }));
      }
    });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === 'subscribed') {
        const known = this.positions.get(msg.channel);
        // Not recovered: what follows is the channel's current state, not the missed publications.
        if (known && !msg.recovered) this.emit('gap', msg.channel);
        this.positions.set(msg.channel, { offset: msg.offset, epoch: msg.epoch });
      } else if (msg.type === 'publication') {
        const pos = this.positions.get(msg.channel);
        if (pos) pos.offset = msg.offset;
      }
      this.emit('message', msg);
    });
    ws.on('error', (err) => this.emit('socket-error', err));
    ws.on('close', (code, reason) => {
      this.emit('close', code, String(reason));
      if (this.stopped || ws !== this.ws) return;
      if (DO_NOT_RECONNECT.has(code)) {
        this.stopped = true;
        this.emit('fatal', code, String(reason));
        return;
      }
      const delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** this.attempt++);
      this.urlIndex++;
      this.timer = setTimeout(() => this.connect(), delay * (0.5 + Math.random() / 2));
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, argToken, ...channels] = process.argv.slice(2);
  const token = argToken === '-' ? process.env.TOKEN : argToken;
  if (!url || !token || channels.length === 0) {
    console.error('usage: node examples/ws-client.mjs <gateway-url>[,<url>...] <token> <channel>...');
    process.exit(2);
  }
  const client = new ResumingClient({
    urls: url.split(','),
    token,
    channels,
    maxBackoffMs: Number(process.env.WS_CLIENT_MAX_BACKOFF_MS || 10_000),
  }).start();
  client.on('message', (msg) => console.log(JSON.stringify(msg)));
  client.on('open', (base) => console.error(`open ${base}`));
  client.on('close', (code, reason) => console.error(`closed ${code} ${reason}`));
  client.on('gap', (channel) => console.error(`gap ${channel}: resumed from its current state`));
  client.on('fatal', () => process.exit(1));
  process.on('SIGINT', () => {
    client.stop();
    process.exit(0);
  });
}
