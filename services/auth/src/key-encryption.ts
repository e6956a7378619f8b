// The RS256 private key at rest: the auth service stores it in MongoDB only sealed with AES-256-GCM
// under a key-encryption key (KEK) from its environment (AUTH_KEY_ENCRYPTION_KEY), never in plain
// text. Format of the stored string: `enc:v1:A256GCM:<kek id>:<iv>:<tag>:<ciphertext>` (base64url),
// the kid bound in as additional authenticated data, so a sealed key cannot be swapped under
// another kid. The KEK id (first 8 chars of its SHA-256) tells which KEK a key was sealed with.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

const PREFIX = 'enc:v1:A256GCM:';

export interface KeyEncryptionKey {
  id: string;
  key: KeyObject;
}

/** A KEK from 32 bytes given as base64/base64url (44/43 chars) or hex (64 chars); throws otherwise. */
export function parseKek(text: string): KeyEncryptionKey {
  const t = text.trim();
  const raw = new Uint8Array(/^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64'));
  if (raw.length !== 32)
    throw new Error('must be 32 random bytes, base64 or hex encoded (openssl rand -base64 32)');
  return { id: createHash('sha256').update(raw).digest('base64url').slice(0, 8), key: createSecretKey(raw) };
}

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export function sealPrivateKey(pem: string, kid: string, kek: KeyEncryptionKey): string {
  const iv = new Uint8Array(randomBytes(12));
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(new Uint8Array(Buffer.from(kid)));
  const data = cipher.update(pem, 'utf8', 'base64url') + cipher.final('base64url');
  const b = (x: Uint8Array) => Buffer.from(x).toString('base64url');
  return `${PREFIX}${kek.id}:${b(iv)}:${b(new Uint8Array(cipher.getAuthTag()))}:${data}`;
}

/** The PEM of a sealed key; throws naming the problem (other KEK, tampered, not sealed). */
export function openPrivateKey(stored: string, kid: string, kek: KeyEncryptionKey): string {
  if (!isSealed(stored)) throw new Error(`signing key ${kid} is not sealed`);
  const [kekId, iv, tag, data] = stored.slice(PREFIX.length).split(':');
  if (kekId !== kek.id)
    throw new Error(
      `signing key ${kid} was sealed with key-encryption key ${kekId}, but AUTH_KEY_ENCRYPTION_KEY is ${kek.id}`,
    );
  try {
    const u = (x: string) => new Uint8Array(Buffer.from(x, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', kek.key, u(iv));
    decipher.setAAD(new Uint8Array(Buffer.from(kid)));
    decipher.setAuthTag(u(tag));
    return decipher.update(data, 'base64url', 'utf8') + decipher.final('utf8');
  } catch {
    throw new Error(`signing key ${kid} cannot be decrypted: the stored value was altered`);
  }
}
