// GET /api/v1/contacts/:id/export and DELETE /api/v1/contacts/:id?erase=true over the real app, both stores.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer } from '../api/api-harness.js';
import { personWithData, searchDatabase } from './privacy-fixture.js';

describe.each(dialects)('privacy API (%s)', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('exports every kind of record held about the person', async () => {
    const ws = await newWorkspace(store);
    const { person, intro, listId } = await personWithData(store, ws);
    const admin = await bearer(store, ws, ['admin']);
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/contacts/${person.contactId}/export`,
      headers: { authorization: admin },
    });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.contact).toMatchObject({
      id: person.contactId,
      email: person.email,
      first_name: person.firstName,
      last_name: person.lastName,
      phone: person.phone,
    });
    expect(doc.identities.map((i: { kind: string; value: string }) => [i.kind, i.value]).sort()).toEqual([
      ['anonymous_id', person.anonymousId],
      ['user_id', person.userId],
    ]);
    expect(doc.consent).toMatchObject({
      subscription_status: 'subscribed',
      sms_consent: false,
      category_optouts: [{ category: 'newsletter' }],
      suppressions: [{ kind: 'email', value: person.email, reason: 'manual' }],
    });
    expect(doc.lists).toEqual([expect.objectContaining({ list_id: listId })]);
    expect(doc.enrollments).toEqual([
      expect.objectContaining({ campaign_id: 'report-push', arm: 'treatment' }),
    ]);
    const touch = doc.touches.find((t: { id: string }) => t.id === intro.id);
    expect(touch.details.email.to).toBe(person.email);
    expect(doc.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['sent', 'delivered', 'opened', 'demo_booked', 'converted', 'page', 'identify']),
    );
    expect(doc.events.find((e: { type: string }) => e.type === 'identify').properties.traits.phone).toBe(
      person.phone,
    );
    expect(doc.conversions).toEqual([expect.objectContaining({ campaign_id: 'report-push', value: 100 })]);
    expect(doc.channel_log).toEqual([
      expect.objectContaining({
        touch_id: intro.id,
        payload: expect.objectContaining({ campaign: 'report-push' }),
      }),
    ]);
    expect(touch.sent_at_iso).toMatch(/^2027-01-04T09:/);
    // Tables of later features come through the contact_id discovery, without export code of their own.
    expect(doc.other.tasks).toEqual([expect.objectContaining({ outcome: 'connected', type: 'call' })]);
    expect(doc.other.ads_audience_members).toEqual([
      expect.objectContaining({
        removed_at: null,
        identifiers: expect.objectContaining({ google: expect.any(Object) }),
      }),
    ]);
    const audit = await store.db
      .selectFrom('audit_log')
      .select(['action', 'target_id', 'actor_type'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(audit).toEqual([{ action: 'contact.export', target_id: person.contactId, actor_type: 'key' }]);
  });

  it('erases only with the admin scope, and a missing contact is a 404', async () => {
    const ws = await newWorkspace(store);
    const { person } = await personWithData(store, ws);
    const writer = await bearer(store, ws, ['read', 'write']);
    const admin = await bearer(store, ws, ['admin']);
    const url = `/api/v1/contacts/${person.contactId}?erase=true`;

    const refused = await app.inject({ method: 'DELETE', url, headers: { authorization: writer } });
    expect(refused.statusCode).toBe(403);
    expect((await searchDatabase(store, person.email)).length).toBeGreaterThan(0);
    const exportRefused = await app.inject({
      method: 'GET',
      url: `/api/v1/contacts/${person.contactId}/export`,
      headers: { authorization: writer },
    });
    expect(exportRefused.statusCode).toBe(403);

    const bad = await app.inject({
      method: 'DELETE',
      url: `/api/v1/contacts/${person.contactId}?erase=yes`,
      headers: { authorization: admin },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0].path).toBe('querystring.erase');

    const done = await app.inject({ method: 'DELETE', url, headers: { authorization: admin } });
    expect(done.statusCode).toBe(204);
    expect(await searchDatabase(store, person.email)).toEqual([]);
    const again = await app.inject({ method: 'DELETE', url, headers: { authorization: admin } });
    expect(again.statusCode).toBe(404);

    const upsert = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts/upsert',
      headers: { authorization: admin },
      payload: { email: person.email, first_name: person.firstName },
    });
    expect(upsert.statusCode).toBe(409);
    expect(upsert.json().error.details).toEqual({ field: 'email', reason: 'erased' });
  });
});
