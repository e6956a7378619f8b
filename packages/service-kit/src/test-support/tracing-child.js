// Child process for tracing.test.ts (the OTLP exporter loads node:http with a dynamic import,
// which jest's module sandbox refuses): with the OTEL env of the parent, starts tracing, makes a
// sender span whose context crosses NATS headers to a receiver span, flushes, prints the header.
require('./swc-register');
const path = require('node:path');
const { headers: natsHeaders } = require('@nats-io/transport-node');
const t = require(path.join(__dirname, '..', 'tracing.ts'));

(async () => {
  const handle = t.startTracing('kit-test');
  const h = natsHeaders();
  await t.inSpan('sender', {}, async () => t.injectTraceContext(h));
  await t.inSpan('receiver', { parent: t.traceContextFrom(h) }, async () => undefined);
  await handle.shutdown();
  process.stdout.write(JSON.stringify({ enabled: handle.enabled, traceparent: h.get('traceparent') }));
})();
