// Row ids: time-ordered (48-bit milliseconds + 80 random bits, Crockford base32, like ULID), so lists
// paginate in creation order. Ids carry no meaning for logic; the clock here only orders them.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastMs = 0;
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
    rand = randomBytes(10);
  }
  lastMs = ms;
  lastRand = rand;
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let bits = 0n;
  for (const b of rand) bits = (bits << 8n) | BigInt(b);
  let r = '';
  for (let i = 0; i < 16; i++) {
    r = ALPHABET[Number(bits & 31n)]! + r;
    bits >>= 5n;
  }
  return `${prefix}_${time}${r}`;
}
