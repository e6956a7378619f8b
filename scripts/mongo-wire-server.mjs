#!/usr/bin/env node
// Starts an embedded MongoDB wire-protocol server (CongoDB from @push.rocks/smartmongo) for
// development and CI, where no real mongod can run. It is NOT durable and does not enforce
// unique indexes, TTL, transactions or change streams (see SPEC §2).
// Prints one JSON line {"url": "mongodb://127.0.0.1:<port>/"} on stdout once it listens,
// and stops on SIGTERM/SIGINT or when its parent's stdin closes.
import net from 'node:net';
import { congodb } from '@push.rocks/smartmongo';

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const requested = Number(process.env.MONGO_WIRE_PORT ?? 0);
const port = requested > 0 ? requested : await freePort();
const server = new congodb.CongoServer({ port, host: '127.0.0.1', storage: 'memory' });
await server.start();
process.stdout.write(JSON.stringify({ url: `mongodb://127.0.0.1:${port}/` }) + '\n');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.env.MONGO_WIRE_EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
