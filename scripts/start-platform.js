#!/usr/bin/env node
// `npm start`: the whole platform on this machine. Prints one banner (API, docs, NATS and store in
// use), then the services' logs; Ctrl-C (SIGINT) or SIGTERM stops services first, then NATS and the
// store, and ends with `platform stopped`. Every child runs in its own process group, so Ctrl-C
// reaches only this launcher, which decides the order.
'use strict';
const { startPlatform } = require('./platform');
const { bannerText, platformLogger } = require('./platform-output');

const t0 = Date.now();
const log = platformLogger(process.stderr);
const starting = startPlatform({
  ownProcessGroups: true,
  log,
  onInfrastructure: (info) => process.stderr.write(bannerText(info)),
});

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log('stopping: services first, then NATS and the store', { signal });
  const s0 = Date.now();
  // a signal during start waits for the start to finish, then stops what it started
  const platform = await starting.catch(() => null);
  if (platform) await platform.stop();
  log('platform stopped', { stop_ms: Date.now() - s0 });
  process.exit(0);
}
// Registered before anything starts, so an early Ctrl-C also stops cleanly.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(sig));

starting.then(
  (platform) => {
    if (stopping) return;
    log('platform ready', {
      gateway: `${platform.gatewayUrl}/api/v1`,
      docs: `${platform.gatewayUrl}/docs`,
      console: `${platform.gatewayUrl}/console/`,
      ready_ms: Date.now() - t0,
    });
  },
  (err) => {
    log('platform failed to start', { level: 'error', error: String(err && err.message) });
    if (!stopping) process.exit(1);
  },
);
