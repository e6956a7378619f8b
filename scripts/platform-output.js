// What `npm start` prints itself: the banner, and its own log lines (readable on a terminal, JSON
// lines otherwise, like the services' logs; LOG_FORMAT=json|pretty overrides).
'use strict';

/** The banner printed once NATS and the store are up, before any service logs. */
function bannerText(info) {
  const row = (k, v) => `  ${k.padEnd(9)}${v}\n`;
  const store = info.store.durable
    ? `${info.store.url}  ${info.store.what} (durable)`
    : `${info.store.url}  ${info.store.what}: NOT durable, data is lost when the platform stops`;
  return (
    '\n  Filling Scheduler\n' +
    (info.console ? row('console', `${info.console}  (the planner's console in the browser)`) : '') +
    row('API', info.api) +
    row('docs', `${info.docs}  (ReDoc /redoc, OpenAPI /openapi.json)`) +
    row('NATS', `${info.nats.url}  ${info.nats.why}; event consumers connect here (docs/events.md)`) +
    (info.nats.adminCredentials
      ? row('', `one NATS user per service; operators and consumers: ${info.nats.adminCredentials}`)
      : '') +
    row('store', store) +
    row('services', info.services.join(', ')) +
    '  Ctrl-C stops the services, then NATS and the store.\n\n'
  );
}

function pretty(stream, env) {
  const forced = (env.LOG_FORMAT || '').toLowerCase();
  if (forced === 'json' || forced === 'pretty') return forced === 'pretty';
  return Boolean(stream.isTTY);
}

/** log(msg, extra): one line on `stream`; `extra.level` sets the level (default info). */
function platformLogger(stream, env = process.env) {
  const readable = pretty(stream, env);
  return (msg, extra = {}) => {
    const { level = 'info', ...fields } = extra;
    const time = new Date().toISOString();
    if (!readable) {
      stream.write(JSON.stringify({ level, time, service: 'platform', msg, ...fields }) + '\n');
      return;
    }
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    stream.write(
      `[${time.slice(11, 23)}] ${level.toUpperCase()}: platform: ${msg}${rest ? ' ' + rest : ''}\n`,
    );
  };
}

module.exports = { bannerText, platformLogger };
