// Entry point for tests: every peer module, and describeIfPeer, which applies the peer rule to a
// jest describe block (CI=true: a missing peer fails the run with its reason; elsewhere its tests
// skip after one line saying what is missing).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Peer modules in the order prepare.js sets them up; some are written in parallel, so may be absent. */
const PEER_NAMES = ['nats', 'ferretdb', 'kafka', 'python', 'chromium'];

/** The peer module `name`, or null when this checkout has no tests/peers/<name>.js. */
function loadPeer(name) {
  const file = path.join(__dirname, `${name}.js`);
  return fs.existsSync(file) ? require(file) : null;
}

function peerAvailability(name) {
  const peer = loadPeer(name);
  if (!peer) return { ok: false, reason: `no peer module tests/peers/${name}.js` };
  try {
    return peer.availability();
  } catch (err) {
    return { ok: false, reason: `availability() failed: ${err.message}` };
  }
}

/**
 * `describe(title, fn)` when the peer is available. Otherwise, with CI=true, a describe whose one
 * test fails with the reason; elsewhere `describe.skip` after one stderr line naming what is missing.
 */
function describeIfPeer(peerName, title, fn) {
  const status = peerAvailability(peerName);
  if (status.ok) return describe(title, fn);
  if (process.env.CI === 'true')
    return describe(title, () => {
      test(`peer ${peerName} is available`, () => {
        throw new Error(`[peers] ${peerName} unavailable: ${status.reason} (CI=true: a missing peer fails)`);
      });
    });
  process.stderr.write(`[peers] ${peerName} unavailable: ${status.reason} — skipping "${title}"\n`);
  return describe.skip(title, fn);
}

module.exports = { PEER_NAMES, loadPeer, peerAvailability, describeIfPeer };
for (const name of PEER_NAMES) {
  // Lazy (`peers.nats` loads nats.js on first use; null when absent), so requiring index.js never
  // loads, or fails on, a peer the caller does not use.
  Object.defineProperty(module.exports, name, { enumerable: true, get: () => loadPeer(name) });
}
