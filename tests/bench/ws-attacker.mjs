#!/usr/bin/env node
// The attack of issue 11, in its own process so it does not slow the measuring one: N sockets of one
// user that never read, each sending F {"type":"ping"} frames in a bounded loop.
// Usage: node tests/bench/ws-attacker.mjs <ws-url> <token> <sockets> <frames>
import WebSocket from 'ws';

const [url, token, sockets = '20', frames = '300000'] = process.argv.slice(2);
const codes = [];
await Promise.all(
  Array.from(
    { length: Number(sockets) },
    () =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${url}?token=${token}`);
        ws.on('error', () => undefined);
        ws.on('close', (code) => {
          codes.push(code);
          resolve();
        });
        ws.on('open', async () => {
          ws._socket.pause(); // never reads
          const frame = JSON.stringify({ type: 'ping' });
          for (let i = 0; i < Number(frames); i++) {
            if (ws.readyState !== WebSocket.OPEN) break;
            ws.send(frame);
            if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
          }
          // Read again so the close (or its absence) is seen; give up after 20 s.
          ws._socket.resume();
          setTimeout(() => ws.terminate(), 20_000).unref();
        });
      }),
  ),
);
const byCode = {};
for (const c of codes) byCode[c] = (byCode[c] ?? 0) + 1;
process.stdout.write(JSON.stringify({ closes: byCode }) + '\n');
process.exit(0);
