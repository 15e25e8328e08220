// Browser sessions over the real Fastify app on both dialects: sign-in sets an HttpOnly, SameSite=Lax cookie
// (Secure over HTTPS), the cookie authenticates /api/v1, changes need the CSRF header, sign-out ends it.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsersRepository, verifyPassword } from '../../src/store/users.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const spec = {
  id: 'spring-push',
  name: 'Spring push',
  objective: 'leads',
  goal: { metric: 'conversions', event: 'demo_booked', target: 10, lookback_days: 14 },
  channels: ['log'],
  sequence: [{ id: 'hello', channel: 'log' }],
};

function cookiesOf(res: { headers: Record<string, unknown> }): string[] {
  const h = res.headers['set-cookie'];
  return Array.isArray(h) ? (h as string[]) : typeof h === 'string' ? [h] : [];
}

describe.each(dialects)('web sessions on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: Awaited<ReturnType<typeof apiFor>>['clock'];
  let ws: string;
  let email: string;
  const password = 'correct horse battery';

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store, T0);
    email = `ada-${ws}@example.com`.toLowerCase();
    await new UsersRepository(store).create(ws, { email, password }, T0);
  });

  const signIn = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/session', payload: body, headers });

  it('stores a scrypt hash, never the password', async () => {
    const row = await store.db
      .selectFrom('users')
      .selectAll()
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$\d+\$8\$1\$/);
    expect(row.password_hash).not.toContain(password);
    expect(await verifyPassword(password, row.password_hash)).toBe(true);
    expect(await verifyPassword('correct horse battery!', row.password_hash)).toBe(false);
  });

  it('refuses a wrong password or an unknown email with the same answer', async () => {
    const wrong = await signIn({ email, password: 'not the password' });
    const unknown = await signIn({ email: `nobody-${ws}@example.com`, password });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    expect(cookiesOf(wrong)).toEqual([]);
  });

  it('signs in with a session cookie that authenticates the API; changes need the CSRF token', async () => {
    const res = await signIn({ email: email.toUpperCase(), password });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user.email).toBe(email);
    expect(body.workspace.id).toBe(ws);
    const [session, csrf] = cookiesOf(res);
    expect(session).toMatch(/^baton_session=[\w-]{30,}; Path=\/; Max-Age=\d+; SameSite=Lax; HttpOnly$/);
    expect(csrf).toBe(`baton_csrf=${body.csrf_token}; Path=/; Max-Age=1209600; SameSite=Lax`);
    const cookie = `${session!.split(';')[0]}; ${csrf!.split(';')[0]}`;

    const me = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { email }, csrf_token: body.csrf_token });

    const list = await app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ data: [] });

    // A cross-site form can send the cookie but not the header: refused.
    const forged = await app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: { cookie },
      payload: spec,
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.message).toMatch(/x-csrf-token/);
    const wrongToken = await app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: { cookie, 'x-csrf-token': 'x'.repeat(body.csrf_token.length) },
      payload: spec,
    });
    expect(wrongToken.statusCode).toBe(403);

    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: { cookie, 'x-csrf-token': body.csrf_token },
      payload: spec,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().campaign).toMatchObject({ id: 'spring-push', status: 'draft' });

    // Sign-out needs the token too, then the cookie is dead.
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } })).statusCode,
    ).toBe(403);
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie, 'x-csrf-token': body.csrf_token },
    });
    expect(out.statusCode).toBe(204);
    expect(cookiesOf(out)[0]).toMatch(/^baton_session=; Path=\/; Max-Age=0;/);
    const after = await app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('marks the cookies Secure when the request came over HTTPS', async () => {
    const res = await signIn({ email, password }, { 'x-forwarded-proto': 'https' });
    expect(res.statusCode).toBe(200);
    for (const c of cookiesOf(res)) expect(c).toMatch(/; Secure$/);
  });

  it('keeps API keys working and a session confined to its workspace', async () => {
    const other = await newWorkspace(store, T0);
    const key = await bearer(store, other, ['read']);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { authorization: key } }))
        .statusCode,
    ).toBe(200);
    const res = await signIn({ email, password });
    const cookie = cookiesOf(res)
      .map((c) => c.split(';')[0])
      .join('; ');
    await app.inject({
      method: 'POST',
      url: '/api/v1/campaigns',
      headers: { cookie, 'x-csrf-token': res.json().csrf_token },
      payload: spec,
    });
    const theirs = await app.inject({
      method: 'GET',
      url: '/api/v1/campaigns/spring-push',
      headers: { authorization: key },
    });
    expect(theirs.statusCode).toBe(404);
  });

  it('asks for the workspace when the email is in two, and refuses a duplicate user', async () => {
    const other = await newWorkspace(store, T0);
    const repo = new UsersRepository(store);
    await repo.create(other, { email, password: 'another long password' }, T0);
    await expect(repo.create(other, { email, password: 'yet another password' }, T0)).rejects.toMatchObject({
      code: 'conflict',
    });
    const ambiguous = await signIn({ email, password });
    expect(ambiguous.statusCode).toBe(422);
    expect(ambiguous.json().error.details.issues[0].path).toBe('workspace');
    const names = await store.db
      .selectFrom('workspaces')
      .select(['id', 'name'])
      .where('id', 'in', [ws, other])
      .execute();
    const otherName = names.find((n) => n.id === other)!.name;
    const chosen = await signIn({ email, password: 'another long password', workspace: otherName });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().workspace.id).toBe(other);
  });

  it('ends a session after 14 days and drops it at the next sign-in', async () => {
    const res = await signIn({ email, password });
    const cookie = cookiesOf(res)
      .map((c) => c.split(';')[0])
      .join('; ');
    const get = () => app.inject({ method: 'GET', url: '/api/v1/campaigns', headers: { cookie } });
    expect((await get()).statusCode).toBe(200);
    clock.advance(14 * 86_400_000);
    const expired = await get();
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/expired/);
    const rows = () =>
      store.db.selectFrom('user_sessions').select('expires_at').where('workspace_id', '=', ws).execute();
    expect(await rows()).toHaveLength(1);
    expect((await signIn({ email, password })).statusCode).toBe(200);
    const left = await rows();
    expect(left).toHaveLength(1);
    expect(Number(left[0]!.expires_at)).toBeGreaterThan(clock.now());
  });

  it('refuses an email for 15 minutes after 5 failed sign-ins, saying when to retry', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await signIn({ email, password: `guess number ${i}` })).statusCode).toBe(401);
    }
    const locked = await signIn({ email, password });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('900');
    expect(locked.json().error.message).toMatch(
      /too many failed sign-ins for this email or address: try again in 15 minutes/,
    );
    clock.advance(15 * 60_000);
    expect((await signIn({ email, password })).statusCode).toBe(200);
  });

  it('refuses a short password', async () => {
    await expect(
      new UsersRepository(store).create(ws, { email: `b-${ws}@example.com`, password: 'short' }, T0),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
