// Durability (issue 2): SIGKILL the solver while it holds a job, start another, and the schedule
// still completes exactly once: one result document and one `completed` event.
import mongoose from 'mongoose';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, lifecycleSubject } from '@fillsched/contracts';
import { ApiClient, lotsFromCsv, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(240_000);

describe('a killed solver loses nothing', () => {
  let platform: any;

  beforeAll(async () => {
    // a shorter ack_wait than the production 30 s keeps the test quick; the mechanism is the same
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      solvers: 1,
      stdio: 'ignore',
      env: { SOLVER_ACK_WAIT_S: '10' },
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  test('the job is redelivered to another worker and completes exactly once', async () => {
    const client = new ApiClient(platform.gatewayUrl);
    await client.registerAndLogin('durable@example.com');
    // milp-opt uses its whole time budget on this instance, so the worker holds the job for seconds
    const lots = lotsFromCsv(sharedPath('data/lots/lots_large.csv')).slice(0, 60);
    const created = await client.request('POST', '/schedule', {
      name: 'durability',
      lots_data: lots,
      strategy: 'milp-opt',
      config: { line_count: 3 },
      time_limit_s: 8,
    });
    expect(created.status).toBe(202);
    const id = created.body.id;

    await waitUntil(
      async () => (await client.request('GET', `/schedule/${id}`)).body.status === 'running',
      30_000,
      'running',
    );
    platform.procs.get('solver-1').kill('SIGKILL');
    platform.startSolver('solver-2');

    const done = await waitUntil(
      async () => {
        const r = await client.request('GET', `/schedule/${id}`);
        return ['completed', 'failed'].includes(r.body.status) ? r : null;
      },
      180_000,
      'completion after redelivery',
    );
    expect(done.body.status).toBe('completed');
    expect(done.body.result.lots_scheduled).toBe(lots.length);

    const conn = await mongoose
      .createConnection(platform.mongoUrl, {
        dbName: 'fillsched_solver',
        directConnection: true,
        serverMonitoringMode: 'poll',
      })
      .asPromise();
    try {
      const docs = await conn.collection('solve_results').countDocuments({ job_id: `schedule.${id}` });
      expect(docs).toBe(1);
    } finally {
      await conn.close();
    }

    const nc = await connect({ servers: platform.natsUrl, ...platform.natsAdmin });
    try {
      const jsm = await jetstreamManager(nc);
      const subject = lifecycleSubject('schedule', id, 'completed');
      const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subject });
      expect(info.state.subjects?.[subject]).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
