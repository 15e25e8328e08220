import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_BODY_LIMIT } from '../../src/api/app.js';
import type { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer } from './api-harness.js';

interface ErrorReply {
  error: { code: string; message: string; details?: { issues?: { path: string }[]; field?: string } };
}

describe.each(dialects)('contacts API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  let ws: string;
  let admin: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    admin = await bearer(store, ws, ['admin']);
  });

  const post = (url: string, auth: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: { authorization: auth }, payload: payload as object });
  const get = (url: string, auth: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: auth } });

  it('creates, reads, updates and deletes a contact', async () => {
    const created = await post('/api/v1/contacts', admin, {
      email: ' Ada@Example.COM',
      first_name: 'Ada',
      time_zone: 'Europe/London',
      attributes: { plan: 'pro' },
    });
    expect(created.statusCode).toBe(201);
    const c = created.json<{ id: string; email: string; created_at: string; account_id: null }>();
    expect(c).toMatchObject({
      email: 'Ada@example.com',
      first_name: 'Ada',
      time_zone: 'Europe/London',
      subscription_status: 'subscribed',
      sms_consent: false,
      attributes: { plan: 'pro' },
      created_at: '2027-01-04T12:00:00.000Z',
      updated_at: '2027-01-04T12:00:00.000Z',
    });

    const read = await get(`/api/v1/contacts/${c.id}`, admin);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(c);

    clock.advance(60_000);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${c.id}`,
      headers: { authorization: admin },
      payload: { lifecycle_stage: 'mql', attributes: { seats: 4 } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toEqual({
      ...c,
      lifecycle_stage: 'mql',
      attributes: { plan: 'pro', seats: 4 },
      updated_at: new Date(clock.now()).toISOString(),
    });

    const deleted = await app.inject({
      method: 'DELETE',
      url: `/api/v1/contacts/${c.id}`,
      headers: { authorization: admin },
    });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    const gone = await get(`/api/v1/contacts/${c.id}`, admin);
    expect(gone.statusCode).toBe(404);
    expect(gone.json<ErrorReply>().error.code).toBe('not_found');
  });

  it('answers 401 without a key and with a wrong or revoked key', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/v1/contacts' });
    expect(none.statusCode).toBe(401);
    expect(none.json<ErrorReply>()).toEqual({
      error: { code: 'unauthorized', message: expect.stringContaining('Authorization: Bearer') as string },
    });
    const wrong = await get('/api/v1/contacts', admin.slice(0, -2) + 'xx');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<ErrorReply>().error.code).toBe('unauthorized');
    const notBearer = await get('/api/v1/contacts', admin.replace('Bearer', 'Basic'));
    expect(notBearer.statusCode).toBe(401);
    // A rejected request must not have written anything.
    const write = await post('/api/v1/contacts', 'Bearer bk_nope', { email: 'x@y.io' });
    expect(write.statusCode).toBe(401);
    expect((await get('/api/v1/contacts', admin)).json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('answers 422 naming the path of text no store can keep, after the permission check', async () => {
    const bad = await post('/api/v1/contacts', admin, {
      email: 'u@acme.io',
      attributes: { note: 'a\u0000b' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json<ErrorReply>().error.details?.issues?.[0]?.path).toBe('body.attributes.note');
    const key = await post('/api/v1/contacts', admin, { email: 'v@acme.io', attributes: { '\udc00': 1 } });
    expect(key.statusCode).toBe(422);
    expect(key.json<ErrorReply>().error.message).toMatch(/lone UTF-16 surrogate/);
    const reader = await bearer(store, ws, ['read']);
    expect((await post('/api/v1/contacts', reader, { attributes: { note: 'a\u0000b' } })).statusCode).toBe(
      403,
    );
    expect((await get('/api/v1/contacts', admin)).json<{ data: unknown[] }>().data).toHaveLength(0);
  });

  it('answers 403 to a key without the scope, before validating the body', async () => {
    const reader = await bearer(store, ws, ['read']);
    const writer = await bearer(store, ws, ['write']);
    const denied = await post('/api/v1/contacts', reader, { email: 'r@acme.io' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json<ErrorReply>().error).toEqual({
      code: 'forbidden',
      message: 'this API key lacks the `write` scope',
      details: { scope: 'write' },
    });
    expect((await post('/api/v1/contacts', reader, { email: 'not an email' })).statusCode).toBe(403);
    expect((await get('/api/v1/contacts', writer)).statusCode).toBe(403);
    expect((await post('/api/v1/contacts', writer, { email: 'w@acme.io' })).statusCode).toBe(201);
    expect((await get('/api/v1/contacts', reader)).json<{ data: unknown[] }>().data).toHaveLength(1);
  });

  it('answers 404 for another workspace’s contact on every verb, saying nothing about it', async () => {
    const theirs = await newWorkspace(store);
    const theirKey = await bearer(store, theirs, ['admin']);
    const secret = await post('/api/v1/contacts', theirKey, { email: 'ceo@rival.com', first_name: 'Secret' });
    const id = secret.json<{ id: string }>().id;

    const attempts = [
      await get(`/api/v1/contacts/${id}`, admin),
      await app.inject({
        method: 'PATCH',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: admin },
        payload: { first_name: 'Pwned' },
      }),
      await app.inject({
        method: 'DELETE',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: admin },
      }),
    ];
    const missing = await get('/api/v1/contacts/con_01JZZZZZZZZZZZZZZZZZZZZZZZ', admin);
    for (const r of attempts) {
      expect(r.statusCode).toBe(404);
      expect(r.body).not.toContain('rival');
      expect(r.body).not.toContain('Secret');
      // Same answer as for an id that exists nowhere, so a key cannot probe other workspaces.
      expect(r.json<ErrorReply>().error.message).toBe(
        missing.json<ErrorReply>().error.message.replace('con_01JZZZZZZZZZZZZZZZZZZZZZZZ', id),
      );
    }
    expect((await get('/api/v1/contacts', admin)).json<{ data: unknown[] }>().data).toEqual([]);
    expect((await get(`/api/v1/contacts/${id}`, theirKey)).json<{ first_name: string }>().first_name).toBe(
      'Secret',
    );
  });

  it('answers 409 to a duplicate email and upserts by key instead', async () => {
    const first = await post('/api/v1/contacts', admin, { email: 'dup@acme.io' });
    expect(first.statusCode).toBe(201);
    const dup = await post('/api/v1/contacts', admin, { email: 'dup@ACME.io', first_name: 'Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<ErrorReply>().error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/^email: /) as string,
      details: { field: 'email' },
    });

    const up = await post('/api/v1/contacts/upsert', admin, { email: 'dup@acme.io', first_name: 'Again' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ id: first.json<{ id: string }>().id, first_name: 'Again' });
    const fresh = await post('/api/v1/contacts/upsert', admin, { external_id: 'crm-1' });
    expect(fresh.statusCode).toBe(201);
    const clash = await post('/api/v1/contacts/upsert', admin, {
      external_id: 'crm-1',
      email: 'dup@acme.io',
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json<ErrorReply>().error.details).toEqual({ field: 'email' });
  });

  it('answers 413 to a body over the limit', async () => {
    const payload = JSON.stringify({
      email: 'big@acme.io',
      attributes: { blob: 'x'.repeat(API_BODY_LIMIT) },
    });
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json<ErrorReply>().error.code).toBe('payload_too_large');
    // Just under the limit is accepted.
    const fits = JSON.stringify({
      email: 'fits@acme.io',
      attributes: { blob: 'x'.repeat(API_BODY_LIMIT - 100) },
    });
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: fits,
    });
    expect(ok.statusCode).toBe(201);
  });

  it('answers 422 naming the field and the reason', async () => {
    const paths = async (r: Promise<{ statusCode: number; json<T>(): T }>) => {
      const res = await r;
      expect(res.statusCode).toBe(422);
      const body = res.json<ErrorReply>();
      expect(body.error.code).toBe('invalid_input');
      return body.error.details!.issues!.map((i) => i.path);
    };
    expect(await paths(post('/api/v1/contacts', admin, { email: 'nope' }))).toEqual(['body.email']);
    const tz = await post('/api/v1/contacts', admin, { email: 'a@b.io', time_zone: 'Mars/Olympus' });
    expect(tz.statusCode).toBe(422);
    expect(tz.json<ErrorReply>().error.message).toBe(
      'body.time_zone: is not an IANA time zone name (for example Europe/Berlin)',
    );
    expect(await paths(post('/api/v1/contacts', admin, { first_name: 'No key' }))).toEqual(['body.email']);
    expect(
      await paths(post('/api/v1/contacts', admin, { email: 'a@b.io', lifecycle_stage: 'whale' })),
    ).toEqual(['body.lifecycle_stage']);
    expect(await paths(get('/api/v1/contacts?limit=0', admin))).toEqual(['querystring.limit']);
    expect(await paths(get('/api/v1/contacts?updated_since=yesterday', admin))).toEqual([
      'querystring.updated_since',
    ]);
    expect(await paths(get('/api/v1/contacts?cursor=bogus', admin))).toEqual(['querystring.cursor']);
    const c = await post('/api/v1/contacts', admin, { email: 'ok@b.io' });
    const patch = app.inject({
      method: 'PATCH',
      url: `/api/v1/contacts/${c.json<{ id: string }>().id}`,
      headers: { authorization: admin },
      payload: { account_id: 'acc_nope' },
    });
    expect(await paths(patch)).toEqual(['body.account_id']);
  });

  it('lists with filters and follows next_cursor to the end', async () => {
    const ids: string[] = [];
    for (const [email, stage] of [
      ['a@acme.io', 'lead'],
      ['b@acme.io', 'mql'],
      ['c@acme.io', 'lead'],
      ['d@other.io', 'lead'],
    ]) {
      ids.push(
        (await post('/api/v1/contacts', admin, { email, lifecycle_stage: stage })).json<{ id: string }>().id,
      );
    }
    const seen: string[] = [];
    let url = '/api/v1/contacts?limit=3&lifecycle_stage=lead';
    for (;;) {
      const page = (await get(url, admin)).json<{ data: { id: string }[]; next_cursor: string | null }>();
      seen.push(...page.data.map((d) => d.id));
      if (!page.next_cursor) break;
      url = `/api/v1/contacts?limit=3&lifecycle_stage=lead&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
    expect(seen).toEqual([ids[0], ids[2], ids[3]]);
    const q = (await get('/api/v1/contacts?q=ACME&limit=2', admin)).json<{ data: { id: string }[] }>();
    expect(q.data.map((d) => d.id)).toEqual([ids[0], ids[1]]);
    const since = (iso: string) =>
      get(`/api/v1/contacts?updated_since=${encodeURIComponent(iso)}`, admin).then(
        (r) => r.json<{ data: unknown[] }>().data.length,
      );
    expect(await since(new Date(clock.now()).toISOString())).toBe(4);
    expect(await since(new Date(clock.now() + 1).toISOString())).toBe(0);
    expect(await since('2027-01-04T13:00:00+02:00')).toBe(4);
  });
});
