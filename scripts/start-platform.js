#!/usr/bin/env node
// `npm start`: the whole platform on this machine; Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
'use strict';
const { startPlatform } = require('./platform');

const t0 = Date.now();
startPlatform()
  .then((platform) => {
    process.stderr.write(
      JSON.stringify({
        level: 'info',
        service: 'platform',
        msg: 'platform ready',
        gateway: `${platform.gatewayUrl}/api/v1`,
        docs: `${platform.gatewayUrl}/docs`,
        ready_ms: Date.now() - t0,
      }) + '\n',
    );
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await platform.stop();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch((err) => {
    process.stderr.write(
      JSON.stringify({ level: 'error', service: 'platform', msg: String(err && err.message) }) + '\n',
    );
    process.exit(1);
  });
