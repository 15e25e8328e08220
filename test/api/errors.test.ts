// The HTTP error contract of /api/v1 on both store dialects: 401, 403, 404 (also across workspaces),
// 409, 413 and 422 with the `{ error: { code, message, details } }` body, plus the OpenAPI document.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BODY_LIMIT, buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ApiKeysRepository, type KeyScope } from '../../src/store/api-keys.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');

interface ErrorJson {
  error: { code: string; message: string; details?: { issues?: Array<{ path: string; message: string }> } };
}

/** The error body, after checking it has exactly the documented shape. */
function errorOf(res: LightMyRequestResponse, status: number): ErrorJson['error'] {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<ErrorJson>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const k of Object.keys(body.error)) expect(['code', 'message', 'details']).toContain(k);
  return body.error;
}

function issuePaths(err: ErrorJson['error']): string[] {
  return (err.details?.issues ?? []).map((i) => i.path);
}

describe.each(dialects)('API errors on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let keys: ApiKeysRepository;

  /** A fresh workspace and a key for it with the given scopes. */
  async function tenant(scopes: KeyScope[] = ['read', 'write']): Promise<{ ws: string; auth: string }> {
    const ws = await newWorkspace(store);
    const { key } = await keys.create(ws, { kind: 'api', scopes }, T0);
    return { ws, auth: `Bearer ${key}` };
  }

  async function createContact(auth: string, body: Record<string, unknown>): Promise<{ id: string }> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: auth },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>();
  }

  beforeAll(async () => {
    store = await openTestStore(dialect);
    keys = new ApiKeysRepository(store);
    app = await buildApp({
      store,
      clock: new SimulatedClock(T0),
      secret: 'x'.repeat(40),
      publicUrl: 'http://localhost:4400',
    });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  describe('401 without a valid key', () => {
    it('refuses a request with no Authorization header', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/contacts' });
      const err = errorOf(res, 401);
      expect(err.code).toBe('unauthorized');
      expect(err.message).toContain('Authorization: Bearer');
    });

    it('refuses an unknown key, a revoked key and a non-bearer scheme the same way', async () => {
      const { ws, auth } = await tenant();
      const { key, record } = await keys.create(ws, { kind: 'api', scopes: ['read'] }, T0);
      await keys.revoke(ws, record.id, T0 + 1);
      for (const authorization of [
        auth + 'x',
        'Bearer bk_thisKeyWasNeverIssued',
        `Bearer ${key}`,
        `Basic ${Buffer.from(`${auth.slice(7)}:`).toString('base64')}`,
      ]) {
        const res = await app.inject({ method: 'GET', url: '/api/v1/contacts', headers: { authorization } });
        expect(errorOf(res, 401).code, authorization).toBe('unauthorized');
      }
    });

    it('does not accept an ingestion write key on the REST API', async () => {
      const ws = await newWorkspace(store);
      const { key } = await keys.create(ws, { kind: 'ingest', scopes: ['ingest'] }, T0);
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(errorOf(res, 401).code).toBe('unauthorized');
    });

    it('checks the key before validating the body', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/contacts', payload: { email: 'nope' } });
      expect(errorOf(res, 401).code).toBe('unauthorized');
    });
  });

  describe('403 when the key lacks the scope', () => {
    it('lets a read-only key list but not create, change or delete', async () => {
      const owner = await tenant();
      const reader = await keys.create(owner.ws, { kind: 'api', scopes: ['read'] }, T0);
      const auth = `Bearer ${reader.key}`;
      const { id } = await createContact(owner.auth, { email: 'ro@example.com' });

      expect(
        (await app.inject({ method: 'GET', url: `/api/v1/contacts/${id}`, headers: { authorization: auth } }))
          .statusCode,
      ).toBe(200);
      for (const req of [
        { method: 'POST' as const, url: '/api/v1/contacts', payload: { email: 'new@example.com' } },
        { method: 'POST' as const, url: '/api/v1/contacts/upsert', payload: { email: 'ro@example.com' } },
        { method: 'PATCH' as const, url: `/api/v1/contacts/${id}`, payload: { first_name: 'X' } },
        { method: 'DELETE' as const, url: `/api/v1/contacts/${id}` },
        { method: 'POST' as const, url: '/api/v1/accounts', payload: { domain: 'acme.com' } },
      ]) {
        const err = errorOf(await app.inject({ ...req, headers: { authorization: auth } }), 403);
        expect(err.code).toBe('forbidden');
        expect(err.message).toContain('`write`');
      }
      const after = await app.inject({
        method: 'GET',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: auth },
      });
      expect(after.json<{ first_name: string | null }>().first_name).toBeNull();
    });

    it('refuses reads to a key without `read` and lets `admin` do everything', async () => {
      const launcher = await tenant(['launch']);
      const err = errorOf(
        await app.inject({
          method: 'GET',
          url: '/api/v1/accounts',
          headers: { authorization: launcher.auth },
        }),
        403,
      );
      expect(err.message).toContain('`read`');

      const admin = await tenant(['admin']);
      const { id } = await createContact(admin.auth, { email: 'boss@example.com' });
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: admin.auth },
      });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('404', () => {
    it('answers 404 for a contact of another workspace, exactly as for an id that does not exist', async () => {
      const a = await tenant();
      const b = await tenant(['admin']);
      const { id } = await createContact(a.auth, { email: 'secret@victim.com', first_name: 'Vic' });
      const missing = id.slice(0, -4) + 'ZZZZ';

      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        const payload = method === 'PATCH' ? { first_name: 'Mallory' } : undefined;
        const theirs = await app.inject({
          method,
          url: `/api/v1/contacts/${id}`,
          headers: { authorization: b.auth },
          payload,
        });
        const none = await app.inject({
          method,
          url: `/api/v1/contacts/${missing}`,
          headers: { authorization: b.auth },
          payload,
        });
        const errTheirs = errorOf(theirs, 404);
        const errNone = errorOf(none, 404);
        expect(errTheirs.code).toBe('not_found');
        // Same answer apart from the id echoed back: nothing tells B that the contact exists elsewhere.
        expect(errTheirs.message.replace(id, 'ID')).toBe(errNone.message.replace(missing, 'ID'));
        expect(theirs.body).not.toContain('victim');
      }

      // B's attempts changed nothing in A.
      const mine = await app.inject({
        method: 'GET',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: a.auth },
      });
      expect(mine.statusCode).toBe(200);
      expect(mine.json<{ first_name: string }>().first_name).toBe('Vic');
    });

    it('keeps lists, filters and upserts inside the workspace (no 409 leak across workspaces)', async () => {
      const a = await tenant();
      const b = await tenant();
      const { id } = await createContact(a.auth, { email: 'shared@example.com' });

      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts?email=shared@example.com',
        headers: { authorization: b.auth },
      });
      expect(list.statusCode).toBe(200);
      expect(list.json<{ data: unknown[] }>().data).toEqual([]);

      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: b.auth },
        payload: { email: 'shared@example.com' },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json<{ id: string }>().id).not.toBe(id);
    });

    it('answers 404 for an account of another workspace', async () => {
      const a = await tenant();
      const b = await tenant();
      const made = await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: a.auth },
        payload: { domain: 'acme.com' },
      });
      expect(made.statusCode, made.body).toBe(201);
      const id = made.json<{ id: string }>().id;
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/accounts/${id}`,
        headers: { authorization: b.auth },
      });
      expect(errorOf(res, 404).code).toBe('not_found');
    });

    it('answers an unknown route with a JSON 404, with or without a key', async () => {
      const { auth } = await tenant();
      for (const [url, headers] of [
        ['/api/v1/nothing-here', {}],
        ['/api/v1/nothing-here', { authorization: auth }],
        ['/no/such/page', {}],
      ] as const) {
        const err = errorOf(await app.inject({ method: 'GET', url, headers }), 404);
        expect(err.code).toBe('not_found');
        expect(err.message).toContain(url);
      }
    });
  });

  describe('409 on a duplicate key', () => {
    it('refuses a second contact with the same email and names the field', async () => {
      const { auth } = await tenant();
      const first = await createContact(auth, { email: 'dup@Example.com' });
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
        payload: { email: ' dup@EXAMPLE.COM ', first_name: 'Second' },
      });
      const err = errorOf(res, 409);
      expect(err.code).toBe('conflict');
      expect(err.message).toMatch(/^email/);
      expect(err.details).toMatchObject({ field: 'email' });

      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
      });
      expect(list.json<{ data: Array<{ id: string }> }>().data.map((c) => c.id)).toEqual([first.id]);
    });

    it('refuses a duplicate external_id, and a PATCH onto a taken email', async () => {
      const { auth } = await tenant();
      await createContact(auth, { external_id: 'crm-1', email: 'one@example.com' });
      const two = await createContact(auth, { external_id: 'crm-2', email: 'two@example.com' });

      const dupExternal = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
        payload: { external_id: 'crm-1' },
      });
      expect(errorOf(dupExternal, 409).message).toMatch(/^external_id/);

      const patch = await app.inject({
        method: 'PATCH',
        url: `/api/v1/contacts/${two.id}`,
        headers: { authorization: auth },
        payload: { email: 'one@example.com' },
      });
      expect(errorOf(patch, 409).message).toMatch(/^email/);
    });

    it('answers racing creates of one email with one 201 and 409s, and racing upserts with one 201', async () => {
      const { auth } = await tenant();
      const send = (url: string, email: string) =>
        app.inject({ method: 'POST', url, headers: { authorization: auth }, payload: { email } });
      const creates = await Promise.all(
        Array.from({ length: 8 }, () => send('/api/v1/contacts', 'race@x.io')),
      );
      expect(creates.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of creates.filter((x) => x.statusCode === 409))
        expect(errorOf(r, 409).message).toMatch(/^email/);

      const upserts = await Promise.all(
        Array.from({ length: 8 }, () => send('/api/v1/contacts/upsert', 'upsert-race@x.io')),
      );
      expect(upserts.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(upserts.map((r) => r.json<{ id: string }>().id)).size).toBe(1);
    });

    it('refuses a second account with the same domain and names the field', async () => {
      const { auth } = await tenant();
      const ok = await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: auth },
        payload: { domain: 'acme.com' },
      });
      expect(ok.statusCode, ok.body).toBe(201);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: auth },
        payload: { domain: 'https://www.ACME.com/' },
      });
      const err = errorOf(res, 409);
      expect(err.code).toBe('conflict');
      expect(err.message).toMatch(/^domain/);
    });
  });

  describe('413 on a body over the limit', () => {
    it('refuses a body one byte over 1 MiB and writes nothing', async () => {
      const { auth } = await tenant();
      const base = JSON.stringify({ email: 'big@example.com', attributes: { blob: '' } });
      const blob = 'a'.repeat(API_BODY_LIMIT + 1 - base.length);
      const payload = JSON.stringify({ email: 'big@example.com', attributes: { blob } });
      expect(Buffer.byteLength(payload)).toBe(API_BODY_LIMIT + 1);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth, 'content-type': 'application/json' },
        payload,
      });
      expect(errorOf(res, 413).code).toBe('payload_too_large');
      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
      });
      expect(list.json<{ data: unknown[] }>().data).toEqual([]);
    });

    it('accepts a body just under the limit', async () => {
      const { auth } = await tenant();
      const base = JSON.stringify({ email: 'big@example.com', attributes: { blob: '' } });
      const blob = 'a'.repeat(API_BODY_LIMIT - 16 - base.length);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
        payload: { email: 'big@example.com', attributes: { blob } },
      });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    });
  });

  describe('422 naming the field', () => {
    it.each([
      [{ email: 'not-an-email' }, 'body.email', 'email'],
      [{ email: 'tz@example.com', time_zone: 'Mars/Olympus_Mons' }, 'body.time_zone', 'IANA'],
      [{ email: 'ls@example.com', lifecycle_stage: 'prospect' }, 'body.lifecycle_stage', ''],
      [{ first_name: 'Nobody' }, 'body.email', 'external_id'],
      [{ email: 'ph@example.com', phone: 'call me' }, 'body.phone', 'phone'],
    ])('refuses contact %j at %s', async (payload, path, words) => {
      const { auth } = await tenant();
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
        payload,
      });
      const err = errorOf(res, 422);
      expect(err.code).toBe('invalid_input');
      expect(issuePaths(err)).toContain(path);
      expect(err.message.startsWith(path)).toBe(true);
      expect(err.message).toContain(words);
    });

    it('names an unknown body field', async () => {
      const { auth } = await tenant();
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth },
        payload: { email: 'x@example.com', favourite_colour: 'teal' },
      });
      const err = errorOf(res, 422);
      expect(err.message).toContain('favourite_colour');
    });

    it('names the field on a PATCH, an account and a list query', async () => {
      const { auth } = await tenant();
      const { id } = await createContact(auth, { email: 'p@example.com' });
      const patch = await app.inject({
        method: 'PATCH',
        url: `/api/v1/contacts/${id}`,
        headers: { authorization: auth },
        payload: { time_zone: 'Europe/Atlantis' },
      });
      expect(issuePaths(errorOf(patch, 422))).toContain('body.time_zone');

      const account = await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: auth },
        payload: { domain: 'acme.com', size: -3 },
      });
      expect(issuePaths(errorOf(account, 422))).toContain('body.size');

      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts?limit=0',
        headers: { authorization: auth },
      });
      expect(issuePaths(errorOf(list, 422))).toContain('querystring.limit');
    });

    it('names fields the store checks (keys, account links, cursors) the same way as schema errors', async () => {
      const { auth } = await tenant();
      const { id } = await createContact(auth, { email: 'only-key@example.com' });
      const cases: Array<[InjectOptions, string]> = [
        [{ method: 'PATCH', url: `/api/v1/contacts/${id}`, payload: { email: null } }, 'body.email'],
        [
          { method: 'PATCH', url: `/api/v1/contacts/${id}`, payload: { account_id: 'acc_nope' } },
          'body.account_id',
        ],
        [
          {
            method: 'POST',
            url: '/api/v1/contacts',
            payload: { email: 'n@example.com', account_domain: 'nope.io' },
          },
          'body.account_domain',
        ],
        [
          {
            method: 'POST',
            url: '/api/v1/contacts/upsert',
            payload: { email: 'u@example.com', account_id: 'acc_nope' },
          },
          'body.account_id',
        ],
        [{ method: 'GET', url: '/api/v1/accounts?cursor=bm90LWEtY3Vyc29y' }, 'querystring.cursor'],
      ];
      for (const [req, path] of cases) {
        const err = errorOf(await app.inject({ ...req, headers: { authorization: auth } }), 422);
        expect(issuePaths(err), JSON.stringify(req)).toEqual([path]);
        expect(err.message.startsWith(`${path}: `)).toBe(true);
      }
    });

    it('refuses a cursor Baton did not issue', async () => {
      const { auth } = await tenant();
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/contacts?cursor=bm90LWEtY3Vyc29y',
        headers: { authorization: auth },
      });
      const err = errorOf(res, 422);
      expect(issuePaths(err)).toEqual(['querystring.cursor']);
    });

    it('refuses a body that is not JSON without a 500', async () => {
      const { auth } = await tenant();
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: { authorization: auth, 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorJson>().error.code).toBe('bad_request');
    });
  });

  describe('OpenAPI', () => {
    it('documents the contacts and accounts paths with their schemas', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{
        openapi: string;
        paths: Record<
          string,
          Record<string, { requestBody?: unknown; parameters?: Array<{ name: string }> }>
        >;
      }>();
      expect(doc.openapi).toMatch(/^3\./);
      for (const [path, methods] of Object.entries({
        '/api/v1/contacts': ['get', 'post'],
        '/api/v1/contacts/upsert': ['post'],
        '/api/v1/contacts/{id}': ['get', 'patch', 'delete'],
        '/api/v1/accounts': ['get', 'post'],
        '/api/v1/accounts/upsert': ['post'],
        '/api/v1/accounts/{id}': ['get', 'patch', 'delete'],
      })) {
        expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
      }
      const create = JSON.stringify(doc.paths['/api/v1/contacts']?.post?.requestBody);
      expect(create).toContain('time_zone');
      expect(create).toContain('lifecycle_stage');
      const listParams = doc.paths['/api/v1/contacts']?.get?.parameters?.map((p) => p.name) ?? [];
      expect(listParams).toEqual(expect.arrayContaining(['limit', 'cursor', 'email', 'q', 'updated_since']));
    });

    it('serves the docs page', async () => {
      const res = await app.inject({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    });
  });
});
