// Child process for shutdown.test.ts: installs the shutdown sequence, prints READY, then waits
// for a signal. argv[2] picks the scenario.
require('./swc-register');
const path = require('node:path');
const { installShutdown } = require(path.join(__dirname, '..', 'shutdown.ts'));
const { createLogger } = require(path.join(__dirname, '..', 'logging.ts'));

const mode = process.argv[2] ?? 'ok';
const logger = createLogger('shutdown-child', 'info');
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const step = (name, fn) => ({
  name,
  run: async () => {
    logger.info({ event: 'step-start', name });
    await fn();
  },
});

installShutdown({
  logger,
  timeoutMs: mode === 'hang' ? 300 : 5000,
  onBegin: () => logger.info({ event: 'on-begin' }),
  steps: [
    step('stop-consuming', () => delay(100)),
    step('drain-nats', () => (mode === 'hang' ? new Promise(() => undefined) : delay(20))),
    step('close-mongo', async () => {
      if (mode === 'fail') throw new Error('mongo close failed');
    }),
    step('close-http', () => delay(1)),
  ],
});
// Keep the event loop alive like a real service would.
setInterval(() => undefined, 1000);
process.stdout.write('READY\n');
