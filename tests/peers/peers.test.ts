// The peer harness itself: the CI-fails-else-skip rule of describeIfPeer, and that the NATS peer
// runs the binary it says (floor = Debian 2.9, current = the pinned release, or the one chosen).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describeIfPeer, nats } from '.';
import versions from './versions.json';

/** Runs describeIfPeer for a peer that has no module, in a child node with stand-in jest globals. */
function describeMissingPeer(env: Record<string, string>) {
  const script = `
    const calls = [];
    global.describe = (t, fn) => { calls.push(['describe', t]); fn(); };
    global.describe.skip = (t) => calls.push(['skip', t]);
    global.test = (t, fn) => { try { fn(); calls.push(['test-passed', t]); } catch (e) { calls.push(['test-failed', t, e.message]); } };
    require(${JSON.stringify(path.join(__dirname, 'index.js'))}).describeIfPeer('no-such-peer', 'missing smoke', () => {});
    console.log(JSON.stringify(calls));`;
  const res = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', FILLSCHED_PEERS_CACHE: '/nonexistent-peers-cache', ...env },
  });
  return { calls: JSON.parse(res.stdout) as string[][], stderr: res.stderr };
}

describe('describeIfPeer', () => {
  it('outside CI: describe.skip after one line naming what is missing', () => {
    const { calls, stderr } = describeMissingPeer({ CI: 'false' });
    expect(calls).toEqual([['skip', 'missing smoke']]);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/\[peers\] no-such-peer unavailable: .+ — skipping "missing smoke"/);
  });

  it('with CI=true: one failing test carrying the reason', () => {
    const { calls } = describeMissingPeer({ CI: 'true' });
    expect(calls[0]).toEqual(['describe', 'missing smoke']);
    expect(calls[1][0]).toBe('test-failed');
    expect(calls[1][2]).toMatch(/no-such-peer unavailable: .+CI=true/);
    expect(calls).toHaveLength(2);
  });
});

describeIfPeer('nats', 'NATS peer', () => {
  async function serverVersion(opts: Parameters<typeof nats.start>[0]) {
    const server = await nats.start(opts);
    try {
      const nc = await connect({ servers: server.url });
      const info = nc.info!;
      await nc.close();
      return info;
    } finally {
      await server.stop();
    }
  }

  const has = (flavor: 'floor' | 'current') => nats.availability(flavor).ok;

  (has('floor') ? it : it.skip)('floor is a 2.9 server with JetStream and 8 MB payloads', async () => {
    const info = await serverVersion({ flavor: 'floor' });
    expect(info.version).toMatch(/^2\.9\./);
    expect(info.jetstream).toBe(true);
    expect(info.max_payload).toBe(8 * 1024 * 1024);
  });

  (has('current') ? it : it.skip)('current is the release pinned in versions.json', async () => {
    const info = await serverVersion({ flavor: 'current' });
    expect(`v${info.version}`).toBe(versions.nats.current.version);
  });

  it('without a flavour runs the binary chosen for this run ($FILLSCHED_NATS_SERVER), else the floor', async () => {
    const expected = process.env[nats.SERVER_ENV] ?? nats.natsServerBinary('floor');
    expect(nats.natsServerBinary()).toBe(expected);
    const info = await serverVersion({});
    expect(`v${info.version}`).toBe(nats.natsServerVersion(expected));
  });
});
