// Issue 12 item 1 (internal trust): the platform's private nats-server runs with the generated
// authorization (one user per service, the permission matrix of contracts/nats-permissions.ts).
// A client without credentials cannot connect; one with another service's credentials can neither
// read the auth traffic (login passwords) nor get an RPC answered "as" a user; the services, with
// their own users, still do the whole flow without one permission violation.
import { RPC } from '@fillsched/contracts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ApiClient } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

interface Rogue {
  nc: NatsConnection;
  errors: string[];
}

async function rogue(url: string, creds: { user: string; pass: string }, name: string): Promise<Rogue> {
  // its own inbox, so that only the permission on the request subject decides
  const nc = await connect({
    servers: url,
    ...creds,
    name,
    maxReconnectAttempts: 0,
    inboxPrefix: `_INBOX.${creds.user}`,
  });
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status())
      if (s.type === 'error') errors.push(String(s.error?.message ?? s.error));
  })();
  return { nc, errors };
}

const loginForm = (username: string, password: string) =>
  new URLSearchParams({ username, password }).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('NATS authorization of the platform (per-service users and permissions)', () => {
  let platform: any;
  let alice: ApiClient;
  const opened: NatsConnection[] = [];

  beforeAll(async () => {
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
    alice = new ApiClient(platform.gatewayUrl);
    await alice.registerAndLogin('alice@example.com');
  });

  afterAll(async () => {
    for (const nc of opened) await nc.close().catch(() => {});
    await platform?.stop();
  });

  test('the services do the whole flow with their own users and no permission violation', async () => {
    const created = await alice.request('POST', '/schedule', {
      name: 'trust',
      lots_data: [
        { lot_id: 'A', product: 'X', quantity: 1000 },
        { lot_id: 'B', product: 'Y', quantity: 2000 },
      ],
      strategy: 'lpt-pack',
    });
    expect(created.status).toBe(202);
    const cmp = await alice.request('POST', '/compare', {
      name: 'c',
      lots_data: [{ lot_id: 'A', product: 'X', quantity: 1000 }],
      strategies: ['lpt-pack', 'spt-pack'],
    });
    expect(cmp.status).toBe(202);
    const deadline = Date.now() + 60_000;
    let s: any;
    let c: any;
    do {
      await new Promise((r) => setTimeout(r, 250));
      s = await alice.request('GET', `/schedule/${created.body.id}`);
      c = await alice.request('GET', `/compare/${cmp.body.id}`);
    } while ((s.body.status !== 'completed' || c.body.status !== 'completed') && Date.now() < deadline);
    expect(s.body.status).toBe('completed');
    expect(c.body.status).toBe('completed');
    expect((await alice.request('GET', '/config/system/default')).status).toBe(200);
    // the token's kid is published in the JWKS, through the gateway, without a login
    const jwks = await new ApiClient(platform.gatewayUrl).request('GET', '/auth/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const kid = JSON.parse(Buffer.from(alice.token!.split('.')[0], 'base64url').toString()).kid;
    expect(jwks.body.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid })]);
    expect(platform.nats.log()).not.toMatch(/Violation/i);
  });

  test('a client without credentials or with a wrong password cannot connect', async () => {
    await expect(connect({ servers: platform.natsUrl, maxReconnectAttempts: 0 })).rejects.toThrow(
      /Authorization/i,
    );
    await expect(
      connect({ servers: platform.natsUrl, user: 'gateway', pass: 'guessed', maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization/i);
  });

  test("another service's user cannot read login traffic nor the gateway's replies", async () => {
    const r = await rogue(platform.natsUrl, platform.natsUsers.solver, 'rogue-solver');
    opened.push(r.nc);
    const seen: string[] = [];
    for (const subject of [RPC.auth.login, 'fillsched.rpc.>', '>', '_INBOX.>', '_INBOX.gateway.>'])
      r.nc.subscribe(subject, { callback: (_err, m) => m && seen.push(m.subject) });
    await r.nc.flush();
    // a real login happens meanwhile, and it works
    const login = await alice.request(
      'POST',
      '/auth/login',
      loginForm('alice@example.com', 'SecurePass123!'),
      FORM,
    );
    expect(login.status).toBe(200);
    await r.nc.flush();
    expect(seen).toEqual([]);
    for (const subject of [RPC.auth.login, 'fillsched.rpc.>', '>', '_INBOX.>', '_INBOX.gateway.>'])
      expect(r.errors).toContainEqual(
        expect.stringMatching(new RegExp(`subscription.*"${escape(subject)}"`, 'i')),
      );
  });

  test("another service's user gets no answer as a user (schedule.list as superuser, auth.me)", async () => {
    for (const who of ['solver', 'config', 'schedule', 'auth'] as const) {
      const r = await rogue(platform.natsUrl, platform.natsUsers[who], `rogue-${who}`);
      opened.push(r.nc);
      const asSuperuser = JSON.stringify({
        user: { id: 1, email: 'alice@example.com', is_superuser: true },
        params: {},
        query: {},
        body: null,
      });
      for (const subject of [RPC.schedule.list, RPC.auth.me, RPC.comparison.list])
        await expect(r.nc.request(subject, asSuperuser, { timeout: 2000 })).rejects.toThrow(
          /Permission|timeout|no responders/i,
        );
      await r.nc.flush();
      expect(r.errors.join('\n')).toMatch(
        /Permissions Violation for Publish to "fillsched\.rpc\.schedule\.list"/i,
      );
    }
  });

  test('a service user cannot create a stream that would capture the auth subjects', async () => {
    const r = await rogue(platform.natsUrl, platform.natsUsers.solver, 'rogue-stream');
    opened.push(r.nc);
    const req = JSON.stringify({ name: 'STEAL', subjects: ['fillsched.rpc.auth.>'] });
    await expect(r.nc.request('$JS.API.STREAM.CREATE.STEAL', req, { timeout: 2000 })).rejects.toThrow();
    await r.nc.flush();
    expect(r.errors.join('\n')).toMatch(/Violation for Publish to "\$JS\.API\.STREAM\.CREATE\.STEAL"/);
  });

  test("the server logs every violation (so the first test's clean log means something)", () => {
    expect(platform.nats.log()).toMatch(/Violation/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\>]/g, '\\$&');
}
