import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { PasswordHasher, SigningKey } from './ports';

/** argon2id at the library's defaults (m=19 MiB, t=2, p=1: the OWASP minimum). */
export const argon2idHasher: PasswordHasher = {
  hash: (password) => argonHash(password, { algorithm: Algorithm.Argon2id }),
  async verify(hash, password) {
    try {
      return await argonVerify(hash, password);
    } catch {
      // A malformed stored hash is a failed login, not a crash.
      return false;
    }
  },
};

/** kid = first 16 chars of the base64url SHA-256 of the SPKI public key: stable for the same key. */
export function kidOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' }).toString('base64');
  return createHash('sha256').update(der, 'base64').digest('base64url').slice(0, 16);
}

/** Key material from a PKCS#1 or PKCS#8 RSA private key PEM; throws on anything else. */
export function signingKeyFromPem(privateKeyPem: string, now: Date): SigningKey {
  const priv = createPrivateKey(privateKeyPem);
  if (priv.asymmetricKeyType !== 'rsa') throw new Error(`expected an RSA key, got ${priv.asymmetricKeyType}`);
  const bits = priv.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new Error(`RSA key too short: ${bits} bits (need at least 2048)`);
  const public_key_pem = createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString();
  return {
    kid: kidOf(public_key_pem),
    private_key_pem: priv.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public_key_pem,
    created_at: now,
  };
}

export function generateSigningKey(now: Date): SigningKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), now);
}

/** Opaque refresh token: 256 random bits, base64url. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
