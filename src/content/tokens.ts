// Signed tokens for tracking and unsubscribe links. A token names what it is about (a touch and a link
// index, or a contact) and carries an HMAC-SHA256 of that under the instance secret, so nobody can forge
// one for another touch or contact. Tokens carry ids only: a click's target is read from the stored touch.
// They stay under 100 characters (the default longest path parameter of Fastify). When BATON_SECRET is
// rotated, links already sent keep working: verification also accepts the previous secrets
// (BATON_SECRET_PREVIOUS) for as long as the operator lists them; new tokens use the current one.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TrackingToken =
  | { kind: 'open'; touchId: string }
  | { kind: 'click'; touchId: string; index: number }
  /** Contact ids are unique across workspaces, so the workspace is read from the contact. */
  | { kind: 'unsubscribe'; contactId: string; touchId: string | null }
  /** A campaign's social post (its tracked link, clicked by anyone who sees the post). */
  | { kind: 'post'; postId: string };

const ID = /^[A-Za-z0-9_-]{1,80}$/;
/** 128 bits of the HMAC, base64url: short links, still far beyond guessing. */
const SIG_LENGTH = 22;

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret)
    .update(`baton-token:${payload}`)
    .digest('base64url')
    .slice(0, SIG_LENGTH);
}

function payloadOf(t: TrackingToken): string {
  switch (t.kind) {
    case 'open':
      return `o.${t.touchId}`;
    case 'click':
      return `c.${t.touchId}.${t.index}`;
    case 'unsubscribe':
      return `u.${t.contactId}.${t.touchId ?? '-'}`;
    case 'post':
      return `p.${t.postId}`;
  }
}

export function signToken(secret: string, token: TrackingToken): string {
  const payload = payloadOf(token);
  return `${payload}.${sign(secret, payload)}`;
}

/**
 * The token's contents, or null when it is malformed or its signature matches none of the secrets (the
 * current one first, then the previous ones still accepted).
 */
export function verifyToken(secrets: string | readonly string[], raw: string): TrackingToken | null {
  if (raw.length > 300) return null;
  const cut = raw.lastIndexOf('.');
  if (cut <= 0) return null;
  const payload = raw.slice(0, cut);
  const given = Buffer.from(raw.slice(cut + 1));
  const signedBy = (secret: string) => {
    const expected = Buffer.from(sign(secret, payload));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!(typeof secrets === 'string' ? [secrets] : secrets).some(signedBy)) return null;
  const parts = payload.split('.');
  if (!parts.slice(1).every((p) => ID.test(p))) return null;
  const [kind, a, b] = parts;
  if (kind === 'o' && parts.length === 2) return { kind: 'open', touchId: a! };
  if (kind === 'c' && parts.length === 3 && /^\d{1,4}$/.test(b!)) {
    return { kind: 'click', touchId: a!, index: Number(b) };
  }
  if (kind === 'u' && parts.length === 3)
    return { kind: 'unsubscribe', contactId: a!, touchId: b === '-' ? null : b! };
  if (kind === 'p' && parts.length === 2) return { kind: 'post', postId: a! };
  return null;
}
