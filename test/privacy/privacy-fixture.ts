// A person with data in every place Baton keeps it, on top of the report campaign (test/report-fixture.ts):
// a treated contact who was sent the intro, opened it and booked a demo worth 100, then identified with
// their name and phone, viewed a page, unsubscribed from a category, sits on a static list and on the
// suppression list. Every string that names them is random, so a search of the whole shared database finds
// this person only.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashIdentifiers } from '../../src/channels/ads/identifiers.js';
import { AdsAudiencesRepository } from '../../src/store/ads-audiences.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { ingestMessages, parseMessage } from '../../src/store/ingest.js';
import { toJson } from '../../src/store/json.js';
import { ListsRepository } from '../../src/store/lists.repository.js';
import { SuppressionsRepository } from '../../src/store/suppressions.repository.js';
import { reportCampaign, runReportCampaign } from '../report-fixture.js';

export interface Person {
  contactId: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  userId: string;
  anonymousId: string;
}

export async function personWithData(store: Store, ws: string) {
  const run = await runReportCampaign(store, ws);
  const tag = randomBytes(5).toString('hex');
  const digits = String(100 + (randomBytes(2).readUInt16BE() % 900));
  const person: Person = {
    contactId: run.treated[0]!,
    email: `zebulon.quist.${tag}@example.org`,
    firstName: `Zebulon${tag}`,
    lastName: `Quistgaard${tag}`,
    phone: `+1555019${digits}`,
    userId: `user-${tag}`,
    anonymousId: `anon-${tag}`,
  };
  const at = Date.parse('2027-01-05T13:00:00Z');
  await store.db
    .updateTable('contacts')
    .set({ email: person.email, title: `Head of ${tag}`, attributes: toJson({ nickname: `Zeb ${tag}` }) })
    .where('id', '=', person.contactId)
    .execute();

  // Segment calls as a site would send them (through the real ingestion path): an anonymous page view, then
  // identify with traits, which ties both ids to the contact that owns the email.
  const page = parseMessage(
    {
      type: 'page',
      anonymousId: person.anonymousId,
      name: 'Pricing',
      properties: { url: `https://example.com/pricing?email=${encodeURIComponent(person.email)}` },
      context: { ip: '203.0.113.7', traits: { email: person.email } },
      timestamp: new Date(at).toISOString(),
    },
    undefined,
    at,
    undefined,
  );
  const identify = parseMessage(
    {
      type: 'identify',
      userId: person.userId,
      anonymousId: person.anonymousId,
      traits: {
        email: person.email,
        firstName: person.firstName,
        lastName: person.lastName,
        phone: person.phone,
        company: `Quist ${tag} GmbH`,
      },
      context: { ip: '203.0.113.7', userAgent: `Browser of ${person.firstName}` },
      timestamp: new Date(at + 1000).toISOString(),
    },
    undefined,
    at,
    undefined,
  );
  if (!page.ok || !identify.ok) throw new Error('fixture messages must parse');
  await ingestMessages(store, ws, [page.message, identify.message], at + 2000);

  // What the email channel keeps on a sent touch and the log channel in channel_log (recipient, rendered links).
  const intro = run.touches.find((t) => t.contact_id === person.contactId && t.step_id === 'intro')!;
  await store.db
    .updateTable('touches')
    .set({
      details: toJson({
        email: {
          from: 'news@baton.example',
          to: person.email,
          message_id: `<${intro.id}@baton.example>`,
          links: [`https://example.com/welcome?name=${person.firstName}`],
        },
      }),
      message_id: `<${intro.id}@baton.example>`,
      reason: `250 accepted for <${person.email}>`,
    })
    .where('id', '=', intro.id)
    .execute();
  await store.db
    .updateTable('channel_log')
    .set({
      payload: toJson({
        campaign: reportCampaign.id,
        content: `Hello ${person.firstName} ${person.lastName}`,
      }),
    })
    .where('touch_id', '=', intro.id)
    .execute();

  await new EmailSendersRepository(store).optOut(ws, person.contactId, 'newsletter', at);
  const list = await new ListsRepository(store).create(ws, { name: `VIP ${tag}`, kind: 'contact' }, at);
  await new ListsRepository(store).addMembers(ws, list.id, [person.contactId], at);
  await new SuppressionsRepository(store).add(ws, { value: person.email, reason: 'manual', note: null }, at);

  // An ads audience entry (hashed identifiers only, as the ads channel stores them) and a sales task whose
  // instructions and note name the person.
  const ads = new AdsAudiencesRepository(store);
  const audienceId = await ads.ensure(ws, `retarget ${tag}`, at);
  await ads.addMembers(
    ws,
    audienceId,
    [
      {
        contactId: person.contactId,
        campaignId: reportCampaign.id,
        enrollmentId: null,
        identifiers: hashIdentifiers({
          email: person.email,
          phone: person.phone,
          firstName: person.firstName,
          lastName: person.lastName,
          country: 'US',
          zip: null,
        }),
      },
    ],
    at,
  );
  const { enrollment_id } = await store.db
    .selectFrom('touches')
    .select('enrollment_id')
    .where('id', '=', intro.id)
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('tasks')
    .values({
      id: newId('tsk', at),
      workspace_id: ws,
      touch_id: intro.id,
      campaign_id: reportCampaign.id,
      enrollment_id,
      contact_id: person.contactId,
      step_id: 'call',
      type: 'call',
      instructions: `Call ${person.firstName} ${person.lastName} on ${person.phone}`,
      assignee_user_id: null,
      assignee: 'Sam Seller',
      status: 'completed',
      due_at: at,
      overdue_at: at + 3_600_000,
      expires_at: at + 86_400_000,
      outcome: 'connected',
      note: `${person.firstName} asked for pricing at ${person.email}`,
      resolved_at: at + 60_000,
      resolved_by: 'Sam Seller',
      created_at: at,
      updated_at: at + 60_000,
    })
    .execute();
  return { ...run, person, intro, listId: list.id, audienceId };
}

