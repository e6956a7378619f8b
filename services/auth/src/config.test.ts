import { ConfigError } from '@fillsched/service-kit';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthConfig } from './config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadAuthConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.variable);
  }
  throw new Error('expected a ConfigError');
};

describe('auth config', () => {
  it('has the documented defaults', () => {
    const env = loadAuthConfig({});
    expect(env).toMatchObject({ ACCESS_TOKEN_EXPIRE_MINUTES: 30, REFRESH_TOKEN_EXPIRE_DAYS: 7 });
    expect(env.AUTH_PRIVATE_KEY_PEM).toBeUndefined();
  });

  it('reads the token lifetimes', () => {
    const env = loadAuthConfig({ ACCESS_TOKEN_EXPIRE_MINUTES: '15', REFRESH_TOKEN_EXPIRE_DAYS: '1' });
    expect(env).toMatchObject({ ACCESS_TOKEN_EXPIRE_MINUTES: 15, REFRESH_TOKEN_EXPIRE_DAYS: 1 });
  });

  it.each([
    ['ACCESS_TOKEN_EXPIRE_MINUTES', 'soon'],
    ['ACCESS_TOKEN_EXPIRE_MINUTES', '0'],
    ['REFRESH_TOKEN_EXPIRE_DAYS', '-1'],
    ['AUTH_PRIVATE_KEY_PEM', 'not a pem'],
    ['AUTH_BOOTSTRAP_ADMIN_EMAIL', 'not-an-email'],
  ])('names %s when it is %j', (variable, value) => {
    const extra: Record<string, string> =
      variable === 'AUTH_BOOTSTRAP_ADMIN_EMAIL' ? { AUTH_BOOTSTRAP_ADMIN_PASSWORD: 'long-enough' } : {};
    expect(problemsOf({ [variable]: value, ...extra })).toContain(variable);
  });

  it('needs the bootstrap email and password together', () => {
    expect(problemsOf({ AUTH_BOOTSTRAP_ADMIN_EMAIL: 'a@b.io' })).toEqual(['AUTH_BOOTSTRAP_ADMIN_PASSWORD']);
    expect(problemsOf({ AUTH_BOOTSTRAP_ADMIN_PASSWORD: 'long-enough' })).toEqual([
      'AUTH_BOOTSTRAP_ADMIN_EMAIL',
    ]);
    expect(
      problemsOf({ AUTH_BOOTSTRAP_ADMIN_EMAIL: 'a@b.io', AUTH_BOOTSTRAP_ADMIN_PASSWORD: 'short' }),
    ).toEqual(['AUTH_BOOTSTRAP_ADMIN_PASSWORD']);
  });

  it('accepts a PEM key with literal \\n escapes (env files) and rejects short RSA keys', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const env = loadAuthConfig({ AUTH_PRIVATE_KEY_PEM: pem.replace(/\n/g, '\\n') });
    expect(env.AUTH_PRIVATE_KEY_PEM).toBe(pem);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(problemsOf({ AUTH_PRIVATE_KEY_PEM: short })).toEqual(['AUTH_PRIVATE_KEY_PEM']);
  });

  it('never echoes the key into the error message', () => {
    try {
      loadAuthConfig({ AUTH_PRIVATE_KEY_PEM: 'SECRET-MATERIAL' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as Error).message).toContain('AUTH_PRIVATE_KEY_PEM');
      expect((err as Error).message).not.toContain('SECRET-MATERIAL');
    }
  });

  describe('signing key sources', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    it('with MongoDB, refuses to store the key in plain text: a PEM or a KEK is required', () => {
      expect(problemsOf({ MONGO_URL: 'mongodb://db:27017/' })).toEqual(['AUTH_KEY_ENCRYPTION_KEY']);
      const kek = randomBytes(32).toString('base64');
      expect(
        loadAuthConfig({ MONGO_URL: 'mongodb://db:27017/', AUTH_KEY_ENCRYPTION_KEY: kek })
          .AUTH_KEY_ENCRYPTION_KEY?.id,
      ).toHaveLength(8);
      expect(
        loadAuthConfig({ MONGO_URL: 'mongodb://db:27017/', AUTH_PRIVATE_KEY_PEM: pem }).AUTH_PRIVATE_KEY_PEM,
      ).toBe(pem);
      expect(problemsOf({ AUTH_KEY_ENCRYPTION_KEY: 'too-short' })).toEqual(['AUTH_KEY_ENCRYPTION_KEY']);
    });

    it('reads *_FILE secrets (mounted Secrets), refuses both forms and unreadable files', () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'auth-secrets-'));
      try {
        const keyFile = path.join(dir, 'key.pem');
        writeFileSync(keyFile, pem);
        const prevFile = path.join(dir, 'previous.pem');
        const previous = generateKeyPairSync('rsa', { modulusLength: 2048 })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString();
        writeFileSync(prevFile, previous + pem);
        const env = loadAuthConfig({
          AUTH_PRIVATE_KEY_PEM_FILE: keyFile,
          AUTH_PREVIOUS_KEYS_PEM_FILE: prevFile,
        });
        expect(env.AUTH_PRIVATE_KEY_PEM).toBe(pem);
        expect(env.AUTH_PREVIOUS_KEYS_PEM).toHaveLength(2);
        expect(problemsOf({ AUTH_PRIVATE_KEY_PEM_FILE: keyFile, AUTH_PRIVATE_KEY_PEM: pem })).toEqual([
          'AUTH_PRIVATE_KEY_PEM_FILE',
        ]);
        expect(problemsOf({ AUTH_KEY_ENCRYPTION_KEY_FILE: path.join(dir, 'missing') })).toEqual([
          'AUTH_KEY_ENCRYPTION_KEY_FILE',
        ]);
        expect(problemsOf({ AUTH_PREVIOUS_KEYS_PEM: 'garbage' })).toEqual(['AUTH_PREVIOUS_KEYS_PEM']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
