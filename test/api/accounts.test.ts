import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer } from './api-harness.js';

interface ErrorReply {
  error: { code: string; message: string; details?: { issues?: { path: string }[]; field?: string } };
}

describe.each(dialects)('accounts API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    admin = await bearer(store, ws, ['admin']);
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, auth: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: auth }, ...(payload ? { payload } : {}) });

  it('creates an account that adopts its domain’s contacts, then updates and deletes it', async () => {
    const early = await call('POST', '/api/v1/contacts', admin, { email: 'wile@acme.com' });
    const created = await call('POST', '/api/v1/accounts', admin, {
      domain: 'https://www.ACME.com/',
      name: 'Acme',
      size: 120,
    });
    expect(created.statusCode).toBe(201);
    const a = created.json<{ id: string }>();
    expect(a).toMatchObject({ domain: 'acme.com', name: 'Acme', size: 120, external_id: null });

    const contact = await call('GET', `/api/v1/contacts/${early.json<{ id: string }>().id}`, admin);
    expect(contact.json()).toMatchObject({ account_id: a.id });
    const later = await call('POST', '/api/v1/contacts', admin, { email: 'road@Acme.COM' });
    expect(later.json()).toMatchObject({ account_id: a.id });
    const byAccount = await call('GET', `/api/v1/contacts?account_id=${a.id}`, admin);
    expect(byAccount.json<{ data: unknown[] }>().data).toHaveLength(2);

    const patched = await call('PATCH', `/api/v1/accounts/${a.id}`, admin, { industry: 'Anvils' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: a.id, industry: 'Anvils', name: 'Acme' });
    expect((await call('GET', `/api/v1/accounts/${a.id}`, admin)).json()).toEqual(patched.json());

    expect((await call('DELETE', `/api/v1/accounts/${a.id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/accounts/${a.id}`, admin)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/contacts?account_id=${a.id}`, admin)).json()).toEqual({
      data: [],
      next_cursor: null,
    });
  });

  it('answers 409 to a duplicate domain and upserts by key instead', async () => {
    expect((await call('POST', '/api/v1/accounts', admin, { domain: 'globex.com' })).statusCode).toBe(201);
    const dup = await call('POST', '/api/v1/accounts', admin, { domain: 'WWW.globex.com' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json<ErrorReply>().error).toMatchObject({ code: 'conflict', details: { field: 'domain' } });
    const up = await call('POST', '/api/v1/accounts/upsert', admin, { domain: 'globex.com', owner: 'hank' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ domain: 'globex.com', owner: 'hank' });
    expect((await call('POST', '/api/v1/accounts/upsert', admin, { external_id: 'sf-9' })).statusCode).toBe(
      201,
    );
  });

  it('keeps workspaces apart and checks scopes', async () => {
    const theirs = await newWorkspace(store);
    const theirKey = await bearer(store, theirs, ['admin']);
    const id = (await call('POST', '/api/v1/accounts', theirKey, { domain: 'rival.com' })).json<{
      id: string;
    }>().id;
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const r = await call(
        method,
        `/api/v1/accounts/${id}`,
        admin,
        method === 'PATCH' ? { name: 'x' } : undefined,
      );
      expect(r.statusCode).toBe(404);
      expect(r.body).not.toContain('rival');
    }
    expect((await call('GET', '/api/v1/accounts', admin)).json()).toEqual({ data: [], next_cursor: null });
    // Linking a contact to another workspace's account is refused as if the account did not exist.
    const link = await call('POST', '/api/v1/contacts', admin, { email: 'a@b.io', account_id: id });
    expect(link.statusCode).toBe(422);
    expect(link.json<ErrorReply>().error.details?.issues?.[0]?.path).toBe('body.account_id');

    const reader = await bearer(store, ws, ['read']);
    expect((await call('POST', '/api/v1/accounts', reader, { domain: 'x.com' })).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/accounts', reader)).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/accounts', 'Bearer bk_wrong')).statusCode).toBe(401);
  });

  it('names the bad field in a 422', async () => {
    const r = await call('POST', '/api/v1/accounts', admin, { domain: 'not a domain', size: -3 });
    expect(r.statusCode).toBe(422);
    expect(r.json<ErrorReply>().error.details?.issues?.map((i) => i.path)).toEqual([
      'body.domain',
      'body.size',
    ]);
    const unknown = await call('GET', '/api/v1/accounts?colour=red', admin);
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json<ErrorReply>().error.message).toMatch(/^querystring: .*colour/);
  });

  it('lists with filters and pages', async () => {
    const ids: string[] = [];
    for (const [domain, industry] of [
      ['a.com', 'SaaS'],
      ['b.com', 'Retail'],
      ['c.com', 'SaaS'],
    ]) {
      ids.push(
        (await call('POST', '/api/v1/accounts', admin, { domain, industry })).json<{ id: string }>().id,
      );
    }
    const p1 = (await call('GET', '/api/v1/accounts?industry=SaaS&limit=1', admin)).json<{
      data: { id: string }[];
      next_cursor: string;
    }>();
    expect(p1.data.map((d) => d.id)).toEqual([ids[0]]);
    const p2 = (
      await call(
        'GET',
        `/api/v1/accounts?industry=SaaS&limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`,
        admin,
      )
    ).json<{ data: { id: string }[]; next_cursor: string | null }>();
    expect(p2.data.map((d) => d.id)).toEqual([ids[2]]);
    expect(p2.next_cursor).toBeNull();
    const byDomain = (await call('GET', '/api/v1/accounts?domain=B.com', admin)).json<{
      data: { id: string }[];
    }>();
    expect(byDomain.data.map((d) => d.id)).toEqual([ids[1]]);
  });
});
