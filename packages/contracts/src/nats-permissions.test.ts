import {
  NATS_IDENTITIES,
  NATS_PERMISSIONS,
  natsAuthorizationConfig,
  natsPasswordVariable,
  natsSubscribeAllow,
} from './nats-permissions';
import { RPC } from './subjects';

/** NATS subject matching: `*` one token, `>` the rest. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const canPublish = (id: (typeof NATS_IDENTITIES)[number], subject: string) =>
  NATS_PERMISSIONS[id].publish.some((p) => matches(p, subject));
const canSubscribe = (id: (typeof NATS_IDENTITIES)[number], subject: string) =>
  natsSubscribeAllow(id).some((p) => matches(p, subject));

describe('NATS permission matrix', () => {
  test('only auth reads auth traffic; only the gateway sends RPCs on behalf of users', () => {
    for (const id of NATS_IDENTITIES) {
      expect(canSubscribe(id, RPC.auth.login)).toBe(id === 'auth');
      expect(canPublish(id, RPC.schedule.list)).toBe(id === 'gateway');
      expect(canPublish(id, RPC.auth.me)).toBe(id === 'gateway');
      expect(canPublish(id, RPC.config.create)).toBe(id === 'gateway');
      // API keys: only the gateway asks auth to verify one; only auth hears the keys presented
      expect(canPublish(id, RPC.auth.apiKeyVerify)).toBe(id === 'gateway');
      expect(canSubscribe(id, RPC.auth.apiKeyVerify)).toBe(id === 'auth');
    }
  });

  test('internal operations: config.resolve from the owners, solver.result from the owners only', () => {
    for (const id of NATS_IDENTITIES) {
      const owner = id === 'schedule' || id === 'comparison';
      expect(canPublish(id, RPC.config.resolve)).toBe(owner);
      expect(canPublish(id, RPC.solver.result)).toBe(owner);
      // a whole plan without a user: the events bridge's results topic only, never the gateway
      expect(canPublish(id, RPC.schedule.resultExport)).toBe(id === 'events-bridge');
      expect(canPublish(id, RPC.comparison.resultExport)).toBe(id === 'events-bridge');
    }
  });

  test('each identity reads only its own reply inbox; nobody subscribes to everything', () => {
    for (const id of NATS_IDENTITIES) {
      expect(canSubscribe(id, `_INBOX.${id}.abc`)).toBe(true);
      for (const other of NATS_IDENTITIES)
        if (other !== id) expect(canSubscribe(id, `_INBOX.${other}.abc`)).toBe(false);
      expect(natsSubscribeAllow(id)).not.toContain('>');
      expect(NATS_PERMISSIONS[id].publish).not.toContain('>');
      // no identity may create arbitrary streams (a stream on fillsched.rpc.auth.> would capture logins)
      expect(canPublish(id, '$JS.API.STREAM.CREATE.STEAL')).toBe(false);
      expect(NATS_PERMISSIONS[id].publish.filter((p) => p.startsWith('$JS.API.') && p.endsWith('>'))).toEqual(
        NATS_PERMISSIONS[id].publish.filter((p) =>
          /^\$JS\.API\.(DIRECT\.GET|CONSUMER\.CREATE)\.[A-Za-z_-]+\.>$/.test(p),
        ),
      );
    }
  });

  test('the config names every identity, with variables or literals for the passwords', () => {
    const conf = natsAuthorizationConfig((id) => `$${natsPasswordVariable(id)}`, { admin: 'admin' });
    for (const id of NATS_IDENTITIES) {
      expect(conf).toContain(`user: "${id}"`);
      expect(conf).toContain(`password: $${natsPasswordVariable(id)}`);
    }
    expect(conf).toContain('{ user: "admin", password: $NATS_PASSWORD_ADMIN }');
    expect(conf.match(/allow_responses/g)).toHaveLength(5); // every service but the gateway answers
  });
});
