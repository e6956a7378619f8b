// Child process for shutdown.test.ts: exercises installProcessErrorHandlers' policy.
require('./swc-register');
const path = require('node:path');
const { installProcessErrorHandlers } = require(path.join(__dirname, '..', 'shutdown.ts'));
const { createLogger } = require(path.join(__dirname, '..', 'logging.ts'));

const logger = createLogger('errors-child', 'info');
installProcessErrorHandlers(logger);
void Promise.reject(new Error('nobody caught me'));
setTimeout(() => {
  logger.info({ event: 'still-alive' });
  setTimeout(() => {
    throw new Error('boom');
  }, 10);
}, 50);
setInterval(() => undefined, 1000);
