import { randomBytes } from 'node:crypto';
import { isSealed, openPrivateKey, parseKek, sealPrivateKey } from './key-encryption';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEv...not-a-real-key...\n-----END PRIVATE KEY-----\n';

describe('signing key sealed at rest (AES-256-GCM under a KEK)', () => {
  const kek = parseKek(randomBytes(32).toString('base64'));

  it('round-trips, and the stored value holds no PEM', () => {
    const sealed = sealPrivateKey(PEM, 'kid-1', kek);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(sealed.startsWith(`enc:v1:A256GCM:${kek.id}:`)).toBe(true);
    expect(openPrivateKey(sealed, 'kid-1', kek)).toBe(PEM);
    // a fresh IV each time
    expect(sealPrivateKey(PEM, 'kid-1', kek)).not.toBe(sealed);
  });

  it('refuses another KEK, another kid (swapped document) and any altered byte', () => {
    const sealed = sealPrivateKey(PEM, 'kid-1', kek);
    const other = parseKek(randomBytes(32).toString('hex'));
    expect(() => openPrivateKey(sealed, 'kid-1', other)).toThrow(
      new RegExp(`sealed with key-encryption key ${kek.id}, but AUTH_KEY_ENCRYPTION_KEY is ${other.id}`),
    );
    expect(() => openPrivateKey(sealed, 'kid-2', kek)).toThrow(/was altered/);
    const parts = sealed.split(':');
    const data = parts[parts.length - 1];
    parts[parts.length - 1] = (data[0] === 'A' ? 'B' : 'A') + data.slice(1);
    expect(() => openPrivateKey(parts.join(':'), 'kid-1', kek)).toThrow(/was altered/);
    expect(() => openPrivateKey(PEM, 'kid-1', kek)).toThrow(/not sealed/);
  });

  it('takes a KEK of exactly 32 bytes in base64 or hex', () => {
    expect(parseKek(randomBytes(32).toString('hex')).id).toHaveLength(8);
    expect(() => parseKek('c2hvcnQ=')).toThrow(/32 random bytes/);
    expect(() => parseKek(randomBytes(16).toString('hex'))).toThrow(/32 random bytes/);
  });
});
