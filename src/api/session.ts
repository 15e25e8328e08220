// Browser sessions: the HttpOnly session cookie, the CSRF token the page echoes in a header, and their checks.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BatonError } from '../domain/errors.js';
import type { Session, UsersRepository } from '../store/users.repository.js';

export const SESSION_COOKIE = 'baton_session';
/** Readable by the page (not HttpOnly): the double-submit copy of the CSRF token. */
export const CSRF_COOKIE = 'baton_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is ignored, as browsers do
    }
  }
  return out;
}

export function sessionToken(req: FastifyRequest): string | undefined {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE) || undefined;
}

/** Secure cookies when the request came over HTTPS (directly or behind a proxy that says so). */
export function isHttps(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

function cookie(name: string, value: string, opts: { httpOnly: boolean; secure: boolean; maxAge: number }) {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAge / 1000))}`,
    'SameSite=Lax',
    ...(opts.httpOnly ? ['HttpOnly'] : []),
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}

export function setSessionCookies(
  req: FastifyRequest,
  reply: FastifyReply,
  s: { token: string; csrfToken: string; maxAgeMs: number },
): void {
  const secure = isHttps(req);
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, s.token, { httpOnly: true, secure, maxAge: s.maxAgeMs }),
    cookie(CSRF_COOKIE, s.csrfToken, { httpOnly: false, secure, maxAge: s.maxAgeMs }),
  ]);
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply): void {
  const secure = isHttps(req);
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, '', { httpOnly: true, secure, maxAge: 0 }),
    cookie(CSRF_COOKIE, '', { httpOnly: false, secure, maxAge: 0 }),
  ]);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The session of a request that carries the session cookie; a state-changing request must also carry the
 * session's CSRF token in `x-csrf-token` (a cross-site form cannot set a header, nor read the token).
 */
export async function authenticateSession(
  req: FastifyRequest,
  users: UsersRepository,
  now: number,
): Promise<Session | undefined> {
  const token = sessionToken(req);
  if (!token) return undefined;
  const session = await users.session(token, now);
  if (!session) throw new BatonError('unauthorized', 'the session has expired: sign in again');
  if (!SAFE_METHODS.has(req.method)) {
    const header = req.headers[CSRF_HEADER];
    if (typeof header !== 'string' || !sameToken(header, session.csrfToken)) {
      throw new BatonError(
        'forbidden',
        `a signed-in request that changes data needs the ${CSRF_HEADER} header`,
      );
    }
  }
  return session;
}
