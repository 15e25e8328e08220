// Credentials at rest (SMTP URLs with their passwords, DKIM private keys) are sealed with AES-256-GCM under a
// key derived by HKDF-SHA256 from the instance secret (BATON_SECRET, or the generated one). A sealed value
// names the key that sealed it, so after a rotation values sealed under a previous secret still open while
// that secret is listed in BATON_SECRET_PREVIOUS, and `baton secrets rotate` re-seals them under the current
// one. Values written before sealing existed are read as they are and sealed on their next write.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { BatonError } from '../domain/errors.js';
import type { Store } from './db.js';
import { getSetting, resolveSecret } from './instance-settings.repository.js';

export interface SecretKeys {
  /** Seals new values and opens its own. */
  current: string;
  /** Open values sealed before a rotation. */
  previous: readonly string[];
}

const PREFIX = 'sealed:v1:';
const derived = new Map<string, { id: string; key: Buffer }>();

function keyOf(secret: string): { id: string; key: Buffer } {
  let k = derived.get(secret);
  if (!k) {
    const key = Buffer.from(
      hkdfSync('sha256', secret, 'baton-secret-box', 'baton:sealed-credentials:v1', 32),
    );
    // The key's id is a hash of the key, not of the secret: it says which secret to use, and nothing more.
    k = { id: createHash('sha256').update(key).digest('base64url').slice(0, 10), key };
    derived.set(secret, k);
  }
  return k;
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Whether the value is sealed under the current secret (nothing for `baton secrets rotate` to do). */
export function isSealedUnderCurrent(keys: SecretKeys, value: string): boolean {
  return value.startsWith(`${PREFIX}${keyOf(keys.current).id}:`);
}

/**
 * `sealed:v1:<key id>:<iv>:<ciphertext + tag>` (base64url). `context` (the column) is authenticated too,
 * so a sealed value copied into another column does not open there.
 */
export function seal(keys: SecretKeys, plaintext: string, context: string): string {
  const k = keyOf(keys.current);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(`${k.id}:${context}`));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${k.id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
}

/** The plaintext of a sealed value; an unsealed (older) value is returned as it is. */
export function unseal(keys: SecretKeys, stored: string, context: string): string {
  if (!isSealed(stored)) return stored;
  const [id, iv, body] = stored.slice(PREFIX.length).split(':');
  const k = [keys.current, ...keys.previous].map(keyOf).find((c) => c.id === id);
  const refuse = (why: string) =>
    new BatonError(
      'config',
      `a stored ${context} ${why}: set BATON_SECRET_PREVIOUS to the secret it was sealed with, then run \`baton secrets rotate\``,
    );
  if (!k || !iv || !body) throw refuse('was sealed under a secret that is not configured');
  const raw = Buffer.from(body, 'base64url');
  if (raw.length < 16) throw refuse('is damaged');
  try {
    const decipher = createDecipheriv('aes-256-gcm', k.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${k.id}:${context}`));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw refuse('does not open (damaged, or sealed for another column)');
  }
}

const configured = new WeakMap<object, SecretKeys>();

/** Start-up: the process's secrets for this store (openCliContext calls it with BATON_SECRET and the previous ones). */
export function useSecretKeys(store: Pick<Store, 'db'>, keys: SecretKeys): void {
  configured.set(store.db, keys);
}

/** The secrets registered for the store; otherwise the generated instance secret (the demo, tests). */
export async function secretKeysOf(store: Pick<Store, 'db'>): Promise<SecretKeys> {
  const keys = configured.get(store.db);
  if (keys) return keys;
  return { current: await resolveSecret(store, undefined), previous: [] };
}

/** Like `secretKeysOf` from a configuration, without creating a secret (read-only callers: `baton doctor`). */
export async function readSecretKeys(
  store: Pick<Store, 'db'>,
  config: { BATON_SECRET?: string; BATON_SECRET_PREVIOUS?: string[] },
): Promise<SecretKeys | null> {
  const current = config.BATON_SECRET ?? (await getSetting(store, 'secret'));
  return current ? { current, previous: config.BATON_SECRET_PREVIOUS ?? [] } : null;
}
