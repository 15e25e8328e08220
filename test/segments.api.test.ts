// The audiences HTTP API on both dialects: saved segments, lists, CSV import, suppressions and the
// preview, including 422 answers that name the JSON path of the bad node.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { ApiKeysRepository } from '../src/store/api-keys.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { DAY, NOW, insertAccounts, insertContacts, insertEvents } from './segments-fixtures.js';

describe.each(dialects)('audiences API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let auth: { authorization: string };
  let readOnly: { authorization: string };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    app = await buildApp({
      store,
      clock: new SimulatedClock(NOW),
      secret: 'x'.repeat(40),
      publicUrl: 'http://t',
    });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    const keys = new ApiKeysRepository(store);
    auth = {
      authorization: `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['admin'] }, NOW)).key}`,
    };
    readOnly = {
      authorization: `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['read'] }, NOW)).key}`,
    };
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: auth,
      ...(payload === undefined ? {} : { payload }),
    });

  it('previews an audience and answers bad rules with 422, the path and what is allowed', async () => {
    const [acme] = await insertAccounts(store, ws, [{ domain: 'acme.com', name: 'Acme', industry: 'SaaS' }]);
    const [ann, bob] = await insertContacts(store, ws, [
      { email: 'ann@acme.com', lifecycle_stage: 'lead', account_id: acme!, attributes: { score: 90 } },
      { email: 'bob@acme.com', lifecycle_stage: 'lead', account_id: acme!, attributes: { score: 10 } },
      { email: 'cy@other.org', lifecycle_stage: 'mql' },
    ]);
    await insertEvents(store, ws, [
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: NOW - DAY },
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: NOW - 2 * DAY },
      { contact_id: bob!, type: 'pricing_page_viewed', occurred_at: NOW - DAY },
    ]);
    const segment = {
      all: [
        { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' },
        { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
        { event: 'pricing_page_viewed', count_gte: 2, within_days: 30 },
      ],
    };
    const ok = await call('POST', '/segments/preview', { segment });
    expect(ok.statusCode).toBe(200);
    const body = ok.json<{
      count: number;
      reachable: number;
      share: number;
      sample: Array<{ id: string }>;
    }>();
    expect(body).toMatchObject({ count: 1, reachable: 3 });
    expect(body.share).toBeCloseTo(1 / 3, 12);
    expect(body.sample.map((s) => s.id)).toEqual([ann]);

    const cases: Array<[unknown, string, string]> = [
      [
        { all: [{ attribute: 'lifecycle_stage', op: 'like', value: 'x' }] },
        'segment.all.0.op',
        'use one of eq',
      ],
      [{ attribute: 'shoe_size', op: 'eq', value: 1 }, 'segment.attribute', 'is not a known field'],
      [{ attribute: 'account.size', op: 'gt', value: 'big' }, 'segment.value', 'takes a number'],
      [{ attribute: 'created_at', op: 'gt', value: '2027-13-45' }, 'segment.value', 'is not a date'],
      [{ attribute: 'lifecycle_stage', op: 'in', value: [] }, 'segment.value', 'at least one value'],
      [{ any: [{ list: 'nope' }] }, 'segment.any.0.list', 'no list has the id or name "nope"'],
      [{ not: { segment: 'ghost' } }, 'segment.not.segment', 'no saved segment'],
    ];
    for (const [rule, path, words] of cases) {
      const res = await call('POST', '/segments/preview', { segment: rule });
      expect(res.statusCode, JSON.stringify(rule)).toBe(422);
      const err = res.json<{
        error: { code: string; details: { issues: Array<{ path: string; message: string }> } };
      }>();
      expect(err.error.code).toBe('invalid_input');
      expect(err.error.details.issues[0]).toMatchObject({ path });
      expect(err.error.details.issues[0]!.message).toContain(words);
    }
  });

  it('saves segments, refuses cycles and previews by segment id', async () => {
    await insertContacts(store, ws, [{ email: 'a@x.com', lifecycle_stage: 'lead' }, { email: 'b@x.com' }]);
    const created = await call('POST', '/segments', {
      name: 'leads',
      rule: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' },
    });
    expect(created.statusCode).toBe(201);
    const leads = created.json<{ id: string; created_at: string }>();
    expect(leads.created_at).toBe(new Date(NOW).toISOString());
    expect(
      (await call('POST', '/segments', { name: 'leads', rule: { attribute: 'email', op: 'exists' } }))
        .statusCode,
    ).toBe(409);
    const wrapper = await call('POST', '/segments', {
      name: 'wrapper',
      rule: { any: [{ segment: leads.id }] },
    });
    expect(wrapper.statusCode).toBe(201);

    const cycle = await call('PATCH', `/segments/${leads.id}`, { rule: { not: { segment: 'wrapper' } } });
    expect(cycle.statusCode).toBe(422);
    expect(cycle.json<{ error: { message: string } }>().error.message).toBe(
      'rule.not.segment: segments refer to each other in a cycle (leads → wrapper → leads); a segment cannot include itself',
    );

    const preview = await call('POST', '/segments/preview', { segment_id: 'wrapper', channel: 'none' });
    expect(preview.json<{ count: number }>().count).toBe(1);
    expect((await call('GET', '/segments')).json<{ data: unknown[] }>().data).toHaveLength(2);
    expect((await call('GET', `/segments/wrapper`)).json<{ rule: unknown }>().rule).toEqual({
      any: [{ segment: leads.id }],
    });
    expect((await call('DELETE', `/segments/${leads.id}`)).statusCode).toBe(409);
    expect((await call('DELETE', `/segments/wrapper`)).statusCode).toBe(204);
    expect((await call('GET', `/segments/wrapper`)).statusCode).toBe(404);

    const denied = await app.inject({
      method: 'POST',
      url: '/api/v1/segments',
      headers: readOnly,
      payload: { name: 'x', rule: { attribute: 'email', op: 'exists' } },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('fills a target-account list from CSV and limits the preview to it; suppressions remove contacts', async () => {
    const [acme, globex, initech] = await insertAccounts(store, ws, [
      { domain: 'acme.com', name: 'Acme' },
      { domain: 'globex.io', name: 'Globex' },
      { domain: 'initech.com', name: 'Initech' },
    ]);
    await insertContacts(store, ws, [
      { email: 'a1@acme.com', account_id: acme! },
      { email: 'a2@acme.com', account_id: acme! },
      { email: 'g1@globex.io', account_id: globex! },
      { email: 'i1@initech.com', account_id: initech! },
    ]);
    const list = await call('POST', '/lists', { name: 'Q1 targets', kind: 'account' });
    expect(list.statusCode).toBe(201);
    const id = list.json<{ id: string }>().id;
    const imported = await call('POST', `/lists/${id}/import`, {
      csv: 'Company,Website\nAcme,https://www.acme.com/\nGlobex,globex.io\nNobody,nobody.example\n',
    });
    expect(imported.json()).toEqual({ changed: 2, unknown: ['nobody.example'] });
    expect((await call('GET', `/lists/${id}`)).json<{ member_count: number }>().member_count).toBe(2);
    expect(
      (await call('GET', `/lists/${id}/members?limit=1`)).json<{ data: string[]; next?: string }>(),
    ).toEqual({
      data: [[acme!, globex!].sort()[0]],
      next: [acme!, globex!].sort()[0],
    });

    const sup = await call('POST', '/suppressions', { value: 'A2@acme.com', reason: 'complaint' });
    expect(sup.statusCode).toBe(201);
    expect(sup.json<{ value: string; kind: string }>()).toMatchObject({
      value: 'a2@acme.com',
      kind: 'email',
    });
    const preview = await call('POST', '/segments/preview', {
      segment: { attribute: 'email', op: 'exists' },
      accounts: { list: 'Q1 targets' },
    });
    expect(preview.json()).toMatchObject({
      count: 2,
      matched: 4,
      removed: [
        { reason: 'outside_target_accounts', count: 1 },
        { reason: 'suppressed', count: 1 },
      ],
      accounts: { reached: 2, target: { total: 2, reached: 2 } },
    });

    const removed = await call('DELETE', `/lists/${id}/members`, { ids: [globex!] });
    expect(removed.json()).toEqual({ changed: 1, unknown: [] });
    expect((await call('DELETE', '/suppressions/a2@acme.com')).statusCode).toBe(204);
    expect((await call('GET', '/suppressions')).json<{ data: unknown[] }>().data).toEqual([]);
    expect((await call('POST', '/lists', { name: 'Q1 targets', kind: 'account' })).statusCode).toBe(409);
    const people = await call('POST', '/lists', { name: 'people', kind: 'contact' });
    expect(
      (await call('POST', `/lists/${people.json<{ id: string }>().id}/import`, { csv: 'acme.com' }))
        .statusCode,
    ).toBe(422);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/segments/preview',
        '/api/v1/segments/{id}',
        '/api/v1/lists/{id}/import',
        '/api/v1/suppressions',
      ]),
    );
  });
});
