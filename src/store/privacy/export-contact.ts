// Access and portability (GDPR art. 15 and 20): everything Baton holds about one person as one JSON
// document. Beyond the named sections, every other table with a `contact_id` column is read too, so data a
// later feature stores about people is exported without this file knowing about it.
import { sql } from 'kysely';
import { BatonError } from '../../domain/errors.js';
import { toContact } from '../contacts.repository.js';
import type { Store } from '../db.js';
import { fromJson } from '../json.js';
import { listColumns } from './columns.js';

export type Row = Record<string, unknown>;

export interface ContactExport {
  format: 'baton.contact-export.v1';
  exported_at: string;
  workspace_id: string;
  contact: Row;
  account: Row | null;
  identities: Row[];
  consent: {
    subscription_status: string;
    sms_consent: boolean;
    category_optouts: Row[];
    /** Suppression-list entries for the person's address or its domain. */
    suppressions: Row[];
  };
  lists: Row[];
  enrollments: Row[];
  touches: Row[];
  events: Row[];
  conversions: Row[];
  channel_log: Row[];
  /** Rows of any other table with a `contact_id` column, by table. */
  other: Record<string, Row[]>;
}

/** Tables that have a section of their own above. */
const SECTIONS = new Set([
  'contact_identities',
  'email_category_optouts',
  'enrollments',
  'touches',
  'events',
  'conversions',
  'channel_log',
]);

/** JSON columns come back as text on SQLite: give them back as JSON, and times as ISO 8601 next to epoch ms. */
function readable(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'string' && /^[[{]/.test(v)) out[k] = fromJson(v, v);
    else out[k] = v;
    if (/_at$/.test(k) && typeof v === 'number') out[`${k}_iso`] = new Date(v).toISOString();
  }
  return out;
}

export async function exportContact(
  store: Store,
  workspaceId: string,
  contactId: string,
  now: number,
): Promise<ContactExport> {
  const row = await store.db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!row) throw BatonError.notFound('contact', contactId);
  const contact = toContact(row);
  const columns = await listColumns(store);
  const tables = new Map<string, Set<string>>();
  for (const c of columns) {
    let set = tables.get(c.table);
    if (!set) tables.set(c.table, (set = new Set()));
    set.add(c.column);
  }
  const rowsOf = async (table: string): Promise<Row[]> => {
    const cols = tables.get(table);
    if (!cols?.has('contact_id')) return [];
    const order = cols.has('created_at') ? sql`order by created_at` : sql``;
    const scoped = cols.has('workspace_id') ? sql`and workspace_id = ${workspaceId}` : sql``;
    const r = await sql<Row>`select * from ${sql.table(table)}
      where contact_id = ${contactId} ${scoped} ${order}`.execute(store.db);
    return r.rows.map(readable);
  };

  const account = contact.account_id
    ? await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', contact.account_id)
        .executeTakeFirst()
    : undefined;
  const email = contact.email?.toLowerCase();
  const suppressions = email
    ? await store.db
        .selectFrom('suppressions')
        .select(['kind', 'value', 'reason', 'note', 'created_at'])
        .where('workspace_id', '=', workspaceId)
        .where('value', 'in', [email, email.slice(email.lastIndexOf('@') + 1)])
        .execute()
    : [];
  const lists = await store.db
    .selectFrom('list_members')
    .innerJoin('lists', 'lists.id', 'list_members.list_id')
    .select(['lists.id as list_id', 'lists.name', 'list_members.added_at'])
    .where('list_members.workspace_id', '=', workspaceId)
    .where('list_members.member_id', '=', contactId)
    .orderBy('list_members.added_at')
    .execute();
  const events = await store.db
    .selectFrom('events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('seq')
    .execute();

  const other: Record<string, Row[]> = {};
  for (const [table, cols] of [...tables].sort(([a], [b]) => a.localeCompare(b))) {
    if (!cols.has('contact_id') || SECTIONS.has(table)) continue;
    const rows = await rowsOf(table);
    if (rows.length > 0) other[table] = rows;
  }

  return {
    format: 'baton.contact-export.v1',
    exported_at: new Date(now).toISOString(),
    workspace_id: workspaceId,
    contact: readable({ ...contact }),
    account: account ? readable(account) : null,
    identities: await rowsOf('contact_identities'),
    consent: {
      subscription_status: contact.subscription_status,
      sms_consent: contact.sms_consent,
      category_optouts: await rowsOf('email_category_optouts'),
      suppressions: suppressions.map(readable),
    },
    lists: lists.map(readable),
    enrollments: await rowsOf('enrollments'),
    touches: await rowsOf('touches'),
    events: events.map((e) => readable({ ...e, seq: Number(e.seq) })),
    conversions: await rowsOf('conversions'),
    channel_log: await rowsOf('channel_log'),
    other,
  };
}
