// Merging two profiles never loses an opt-out: the survivor takes the stricter email status and every
// category opt-out of both, SMS consent follows the phone number it was given for, and every per-person
// table moves to the survivor in one transaction.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import {
  aliasIdentity,
  identifyContact,
  MERGED_TABLES,
  mergeContacts,
  resolveContact,
} from '../../src/store/identity.js';
import { ListsRepository } from '../../src/store/lists.repository.js';
import { tablesWithContactId } from '../../src/store/privacy/columns.js';
import { PERSON_TABLES } from '../../src/store/privacy/person-tables.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { seedSentTouch } from '../fuzz/fuzz-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('merging profiles keeps opt-outs on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  const contactRow = (ws: string, id: string) =>
    store.db
      .selectFrom('contacts')
      .select(['id', 'email', 'subscription_status', 'sms_consent', 'phone'])
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .executeTakeFirst();
  const optOutRows = (ws: string) =>
    store.db
      .selectFrom('email_category_optouts')
      .select(['contact_id', 'category'])
      .where('workspace_id', '=', ws)
      .orderBy('category')
      .execute();

  it('alias of an unsubscribed, opted-out contact into a fresh user id keeps both on the survivor', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const senders = new EmailSendersRepository(store);
    const old = await contacts.create(
      ws,
      { email: 'ada@example.com', external_id: 'crm-1', subscription_status: 'unsubscribed' },
      NOW,
    );
    await senders.optOut(ws, old.id, 'newsletter', NOW);
    expect(await resolveContact(store.db, ws, { userId: 'crm-1' }, NOW)).toBe(old.id);

    const survivor = await aliasIdentity(store.db, ws, 'crm-1', 'app-user-9', NOW + 1000);
    expect(survivor).not.toBe(old.id);
    expect(await contactRow(ws, old.id)).toBeUndefined();
    const row = await contactRow(ws, survivor);
    expect(row?.email).toBe('ada@example.com');
    expect(row?.subscription_status).toBe('unsubscribed');
    expect(await optOutRows(ws)).toEqual([{ contact_id: survivor, category: 'newsletter' }]);
    // The email channel's category check is asked about the survivor, whose id the touch carries.
    const optOuts = await senders.optOuts(ws, [survivor], ['newsletter', 'product']);
    expect([...optOuts]).toEqual([`${survivor}\u0000newsletter`]);
  });

  it('an opted-out survivor stays unsubscribed and opted out when a subscribed profile merges into it', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const senders = new EmailSendersRepository(store);
    const owner = await contacts.create(
      ws,
      { email: 'bob@example.com', subscription_status: 'unsubscribed' },
      NOW,
    );
    await senders.optOut(ws, owner.id, 'newsletter', NOW);
    // A visitor identifies with the owner's email: the visitor's (subscribed) profile merges into the owner.
    const visitor = await resolveContact(store.db, ws, { anonymousId: 'anon-7' }, NOW);
    expect((await contactRow(ws, visitor))?.subscription_status).toBe('subscribed');
    const survivor = await identifyContact(
      store.db,
      ws,
      { anonymousId: 'anon-7' },
      { email: 'bob@Example.com' },
      NOW + 1000,
    );
    expect(survivor).toBe(owner.id);
    expect(await contactRow(ws, visitor)).toBeUndefined();
    expect((await contactRow(ws, owner.id))?.subscription_status).toBe('unsubscribed');
    expect(await optOutRows(ws)).toEqual([{ contact_id: owner.id, category: 'newsletter' }]);
  });

  it('the stricter email status wins whichever side holds it', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const pairs: Array<[string, string, string]> = [
      ['subscribed', 'complained', 'complained'],
      ['complained', 'subscribed', 'complained'],
      ['bounced', 'subscribed', 'bounced'],
      ['unsubscribed', 'bounced', 'unsubscribed'],
      ['bounced', 'complained', 'complained'],
      ['subscribed', 'subscribed', 'subscribed'],
    ];
    for (const [i, [fromStatus, intoStatus, expected]] of pairs.entries()) {
      const from = await contacts.create(
        ws,
        { email: `f${i}@example.com`, subscription_status: fromStatus as never },
        NOW,
      );
      const into = await contacts.create(
        ws,
        { email: `i${i}@example.com`, subscription_status: intoStatus as never },
        NOW,
      );
      await mergeContacts(store.db, ws, from.id, into.id, NOW + 1000);
      expect((await contactRow(ws, into.id))?.subscription_status, `${fromStatus} into ${intoStatus}`).toBe(
        expected,
      );
    }
  });

  it('both opted out of one category: no constraint error, one row remains, the other categories move', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const senders = new EmailSendersRepository(store);
    const from = await contacts.create(ws, { email: 'c1@example.com' }, NOW);
    const into = await contacts.create(ws, { email: 'c2@example.com' }, NOW);
    await senders.optOut(ws, from.id, 'newsletter', NOW);
    await senders.optOut(ws, from.id, 'product', NOW);
    await senders.optOut(ws, into.id, 'newsletter', NOW);
    await mergeContacts(store.db, ws, from.id, into.id, NOW + 1000);
    expect(await optOutRows(ws)).toEqual([
      { contact_id: into.id, category: 'newsletter' },
      { contact_id: into.id, category: 'product' },
    ]);
  });

  it('SMS consent follows the phone number: an opt-out on the same number wins, a profile without one changes nothing', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const consented = await contacts.create(
      ws,
      { email: 's1@example.com', phone: '+44 20 7946 0001', sms_consent: true },
      NOW,
    );
    // An anonymous profile (no phone, no consent) merging in does not revoke the survivor's consent.
    const visitor = await resolveContact(store.db, ws, { anonymousId: 'anon-s' }, NOW);
    await mergeContacts(store.db, ws, visitor, consented.id, NOW + 1000);
    expect((await contactRow(ws, consented.id))?.sms_consent).toBe(1);
    // The same number without consent on the other profile: the opt-out wins.
    const stopped = await contacts.create(
      ws,
      { email: 's2@example.com', phone: '+442079460001', sms_consent: false },
      NOW,
    );
    await mergeContacts(store.db, ws, stopped.id, consented.id, NOW + 2000);
    expect((await contactRow(ws, consented.id))?.sms_consent).toBe(0);
    // A survivor without a phone takes the other's number with that number's consent.
    const noPhone = await contacts.create(ws, { email: 's3@example.com' }, NOW);
    const withPhone = await contacts.create(
      ws,
      { email: 's4@example.com', phone: '+15550100', sms_consent: true },
      NOW,
    );
    await mergeContacts(store.db, ws, withPhone.id, noPhone.id, NOW + 3000);
    const merged = await contactRow(ws, noPhone.id);
    expect(merged?.phone).toBe('+15550100');
    expect(merged?.sms_consent).toBe(1);
  });

  it('list memberships and journey stages move, shared ones keep one row', async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const lists = new ListsRepository(store);
    const from = await contacts.create(ws, { email: 'l1@example.com' }, NOW);
    const into = await contacts.create(ws, { email: 'l2@example.com' }, NOW);
    const both = await lists.create(ws, { name: 'both', kind: 'contact' }, NOW);
    const theirs = await lists.create(ws, { name: 'theirs', kind: 'contact' }, NOW);
    await lists.addMembers(ws, both.id, [from.id, into.id], NOW);
    await lists.addMembers(ws, theirs.id, [from.id], NOW);
    await store.db
      .insertInto('journey_stages')
      .values({
        workspace_id: ws,
        subject_kind: 'contact',
        subject_id: from.id,
        stage: 'engaged',
        stage_index: 1,
        entered_at: NOW,
      })
      .execute();
    await mergeContacts(store.db, ws, from.id, into.id, NOW + 1000);
    const members = await store.db
      .selectFrom('list_members')
      .select(['list_id', 'member_id'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(members.map((m) => `${m.list_id}:${m.member_id}`).sort()).toEqual(
      [`${both.id}:${into.id}`, `${theirs.id}:${into.id}`].sort(),
    );
    const stages = await store.db
      .selectFrom('journey_stages')
      .select(['subject_id', 'stage'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(stages).toEqual([{ subject_id: into.id, stage: 'engaged' }]);
  });

  it("leaves no row of any per-person table on the merged contact's id", async () => {
    const ws = await newWorkspace(store);
    const contacts = new ContactsRepository(store);
    const into = await contacts.create(ws, { email: 'keep@customer.example' }, NOW);
    // A sent email touch (contact, enrollment in `launch`, touch), then its task, channel log and audience row.
    const seeded = await seedSentTouch(store, ws, NOW, { email: 'gone@customer.example' });
    const from = seeded.contact;
    const enrollment = (
      await store.db
        .selectFrom('enrollments')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', from)
        .executeTakeFirstOrThrow()
    ).id;
    await store.db
      .insertInto('tasks')
      .values({
        id: `task_${seeded.touch}`,
        workspace_id: ws,
        touch_id: seeded.touch,
        campaign_id: 'launch',
        enrollment_id: enrollment,
        contact_id: from,
        step_id: 'intro',
        type: 'call',
        instructions: null,
        assignee_user_id: null,
        assignee: null,
        status: 'open',
        due_at: NOW,
        overdue_at: NOW,
        expires_at: NOW + 86_400_000,
        outcome: null,
        note: null,
        resolved_at: null,
        resolved_by: null,
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    await store.db
      .insertInto('channel_log')
      .values({
        touch_id: seeded.touch,
        workspace_id: ws,
        channel: 'email',
        contact_id: from,
        payload: '{}',
        created_at: NOW,
      })
      .execute();
    await store.db
      .insertInto('ads_audience_members')
      .values({
        workspace_id: ws,
        audience_id: `aud_${ws}`,
        contact_id: from,
        campaign_id: 'launch',
        enrollment_id: enrollment,
        identifiers: '{}',
        added_at: NOW,
        removed_at: null,
        removed_reason: null,
      })
      .execute();
    await new EmailSendersRepository(store).optOut(ws, from, 'newsletter', NOW);
    await mergeContacts(store.db, ws, from, into.id, NOW + 1000);

    for (const table of await tablesWithContactId(store)) {
      const left = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where workspace_id = ${ws} and contact_id = ${from}`.execute(store.db);
      expect(Number(left.rows[0]?.n), table).toBe(0);
      const moved = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where workspace_id = ${ws} and contact_id = ${into.id}`.execute(store.db);
      if (
        [
          'enrollments',
          'touches',
          'tasks',
          'channel_log',
          'ads_audience_members',
          'email_category_optouts',
        ].includes(table)
      )
        expect(Number(moved.rows[0]?.n), table).toBe(1);
    }
  });

  it('every table that holds rows about a person has a merge rule', async () => {
    const tables = new Set([...(await tablesWithContactId(store)), ...PERSON_TABLES.map((t) => t.table)]);
    const missing = [...tables].filter((t) => !(t in MERGED_TABLES));
    expect(missing).toEqual([]);
  });
});

describe('a merge is one transaction', () => {
  it('a failure part-way leaves both profiles and the opt-out as they were', async () => {
    // SQLite only: the failure is a trigger of this test's own database file, which the shared PostgreSQL
    // database of the other test files must not carry.
    const store = await openTestStore('sqlite');
    try {
      const ws = await newWorkspace(store);
      const contacts = new ContactsRepository(store);
      const from = await contacts.create(
        ws,
        { email: 'tx1@example.com', subscription_status: 'unsubscribed' },
        NOW,
      );
      const into = await contacts.create(ws, { email: 'tx2@example.com' }, NOW);
      await new EmailSendersRepository(store).optOut(ws, from.id, 'newsletter', NOW);
      // The journey step runs after the contacts and the opt-outs have been rewritten.
      await store.db
        .insertInto('journey_stage_changes')
        .values({
          id: 'jsc_1',
          workspace_id: ws,
          subject_kind: 'contact',
          subject_id: from.id,
          from_stage: null,
          to_stage: 'engaged',
          changed_at: NOW,
          cause: 'event',
          event_id: null,
          event_type: null,
          recorded_at: NOW,
        })
        .execute();
      await sql`create trigger fail_merge before update on journey_stage_changes
        begin select raise(abort, 'merge interrupted'); end`.execute(store.db);
      await expect(mergeContacts(store.db, ws, from.id, into.id, NOW + 1000)).rejects.toThrow(
        /merge interrupted/,
      );
      const rows = await store.db
        .selectFrom('contacts')
        .select(['id', 'subscription_status'])
        .where('workspace_id', '=', ws)
        .orderBy('email')
        .execute();
      expect(rows).toEqual([
        { id: from.id, subscription_status: 'unsubscribed' },
        { id: into.id, subscription_status: 'subscribed' },
      ]);
      const optOuts = await store.db
        .selectFrom('email_category_optouts')
        .select(['contact_id', 'category'])
        .where('workspace_id', '=', ws)
        .execute();
      expect(optOuts).toEqual([{ contact_id: from.id, category: 'newsletter' }]);
    } finally {
      await store.dispose();
    }
  });
});
