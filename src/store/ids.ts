// Row ids: time-ordered (48-bit milliseconds + 80 random bits, Crockford base32, like ULID), so lists
// paginate in creation order. Ids carry no meaning for logic; the clock here only orders them.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastMs = 0;
let source: (n: number) => Buffer = randomBytes;

/** Random bytes for ids: cryptographic by default, a seeded stream after `seedIds` (demo runs). */
export function idRandomBytes(n: number): Buffer {
  return source(n);
}

/**
 * Makes every id after this call a function of the seed and the (simulated) time, so the same seeded demo
 * produces the same ids, enrollment arms and results. Never used by `serve` or `worker`.
 */
export function seedIds(seed: string): void {
  let state = createHash('sha256').update(`ids:${seed}`).digest();
  let counter = 0;
  lastMs = 0;
  source = (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) {
      state = createHash('sha256').update(state).update(String(counter++)).digest();
      state.copy(out, i, 0, Math.min(32, n - i));
    }
    return out;
  };
}
let lastRand: Buffer = Buffer.alloc(10);

function increment(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 255) {
      out[i]! += 1;
      return out;
    }
    out[i] = 0;
  }
  return out;
}

export function newId(prefix: string, ms: number = Date.now()): string {
  let rand: Buffer;
  if (ms <= lastMs) {
    ms = lastMs;
    rand = increment(lastRand);
  } else {
    rand = source(10);
  }
  lastMs = ms;
  lastRand = rand;
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  // 80 random bits as 16 base32 digits, 40 bits (8 digits) at a time: plain numbers stay exact below 2^53,
  // and the dispatcher makes several ids per touch.
  const r = base32x8(rand, 0) + base32x8(rand, 5);
  return `${prefix}_${time}${r}`;
}

function base32x8(bytes: Buffer, from: number): string {
  let v =
    bytes[from]! * 2 ** 32 +
    ((bytes[from + 1]! << 24) >>> 0) +
    (bytes[from + 2]! << 16) +
    (bytes[from + 3]! << 8) +
    bytes[from + 4]!;
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = ALPHABET[v % 32]! + out;
    v = Math.floor(v / 32);
  }
  return out;
}
