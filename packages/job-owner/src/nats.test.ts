import { RPC } from '@fillsched/contracts';
import { ServiceTimeoutError, ServiceUnavailableError, type RpcReply } from '@fillsched/service-kit';
import { scriptedServiceClient } from '@fillsched/service-kit/testing';
import { NatsConfigResolver } from './nats';

const user = { id: 1, email: 'a@example.com', is_superuser: false };

describe('NatsConfigResolver', () => {
  test('200 → resolved config and template id; the request carries user, config_id and config', async () => {
    const { client, calls } = scriptedServiceClient(() => ({
      status: 200,
      body: { config: { line_count: 2 }, template_id: 5 },
    }));
    const r = await new NatsConfigResolver(client, 1234).resolve(user, { config_id: 5, config: { a: 1 } });
    expect(r).toEqual({ kind: 'resolved', config: { line_count: 2 }, template_id: 5 });
    expect(calls).toEqual([
      {
        subject: RPC.config.resolve,
        payload: { user, body: { config_id: 5, config: { a: 1 } } },
        timeoutMs: 1234,
      },
    ]);
  });

  test('a missing template id is null', async () => {
    const { client } = scriptedServiceClient(() => ({ status: 200, body: { config: {} } }));
    expect(await new NatsConfigResolver(client).resolve(user, { config_id: null, config: null })).toEqual({
      kind: 'resolved',
      config: {},
      template_id: null,
    });
  });

  test('4xx → rejected with status and body to pass through', async () => {
    const { client } = scriptedServiceClient(() => ({
      status: 404,
      body: { detail: 'Configuration template not found' },
    }));
    expect(await new NatsConfigResolver(client).resolve(user, { config_id: 9, config: null })).toEqual({
      kind: 'rejected',
      status: 404,
      body: { detail: 'Configuration template not found' },
    });
  });

  test.each([
    ['a 500 reply', { status: 500, body: { detail: 'Internal server error' } }],
    ['a malformed 200', { status: 200, body: { config: [1] } }],
    ['a 200 without body', { status: 200, body: null }],
    ['no responders', new ServiceUnavailableError('config', 'no_responders')],
    ['a timeout', new ServiceTimeoutError('config')],
    ['any other error', new Error('boom')],
  ])('%s → unavailable', async (_what, answer) => {
    const { client } = scriptedServiceClient(() => answer as RpcReply | Error);
    const r = await new NatsConfigResolver(client).resolve(user, { config_id: null, config: null });
    expect(r.kind).toBe('unavailable');
  });
});
