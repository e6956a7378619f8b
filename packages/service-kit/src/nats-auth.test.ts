import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from './config';
import { natsAuth } from './nats-auth';

describe('natsAuth (NATS credentials from the env)', () => {
  test('user and password, with the inbox the matrix lets this service read', () => {
    expect(natsAuth({ NATS_USER: 'schedule', NATS_PASSWORD: 'pw' }, 'schedule')).toEqual({
      user: 'schedule',
      pass: 'pw',
      inboxPrefix: '_INBOX.schedule',
    });
  });

  test('no credentials: a server without authorization (still its own inbox)', () => {
    expect(natsAuth({}, 'config')).toEqual({ inboxPrefix: '_INBOX.config' });
    expect(natsAuth({ NATS_INBOX_PREFIX: '_I.x' }, 'config')).toEqual({ inboxPrefix: '_I.x' });
  });

  test('a user without a password (or the reverse) names the missing variable', () => {
    expect(() => natsAuth({ NATS_USER: 'auth' }, 'auth')).toThrow(
      /NATS_PASSWORD is required when the other of NATS_USER\/NATS_PASSWORD is set/,
    );
    try {
      natsAuth({ NATS_PASSWORD: 'x' }, 'auth');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0].variable).toBe('NATS_USER');
      expect((err as Error).message).not.toContain('x"');
    }
  });

  test('NATS_CREDS: exclusive with user/password, the file must be readable', () => {
    expect(() => natsAuth({ NATS_CREDS: '/x.creds', NATS_USER: 'a', NATS_PASSWORD: 'b' }, 'a')).toThrow(
      /either NATS_CREDS or NATS_USER/,
    );
    expect(() => natsAuth({ NATS_CREDS: '/nonexistent/x.creds' }, 'a')).toThrow(
      /NATS_CREDS: cannot read the creds file \(ENOENT\)/,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'creds-'));
    try {
      const file = path.join(dir, 'svc.creds');
      // the creds-file layout; JWT and seed are only parsed when connecting
      writeFileSync(
        file,
        [
          '-----BEGIN NATS USER JWT-----',
          'eyJhbGciOiJlZDI1NTE5In0.e30.x',
          '------END NATS USER JWT------',
          '',
          '-----BEGIN USER NKEY SEED-----',
          'SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU',
          '------END USER NKEY SEED------',
        ].join('\n'),
      );
      const auth = natsAuth({ NATS_CREDS: file }, 'solver');
      expect(typeof auth.authenticator).toBe('function');
      expect(auth.inboxPrefix).toBe('_INBOX.solver');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
