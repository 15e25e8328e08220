// Erasure on both stores: afterwards no text or JSON column of any table holds the person's email, names,
// phone or ids, the campaign report is the same as before, and the email cannot come back by import, API
// upsert or an identify call.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashIdentifiers } from '../../src/channels/ads/identifiers.js';
import { BatonError } from '../../src/domain/errors.js';
import { AdsAudiencesRepository } from '../../src/store/ads-audiences.repository.js';
import { reportToJson } from '../../src/measure/report-text.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { importContacts } from '../../src/store/import/index.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { ingestMessages, parseMessage } from '../../src/store/ingest.js';
import { eraseContact, erasedEmailKey, exportContact } from '../../src/store/privacy/index.js';
import { buildCampaignReport } from '../../src/store/report-data.js';
import { dialects, newWorkspace, openTestStore, tempSqliteUrl, type TestStore } from '../support/stores.js';
import { reportCampaign } from '../report-fixture.js';
import { personWithData, searchDatabase, writtenForms } from './privacy-fixture.js';

const AS_OF = Date.parse('2027-01-06T12:00:00Z');
const ERASED_AT = Date.parse('2027-01-06T12:00:00Z');

describe.each(dialects)('erasure (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('searches tables Baton does not know of, and the escaped and encoded forms of a value', async () => {
    const table = `zz_probe_${randomBytes(4).toString('hex')}`;
    const needle = `Zoë.${randomBytes(3).toString('hex')}+x@example.org`;
    expect(writtenForms(needle)).toEqual([
      needle.toLowerCase(),
      needle.replace('ë', '\\u00eb').toLowerCase(),
      encodeURIComponent(needle).toLowerCase(),
    ]);
    await sql`create table ${sql.table(table)} (n integer, note text)`.execute(store.db);
    try {
      expect(await searchDatabase(store, needle)).toEqual([]);
      const escaped = JSON.stringify({ who: needle }).replace('ë', '\\u00eb');
      await sql`insert into ${sql.table(table)} (n, note) values (1, ${escaped})`.execute(store.db);
      await sql`insert into ${sql.table(table)} (n, note) values (2, ${`?e=${encodeURIComponent(needle)}`})`.execute(
        store.db,
      );
      await sql`insert into ${sql.table(table)} (n, note) values (3, ${needle.toUpperCase()})`.execute(
        store.db,
      );
      expect(await searchDatabase(store, needle)).toEqual([{ table, column: 'note', count: 3 }]);
    } finally {
      await sql`drop table ${sql.table(table)}`.execute(store.db);
    }
  });

  it('leaves nothing that names the person anywhere, and the campaign report unchanged', async () => {
    const ws = await newWorkspace(store);
    const { person, intro } = await personWithData(store, ws);

    // The fixture really put the person in many places: the search finds them before erasure.
    const before = await searchDatabase(store, person.email);
    const tablesBefore = new Set(before.map((h) => h.table));
    for (const t of ['contacts', 'events', 'touches', 'suppressions']) expect(tablesBefore).toContain(t);
    expect(new Set((await searchDatabase(store, person.firstName)).map((h) => h.table))).toEqual(
      new Set(['contacts', 'events', 'touches', 'channel_log', 'tasks']),
    );
    expect((await searchDatabase(store, person.userId)).map((h) => h.table)).toContain('contact_identities');

    const reportBefore = reportToJson(await buildCampaignReport(store, ws, reportCampaign.id, AS_OF));
    const result = await eraseContact(store, ws, person.contactId, ERASED_AT);
    const reportAfter = reportToJson(await buildCampaignReport(store, ws, reportCampaign.id, AS_OF));
    expect(reportAfter).toEqual(reportBefore);
    // The report really counts this person: their demo (value 100) is one of the goal's conversions.
    expect(reportBefore).toMatchObject({ goal: { actual: 2 } });

    for (const needle of [
      person.email,
      person.firstName,
      person.lastName,
      person.phone,
      person.userId,
      person.anonymousId,
    ]) {
      expect(await searchDatabase(store, needle), needle).toEqual([]);
    }
    // The contact id survives only as the audit trail's target; kept rows carry the tombstone.
    expect((await searchDatabase(store, person.contactId)).map((h) => `${h.table}.${h.column}`)).toEqual([
      'audit_log.target_id',
    ]);
    const kept = await store.db
      .selectFrom('touches')
      .select(['contact_id', 'status', 'details', 'message_id', 'reason'])
      .where('id', '=', intro.id)
      .executeTakeFirstOrThrow();
    expect(kept).toMatchObject({
      contact_id: result.tombstoneId,
      status: 'sent',
      message_id: null,
      reason: null,
    });
    expect(result.emailSuppressed).toBe(true);
    // The task and the ads audience entry stay for the counts, under the tombstone; the audience entry is
    // marked removed so the next delta export takes the person out of the ad network's list.
    expect(
      await store.db
        .selectFrom('tasks')
        .select(['contact_id', 'outcome', 'instructions', 'note'])
        .where('workspace_id', '=', ws)
        .execute(),
    ).toEqual([{ contact_id: result.tombstoneId, outcome: 'connected', instructions: null, note: null }]);
    expect(
      await store.db
        .selectFrom('ads_audience_members')
        .select(['contact_id', 'removed_reason'])
        .where('workspace_id', '=', ws)
        .execute(),
    ).toEqual([{ contact_id: result.tombstoneId, removed_reason: 'erased' }]);
    // The audience was never exported, so no network holds the person: their hashed identifiers went too.
    const hashed = hashIdentifiers({
      email: person.email,
      phone: person.phone,
      firstName: null,
      lastName: null,
      country: null,
      zip: null,
    });
    for (const h of [hashed.google.email!, hashed.google.phone!, hashed.meta.email!, hashed.meta.phone!]) {
      expect(await searchDatabase(store, h), h).toEqual([]);
    }
    expect(result.tables.contact_identities).toEqual({ deleted: 2, anonymised: 0 });
    const sup = await store.db
      .selectFrom('suppressions')
      .select(['kind', 'value', 'reason'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(sup).toEqual([{ kind: 'erased', value: erasedEmailKey(ws, person.email), reason: 'erasure' }]);
    await expect(exportContact(store, ws, person.contactId, ERASED_AT)).rejects.toMatchObject({
      code: 'not_found',
    });
    const audit = await store.db
      .selectFrom('audit_log')
      .select(['action', 'target_id', 'actor_type'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(audit).toEqual([{ action: 'contact.erase', target_id: person.contactId, actor_type: 'system' }]);
  });

  it("empties an erased person's audience hashes once every exported format was sent the removal", async () => {
    const ws = await newWorkspace(store);
    const { person, audienceId } = await personWithData(store, ws);
    const hashed = hashIdentifiers({
      email: person.email,
      phone: person.phone,
      firstName: person.firstName,
      lastName: person.lastName,
      country: 'US',
      zip: null,
    });
    const hashes = [hashed.google.email!, hashed.google.phone!, hashed.meta.email!, hashed.meta.phone!];
    const held = async () => {
      const tables = new Set<string>();
      for (const h of hashes) for (const hit of await searchDatabase(store, h)) tables.add(hit.table);
      return [...tables];
    };
    expect(await held()).toEqual(['ads_audience_members']);
    const ads = new AdsAudiencesRepository(store);
    // Google has the person (a full export before the erasure); Meta was never sent this audience.
    const full = await ads.export(ws, audienceId, { format: 'google', mode: 'full' }, ERASED_AT - 60_000);
    expect(full.mode === 'full' && full.csv).toContain(hashed.google.email!);

    await eraseContact(store, ws, person.contactId, ERASED_AT);
    expect(await held()).toEqual(['ads_audience_members']);
    // A first Meta delta (since the audience's creation) lists the removal, but Google has yet to hear of it.
    const meta = await ads.export(ws, audienceId, { format: 'meta', mode: 'delta' }, ERASED_AT + 1_000);
    expect(meta.mode === 'delta' && meta.removed.count).toBe(1);
    expect(await held()).toEqual(['ads_audience_members']);

    const google = await ads.export(ws, audienceId, { format: 'google', mode: 'delta' }, ERASED_AT + 2_000);
    if (google.mode !== 'delta') throw new Error('expected a delta');
    expect(google.removed.count).toBe(1);
    expect(google.removed.csv).toContain(hashed.google.email!);
    expect(google.removed.csv).toContain(hashed.google.phone!);
    expect(await held()).toEqual([]);

    // The entry stays for the counts, and a later delta over the same window has nothing left to send.
    expect((await ads.get(ws, audienceId)).removed).toBe(1);
    const again = await ads.export(
      ws,
      audienceId,
      { format: 'google', mode: 'delta', since: ERASED_AT - 1 },
      ERASED_AT + 3_000,
    );
    expect(again.mode === 'delta' && again.removed.count).toBe(0);
  });

  it('keeps the goal event value and the machine-open flag, and drops every other property', async () => {
    const ws = await newWorkspace(store);
    const { person, touchEvent } = await personWithData(store, ws);
    // A scanner's open and a click, as the tracking endpoints record them for this person's intro.
    await appendEvents(store.db, [
      touchEvent('opened', 0, { machine: true, agent: `scanner of ${person.email}` }),
      touchEvent('clicked', 0, { url: `https://example.com/?who=${person.email}`, index: 0, machine: false }),
    ]);
    const { tombstoneId } = await eraseContact(store, ws, person.contactId, ERASED_AT);
    const events = await store.db
      .selectFrom('events')
      .select(['type', 'properties', 'anonymous_id'])
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', tombstoneId)
      .orderBy('seq')
      .execute();
    const props = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
    expect(events.map((e) => [e.type, props(e.properties), e.anonymous_id])).toEqual([
      ['sent', {}, null],
      ['delivered', {}, null],
      ['opened', {}, null],
      ['demo_booked', { value: 100 }, null],
      ['converted', { value: 100 }, null],
      ['page', {}, null],
      ['identify', {}, null],
      ['opened', { machine: true }, null],
      ['clicked', { machine: false }, null],
    ]);
  });

  it('refuses to bring the person back by import, API upsert or identify', async () => {
    const ws = await newWorkspace(store);
    const { person } = await personWithData(store, ws);
    await eraseContact(store, ws, person.contactId, ERASED_AT);
    const contacts = new ContactsRepository(store);

    // Another spelling of the same address (case of the local part, spaces) is the same person.
    const respelled = `  ${person.email.toUpperCase()} `;
    const err = await contacts
      .upsert(ws, { email: respelled.trim() }, ERASED_AT + 1)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatonError);
    expect(err).toMatchObject({ code: 'conflict', details: { field: 'email', reason: 'erased' } });
    await expect(contacts.create(ws, { email: person.email }, ERASED_AT + 1)).rejects.toMatchObject({
      code: 'conflict',
    });
    const other = await contacts.create(ws, { email: `someone.else.${ws}@example.org` }, ERASED_AT + 1);
    await expect(contacts.update(ws, other.id, { email: person.email }, ERASED_AT + 2)).rejects.toMatchObject(
      { code: 'conflict', details: { reason: 'erased' } },
    );

    const tmp = tempSqliteUrl();
    try {
      const file = join(tmp.dir, 'contacts.csv');
      writeFileSync(
        file,
        `email,first_name\n${person.email},${person.firstName}\nnew.${ws}@example.org,Ann\n`,
      );
      const strict = await importContacts(store, file, { workspaceId: ws, now: ERASED_AT + 3 });
      expect(strict.committed).toBe(false);
      expect(strict.issues).toEqual([
        {
          line: 2,
          column: 'email',
          reason: 'belongs to a person whose data was erased at their request; Baton will not store it again',
        },
      ]);
      const lenient = await importContacts(store, file, {
        workspaceId: ws,
        now: ERASED_AT + 3,
        skipInvalid: true,
        rejectsPath: join(tmp.dir, 'rejects.csv'),
      });
      expect([lenient.inserted, lenient.rejected]).toEqual([1, 1]);
    } finally {
      tmp.cleanup();
    }

    const identify = parseMessage(
      {
        type: 'identify',
        userId: 'returning-user',
        traits: { email: person.email, firstName: person.firstName },
      },
      undefined,
      ERASED_AT + 4,
      undefined,
    );
    if (!identify.ok) throw new Error(identify.error);
    expect(await ingestMessages(store, ws, [identify.message], ERASED_AT + 4)).toEqual({
      stored: 0,
      duplicates: 0,
      erased: 1,
    });
    expect(await searchDatabase(store, person.email)).toEqual([]);
    expect(await searchDatabase(store, person.firstName)).toEqual([]);
  });

  it('answers not_found for a contact of another workspace and changes nothing', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const { person } = await personWithData(store, ws);
    await expect(eraseContact(store, other, person.contactId, ERASED_AT)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await searchDatabase(store, person.email)).length).toBeGreaterThan(0);
  });
});