export interface Hit {
  table: string;
  column: string;
  count: number;
}

/** Every table and column the database holds, read from its own catalogue (not from Baton's code). */
export async function catalogueColumns(
  store: Store,
): Promise<Array<{ table: string; column: string; type: string }>> {
  const rows =
    store.dialect === 'postgres'
      ? await sql<{ t: string; c: string; type: string }>`
          select c.table_name as t, c.column_name as c, c.data_type as type
          from information_schema.columns c
          join information_schema.tables t
            on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
            -- A partition's rows are read through its parent (events by month): search each row once.
            and not exists (
              select 1 from pg_inherits i
              join pg_class k on k.oid = i.inhrelid
              join pg_namespace n on n.oid = k.relnamespace
              where k.relname = c.table_name and n.nspname = c.table_schema)`.execute(store.db)
      : await sql<{ t: string; c: string; type: string }>`
          select m.name as t, p.name as c, p.type as type
          from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table'`.execute(store.db);
  return rows.rows.map((r) => ({ table: r.t, column: r.c, type: r.type.toLowerCase() }));
}

/**
 * The forms in which a value can be written down: as it is, lower-cased (the search ignores case), escaped
 * inside a JSON string, and percent-encoded in a URL.
 */
export function writtenForms(needle: string): string[] {
  const forms = [
    needle,
    JSON.stringify(needle).slice(1, -1),
    JSON.stringify(needle)
      .slice(1, -1)
      .replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(needle),
  ];
  return [...new Set(forms.map((f) => f.toLowerCase()))];
}

/**
 * Every row of every table whose columns contain `needle` in any of its written forms (case-insensitive).
 * The tables and columns come from the catalogue (information_schema on PostgreSQL, sqlite_master and
 * pragma_table_info on SQLite; a PostgreSQL partition is read through its parent). On PostgreSQL every text, character, JSON and bytea column is searched; on
 * SQLite, whose columns take a value of any type whatever they declare, every column is.
 */
export async function searchDatabase(store: Store, needle: string): Promise<Hit[]> {
  const hits: Hit[] = [];
  const forms = writtenForms(needle);
  for (const c of await catalogueColumns(store)) {
    let raw;
    if (store.dialect === 'postgres') {
      if (c.type === 'bytea') raw = sql`encode(${sql.ref(c.column)}, 'escape')`;
      else if (/char|text|json/.test(c.type)) raw = sql`${sql.ref(c.column)}::text`;
      else continue;
    } else {
      raw = sql`cast(${sql.ref(c.column)} as text)`;
    }
    // SQLite folds only ASCII letters: compare upper-cased too, so `ZOË` is found for `zoë`.
    const has = (text: typeof raw, f: string) =>
      store.dialect === 'postgres' ? sql`strpos(${text}, ${f}) > 0` : sql`instr(${text}, ${f}) > 0`;
    const match = sql.join(
      forms.flatMap((f) => [has(sql`lower(${raw})`, f), has(sql`upper(${raw})`, f.toUpperCase())]),
      sql` or `,
    );
    const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(c.table)}
      where ${match}`.execute(store.db);
    const n = Number(r.rows[0]?.n ?? 0);
    if (n > 0) hits.push({ table: c.table, column: c.column, count: n });
  }
  return hits;
}
