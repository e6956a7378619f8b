import { RPC } from '@fillsched/contracts';
import { ServiceUnavailableError, type RpcReply, type RpcRequest } from '@fillsched/service-kit';
import { scriptedServiceClient } from '@fillsched/service-kit/testing';
import { makeActivities } from '../repos.contract';
import { NatsResultFetcher } from './nats';

describe('NatsResultFetcher', () => {
  const activities = makeActivities(5);
  const pageReply = (payload: RpcRequest, total = activities.length): RpcReply => {
    const { offset, limit } = payload.body as { offset: number; limit: number };
    return {
      status: 200,
      body: {
        result: { makespan: 10, lower_bound: 9, activities: ['must be ignored'] },
        activities: activities.slice(offset, offset + limit),
        total_activities: total,
      },
    };
  };

  test('reads every page in order and assembles the result', async () => {
    const { client, calls } = scriptedServiceClient((_s, p) => pageReply(p));
    const r = await new NatsResultFetcher(client, { pageSize: 2 }).fetch('schedule.1');
    expect(r).toEqual({ kind: 'ok', result: { makespan: 10, lower_bound: 9, activities } });
    expect(calls.map((c) => c.payload.body)).toEqual([
      { job_id: 'schedule.1', offset: 0, limit: 2 },
      { job_id: 'schedule.1', offset: 2, limit: 2 },
      { job_id: 'schedule.1', offset: 4, limit: 2 },
    ]);
    expect(calls.every((c) => c.subject === RPC.solver.result)).toBe(true);
  });

  test('a result with no activities takes one request', async () => {
    const { client, calls } = scriptedServiceClient(() => ({
      status: 200,
      body: { result: { makespan: 0 }, activities: [], total_activities: 0 },
    }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({
      kind: 'ok',
      result: { makespan: 0, activities: [] },
    });
    expect(calls).toHaveLength(1);
  });

  test('404 → not_found', async () => {
    const { client } = scriptedServiceClient(() => ({ status: 404, body: { detail: 'Result not found' } }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({ kind: 'not_found' });
  });

  test('a page that ends early (result changed underneath) → unavailable, never a loop', async () => {
    const { client, calls } = scriptedServiceClient((_s, p) => pageReply(p, 50));
    const r = await new NatsResultFetcher(client, { pageSize: 2 }).fetch('schedule.1');
    expect(r).toMatchObject({ kind: 'unavailable', reason: 'result page ended early' });
    expect(calls.length).toBeLessThanOrEqual(4);
  });

  test.each([
    ['a 500', { status: 500, body: {} }],
    ['a 422', { status: 422, body: {} }],
    ['a malformed page', { status: 200, body: { activities: 'x' } }],
    ['no responders', new ServiceUnavailableError('solver', 'no_responders')],
  ])('%s → unavailable', async (_what, answer) => {
    const { client } = scriptedServiceClient(() => answer as RpcReply | Error);
    expect((await new NatsResultFetcher(client).fetch('schedule.1')).kind).toBe('unavailable');
  });
});
