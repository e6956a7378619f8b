import { headers as natsHeaders } from '@nats-io/transport-node';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startOtlpReceiver } from './test-support/otlp-receiver';
import {
  currentTraceparent,
  inSpan,
  injectTraceContext,
  startTracing,
  tracing,
  tracingEnabled,
  TRACEPARENT_HEADER,
} from './tracing';

const run = promisify(execFile);

describe('tracing switch (off by default)', () => {
  test('on only with an OTLP endpoint and without OTEL_SDK_DISABLED=true', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' })).toBe(true);
    expect(
      tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBe(false);
  });

  test('with no OTEL env nothing is started: spans do not record and no traceparent is sent', async () => {
    const handle = startTracing('test', { env: {} });
    expect(handle.enabled).toBe(false);
    expect(tracing().enabled).toBe(false);
    await inSpan('work', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(currentTraceparent()).toBeUndefined();
      const h = natsHeaders();
      injectTraceContext(h);
      expect(h.has(TRACEPARENT_HEADER)).toBe(false);
    });
  });
});

describe('tracing on', () => {
  test('exports spans over OTLP/HTTP JSON with the service name; context crosses NATS headers', async () => {
    const receiver = await startOtlpReceiver();
    let out: { enabled: boolean; traceparent: string };
    try {
      const { stdout } = await run(
        process.execPath,
        [path.join(__dirname, 'test-support', 'tracing-child.js')],
        {
          env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
          timeout: 20_000,
        },
      );
      out = JSON.parse(stdout);
    } finally {
      await receiver.close();
    }
    expect(out.enabled).toBe(true);
    expect(out.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const byName = Object.fromEntries(receiver.spans.map((s) => [s.name, s]));
    expect(byName.sender).toMatchObject({ service: 'kit-test', parentSpanId: '' });
    // The receiving side continued the trace from the header alone.
    expect(out.traceparent).toBe(`00-${byName.sender.traceId}-${byName.sender.spanId}-01`);
    expect(byName.receiver).toMatchObject({
      service: 'kit-test',
      traceId: byName.sender.traceId,
      parentSpanId: byName.sender.spanId,
    });
  });
});
