#!/usr/bin/env node
// Prepares peers before tests: `node tests/peers/prepare.js [names…]` (default: every known peer
// whose module exists in this checkout). Each peer's prepare() builds or fetches what it needs into
// the cache, timed. With CI=true a peer that cannot be set up makes this exit non-zero naming it and
// why; elsewhere one line per unavailable peer, and its tests will skip.
'use strict';
const { PEER_NAMES, loadPeer } = require('./index');

function log(msg) {
  process.stderr.write(`[peers] ${msg}\n`);
}

async function main(argv) {
  const unknown = argv.filter((n) => !PEER_NAMES.includes(n));
  if (unknown.length) {
    log(`unknown peer(s) ${unknown.join(', ')}; known: ${PEER_NAMES.join(', ')}`);
    return 2;
  }
  const names = argv.length ? argv : PEER_NAMES;
  const failed = [];
  for (const name of names) {
    const peer = loadPeer(name);
    if (!peer) {
      // Asked for by name → the caller expects it; the default list tolerates peers not written yet.
      if (argv.length) failed.push({ name, reason: `no module tests/peers/${name}.js` });
      continue;
    }
    const t0 = Date.now();
    try {
      await peer.prepare({ log: (msg) => log(`${name}: ${msg}`) });
      log(`${name} ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed.push({ name, reason: err.message });
      log(`${name} unavailable after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${err.message}`);
    }
  }
  if (failed.length && process.env.CI === 'true') {
    log(`CI=true: cannot set up ${failed.map((f) => f.name).join(', ')}; failing the run`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    log(`prepare crashed: ${err.stack || err}`);
    process.exit(1);
  },
);
