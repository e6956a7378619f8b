// System test of tracing (issue 14 item 4): every service exports spans to an in-test OTLP/HTTP
// receiver; one POST /schedule must yield one trace running gateway → schedule → solver → schedule
// and solver → gateway (the WebSocket relay of `completed`), linked through NATS headers.
import {
  startOtlpReceiver,
  type ReceivedSpan,
} from '../../packages/service-kit/src/test-support/otlp-receiver';
import { ApiClient, collectWs, lotsFromCsv, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

/** Services from the root down to `span`, with consecutive spans of one service collapsed. */
function serviceChain(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): string[] {
  const chain: string[] = [];
  for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) {
    if (chain[0] !== s.service) chain.unshift(s.service);
  }
  return chain;
}

/** Whether `span`'s parent chain reaches the trace's root span (no hop lost its context). */
function reachesRoot(span: ReceivedSpan, root: ReceivedSpan, byId: Map<string, ReceivedSpan>): boolean {
  for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) if (s === root) return true;
  return false;
}

describe('one trace per schedule across every hop', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let platform: any;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      solvers: 1,
      stdio: 'ignore',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  test('POST /schedule → job → solve → completed → owner and WebSocket relay share one trace', async () => {
    const client = new ApiClient(platform.gatewayUrl);
    await client.registerAndLogin('tracing@example.com');
    // milp-opt uses its time budget here, so the WebSocket is live before `completed` is published.
    const created = await client.request('POST', '/schedule', {
      name: 'traced',
      lots_data: lotsFromCsv(sharedPath('data/lots/lots_large.csv')).slice(0, 40),
      strategy: 'milp-opt',
      config: { line_count: 3 },
      time_limit_s: 3,
    });
    expect(created.status).toBe(202);
    const live = await collectWs(client.wsUrl('schedule', created.body.id));
    expect(live.messages[live.messages.length - 1]).toMatchObject({ type: 'complete' });

    const root = await waitUntil(
      async () => receiver.spans.find((s) => s.service === 'gateway' && /^POST \S*\/schedule$/.test(s.name)),
      15_000,
      'the gateway span of POST /schedule',
    );
    expect(root.parentSpanId).toBe('');
    const inTrace = () => receiver.spans.filter((s) => s.traceId === root.traceId);
    const isRelayOfCompleted = (s: ReceivedSpan) =>
      s.service === 'gateway' && s.name.startsWith('ws relay ') && s.name.endsWith('.completed');
    const isOwnerConsumingCompleted = (s: ReceivedSpan) =>
      s.service === 'schedule' && s.name.startsWith('process ') && s.name.endsWith('.completed');
    await waitUntil(
      async () => inTrace().some(isRelayOfCompleted) && inTrace().some(isOwnerConsumingCompleted),
      15_000,
      'the relay and the owner spans of `completed` in the trace',
    );

    const spans = inTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect([...new Set(spans.map((s) => s.service))]).toEqual(
      expect.arrayContaining(['gateway', 'schedule', 'solver']),
    );
    for (const s of spans) expect(reachesRoot(s, root, byId)).toBe(true);

    const solve = spans.find((s) => s.service === 'solver' && s.name === 'solve');
    expect(solve).toBeDefined();
    expect(serviceChain(solve!, byId)).toEqual(['gateway', 'schedule', 'solver']);

    const owner = spans.find(isOwnerConsumingCompleted)!;
    expect(serviceChain(owner, byId)).toEqual(['gateway', 'schedule', 'solver', 'schedule']);

    const relay = spans.find(isRelayOfCompleted)!;
    expect(serviceChain(relay, byId)).toEqual(['gateway', 'schedule', 'solver', 'schedule', 'gateway']);
    // The relay sends `complete` on the owner's own announcement: no confirming call to the
    // schedule service hangs under it (the old 50 ms schedule.get poll is gone).
    expect(
      spans.some((s) => s.service === 'schedule' && s.name.startsWith('rpc ') && reachesRoot(s, relay, byId)),
    ).toBe(false);
  });
});
