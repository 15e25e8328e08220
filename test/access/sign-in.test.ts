// Sign-in lockout and session expiry on both dialects, on the simulated clock: 5 failures lock an email,
// 20 lock an address, the answer is 429 with Retry-After, every attempt is audited; sessions end after
// 8 idle hours and 14 days after sign-in however busy, and carry the user's role.
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { AuditRepository, INSTANCE_AUDIT_WORKSPACE } from '../../src/store/audit.repository.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { apiFor } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const HOUR = 3_600_000;
const password = 'correct horse battery';

function cookieHeader(res: { headers: Record<string, unknown> }): string {
  const h = res.headers['set-cookie'];
  const list = Array.isArray(h) ? (h as string[]) : [String(h)];
  return list.map((c) => c.split(';')[0]).join('; ');
}

describe.each(dialects)('sign-in lockout and session expiry on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: Awaited<ReturnType<typeof apiFor>>['clock'];
  let ws: string;
  let email: string;
  // A documentation address (RFC 5737 TEST-NET-3) per test, forwarded by the trusted loopback proxy.
  let address: string;
  let t0: number;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    // The clock never goes back: each test starts a day after the previous one ended.
    t0 = clock.advance(24 * HOUR);
    ws = await newWorkspace(store, t0);
    email = `ada-${ws}@example.com`.toLowerCase();
    await new UsersRepository(store).create(ws, { email, password }, t0);
    address = `203.0.113.${randomInt(1, 255)}`;
  });

  const signIn = (body: Record<string, unknown>, from = address) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: body,
      headers: { 'x-forwarded-for': from },
    });

  it('locks an email after 5 failures for 15 minutes with Retry-After, from any address, and audits it', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await signIn({ email, password: `wrong ${i}` })).statusCode).toBe(401);
    }
    const locked = await signIn({ email, password }, '198.51.100.7');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('rate_limited');
    expect(locked.headers['retry-after']).toBe('900');
    clock.advance(10 * 60_000);
    const later = await signIn({ email, password });
    expect(later.statusCode).toBe(429);
    expect(later.headers['retry-after']).toBe('300');
    clock.advance(5 * 60_000);
    expect((await signIn({ email, password })).statusCode).toBe(200);

    const audit = await new AuditRepository(store).list(ws, { limit: 20 });
    const actions = audit.data.map((e) => e.action).reverse();
    expect(actions).toEqual([
      ...Array.from({ length: 4 }, () => 'user.sign_in_failed'),
      'user.sign_in_failed',
      'user.locked',
      'user.sign_in',
    ]);
    expect(audit.data.at(-1)).toMatchObject({ actor: { type: 'anonymous', id: null }, ip: address });
    expect(audit.data[0]).toMatchObject({ actor: { type: 'user', role: 'admin' }, target: { type: 'user' } });
  });

  it('a success clears the email count, so failures must be consecutive to lock', async () => {
    for (let i = 0; i < 4; i++) await signIn({ email, password: `wrong ${i}` });
    expect((await signIn({ email, password })).statusCode).toBe(200);
    for (let i = 0; i < 4; i++)
      expect((await signIn({ email, password: `wrong ${i}` })).statusCode).toBe(401);
    expect((await signIn({ email, password })).statusCode).toBe(200);
  });

  it('locks an address after 20 failures across many emails', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await signIn({ email: `nobody-${i}-${ws}@example.com`, password })).statusCode).toBe(401);
    }
    const locked = await signIn({ email, password });
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBe(900);
    // The same user from another address is not locked: the email itself had no failure.
    expect((await signIn({ email, password }, '198.51.100.9')).statusCode).toBe(200);
  });

  it('audits a failed sign-in of an unknown email without creating a user or saying the email is unknown', async () => {
    const users = async () =>
      Number(
        (
          await store.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await users();
    const stranger = `Stranger-${ws}@Example.com`;
    const digest = `sha256:${createHash('sha256').update(stranger.toLowerCase()).digest('hex')}`;
    const unknown = await signIn({ email: stranger, password: 'whatever it is' });
    const wrong = await signIn({ email, password: 'not the password' });
    // The same answer for an unknown email as for a wrong password.
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(await users()).toBe(before);

    const audit = new AuditRepository(store);
    const instance = await audit.list(INSTANCE_AUDIT_WORKSPACE, { target: digest, limit: 10 });
    expect(instance.data).toHaveLength(1);
    expect(instance.data[0]).toMatchObject({
      action: 'user.sign_in_failed',
      actor: { type: 'anonymous', id: null },
      target: { type: 'unknown_email', id: digest },
      ip: address,
    });
    // The typed text is not stored, only its digest.
    expect(JSON.stringify(instance.data)).not.toContain(stranger.toLowerCase());

    // Naming the workspace records it there, where the workspace's admin reads it.
    const { name } = await store.db
      .selectFrom('workspaces')
      .select('name')
      .where('id', '=', ws)
      .executeTakeFirstOrThrow();
    await signIn({ email: stranger, password: 'whatever it is', workspace: name });
    const named = await audit.list(ws, { target: digest, limit: 10 });
    expect(named.data.map((e) => e.action)).toEqual(['user.sign_in_failed']);
    // A named workspace that does not exist falls back to the installation's trail.
    await signIn({ email: stranger, password: 'whatever it is', workspace: `no-such-${ws}` });
    expect((await audit.list(INSTANCE_AUDIT_WORKSPACE, { target: digest, limit: 10 })).data).toHaveLength(2);
  });

  it('takes about as long for an unknown email as for a wrong password (scrypt runs on a dummy hash)', async () => {
    const timed = async (body: Record<string, unknown>) => {
      const start = performance.now();
      expect((await signIn(body)).statusCode).toBe(401);
      return performance.now() - start;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const wrong: number[] = [];
    const unknown: number[] = [];
    // Interleaved, 4 of each (a 5th wrong password would lock the email).
    for (let i = 0; i < 4; i++) {
      wrong.push(await timed({ email, password: `wrong ${i}` }));
      unknown.push(await timed({ email: `nobody-${i}-${ws}@example.com`, password: `wrong ${i}` }));
    }
    // A lookup and two inserts without scrypt take a few milliseconds; scrypt at N=2^15 takes tens to
    // hundreds. Without the dummy hash the ratio would be near 0.05; the bound leaves room for a busy machine.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.4);
  });

  it('failures older than the window do not count', async () => {
    for (let i = 0; i < 4; i++) await signIn({ email, password: `wrong ${i}` });
    clock.advance(16 * 60_000);
    expect((await signIn({ email, password: 'wrong again' })).statusCode).toBe(401);
    expect((await signIn({ email, password })).statusCode).toBe(200);
  });

  it('ends a session after 8 idle hours; use keeps it alive until 14 days after sign-in', async () => {
    const res = await signIn({ email, password });
    expect(res.json().user.role).toBe('admin');
    const cookie = cookieHeader(res);
    const me = () => app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { cookie } });
    expect((await me()).statusCode).toBe(200);
    // Used every 7 hours: alive for 13 days and more.
    for (let t = 7 * HOUR; t < 14 * 24 * HOUR; t += 7 * HOUR) {
      clock.set(t0 + t);
      expect((await me()).statusCode, `at +${t / HOUR} h`).toBe(200);
    }
    clock.set(t0 + 14 * 24 * HOUR);
    const expired = await me();
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/session has expired/);

    clock.set(t0 + 20 * 24 * HOUR);
    const idle = cookieHeader(await signIn({ email, password }));
    const get = () => app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { cookie: idle } });
    clock.advance(8 * HOUR - 1);
    expect((await get()).statusCode).toBe(200);
    clock.advance(8 * HOUR - 1);
    expect((await get()).statusCode).toBe(200);
    clock.advance(8 * HOUR);
    expect((await get()).statusCode).toBe(401);
  });

  it('a role change applies to open sessions at the next request', async () => {
    const users = new UsersRepository(store);
    const res = await signIn({ email, password });
    const cookie = cookieHeader(res);
    const csrf = res.json().csrf_token as string;
    const create = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/segments',
        headers: { cookie, 'x-csrf-token': csrf },
        payload: {},
      });
    // As admin the role check passes and the empty body fails validation.
    expect((await create()).statusCode).toBe(422);
    await users.setRole(ws, email, 'analyst', clock.now());
    const me = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(me.json().user.role).toBe('analyst');
    const refused = await create();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.details).toMatchObject({ role: 'analyst' });
  });
});
