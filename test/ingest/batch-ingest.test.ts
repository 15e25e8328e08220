// Set-based ingestion of track/page/screen runs (the path PostgreSQL takes, and SQLite inside a transaction
// or when a merge is needed): every event lands once with the right contact, new ids make one profile each,
// a merge inside the call re-points the events before it and the ones after it follow, and a retried call
// stores nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestMessages, parseMessage, type TrackingMessage } from '../../src/store/ingest.js';
import type { Store } from '../../src/store/db.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

function messages(raw: Array<Record<string, unknown>>): TrackingMessage[] {
  return raw.map((r, i) => {
    const p = parseMessage(r, undefined, NOW, undefined);
    if (!p.ok) throw new Error(`message ${i}: ${p.error}`);
    return p.message;
  });
}

describe.each(dialects)('set-based ingestion on %s', (dialect) => {
  let store: TestStore;
  // Without the raw SQLite handle the SQLite store takes the Kysely path too, so both dialects run it.
  let kysely: Store;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    kysely = { ...store, sqlite: undefined };
  });
  afterAll(() => store.dispose());

  const eventRows = (ws: string) =>
    store.db
      .selectFrom('events')
      .select(['message_id', 'contact_id', 'type'])
      .where('workspace_id', '=', ws)
      .orderBy('seq')
      .execute();
  const identity = async (ws: string, kind: string, value: string) =>
    (
      await store.db
        .selectFrom('contact_identities')
        .select('contact_id')
        .where('workspace_id', '=', ws)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .executeTakeFirst()
    )?.contact_id;

  it('stores a mixed run once each, one profile per new user, and nothing again on retry', async () => {
    const ws = await newWorkspace(store, NOW);
    // 10 users seen before this call.
    await ingestMessages(
      kysely,
      ws,
      messages(
        Array.from({ length: 10 }, (_, u) => ({
          type: 'track',
          event: 'Seen',
          userId: `u${u}`,
          messageId: `pre-${u}`,
        })),
      ),
      NOW,
    );
    // u39 was imported from a CSV (external id), never tracked: its events go to that contact.
    await store.db
      .insertInto('contacts')
      .values({
        id: 'con_imported_u39',
        workspace_id: ws,
        external_id: 'u39',
        email: 'u39@example.org',
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    const raw = Array.from({ length: 300 }, (_, i) => ({
      type: i % 3 === 0 ? 'page' : 'track',
      event: 'Feature Used',
      name: 'Docs',
      userId: `u${i % 40}`, // 10 known, 29 new, 1 imported
      messageId: `m-${i}`,
    }));
    raw.push({ ...raw[5]! }, { ...raw[7]! }); // repeated inside the call
    const first = await ingestMessages(kysely, ws, messages(raw), NOW);
    expect(first).toEqual({ stored: 300, duplicates: 2 });
    const retry = await ingestMessages(kysely, ws, messages(raw), NOW);
    expect(retry).toEqual({ stored: 0, duplicates: 302 });

    const rows = (await eventRows(ws)).filter((r) => r.message_id?.startsWith('m-'));
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(300);
    for (const r of rows) {
      const u = Number(r.message_id!.slice(2)) % 40;
      expect(r.contact_id).toBe(await identity(ws, 'user_id', `u${u}`));
    }
    const contacts = await store.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(contacts.n)).toBe(40);
    expect(await identity(ws, 'user_id', 'u39')).toBe('con_imported_u39');
    // Pages keep their name; tracks their event name.
    expect(rows.find((r) => r.message_id === 'm-3')?.type).toBe('page');
    expect(rows.find((r) => r.message_id === 'm-4')?.type).toBe('Feature Used');
  });

  it('merges an anonymous visitor into the user inside one call: events before and after follow', async () => {
    const ws = await newWorkspace(store, NOW);
    await ingestMessages(
      kysely,
      ws,
      messages([{ type: 'track', event: 'Signed Up', userId: 'jane', messageId: 'j0' }]),
      NOW,
    );
    const jane = (await identity(ws, 'user_id', 'jane'))!;
    const result = await ingestMessages(
      kysely,
      ws,
      messages([
        { type: 'page', name: 'Pricing', anonymousId: 'anon-1', messageId: 'a1' },
        { type: 'track', event: 'Viewed', anonymousId: 'anon-1', messageId: 'a2' },
        { type: 'track', event: 'Logged In', anonymousId: 'anon-1', userId: 'jane', messageId: 'a3' },
        { type: 'track', event: 'Viewed', anonymousId: 'anon-1', messageId: 'a4' },
        { type: 'track', event: 'Viewed', userId: 'jane', messageId: 'a5' },
      ]),
      NOW,
    );
    expect(result).toEqual({ stored: 5, duplicates: 0 });
    const rows = (await eventRows(ws)).filter((r) => r.message_id?.startsWith('a'));
    expect(rows.map((r) => r.message_id)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(rows.every((r) => r.contact_id === jane)).toBe(true);
    expect(await identity(ws, 'anonymous_id', 'anon-1')).toBe(jane);
    const contacts = await store.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(contacts.map((c) => c.id)).toEqual([jane]);
  });
});
