// Audiences: saved segments, contact and target-account lists with their members, the suppression list,
// and the event index that makes behaviour conditions an index range scan.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('rule', jsonType(db), (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('segments_ws_name')
    .unique()
    .on('segments')
    .columns(['workspace_id', 'name'])
    .execute();

  await db.schema
    .createTable('lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // contact: a static list of contacts; account: a target-account list (ABM)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('lists_ws_name')
    .unique()
    .on('lists')
    .columns(['workspace_id', 'name'])
    .execute();

  await db.schema
    .createTable('list_members')
    .addColumn('list_id', 'text', (c) => c.notNull().references('lists.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    // a contact id (contact lists) or an account id (account lists)
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('list_members_pk', ['list_id', 'member_id'])
    .execute();
  await db.schema
    .createIndex('list_members_ws_member')
    .on('list_members')
    .columns(['workspace_id', 'member_id'])
    .execute();

  await db.schema
    .createTable('suppressions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    // email | domain
    .addColumn('kind', 'text', (c) => c.notNull())
    // a lower-cased email address or domain name
    .addColumn('value', 'text', (c) => c.notNull())
    // manual | hard_bounce | complaint | unsubscribe | import
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('suppressions_ws_value')
    .unique()
    .on('suppressions')
    .columns(['workspace_id', 'value'])
    .execute();

  // Behaviour conditions ("did E at least N times in D days") read only this index: a range scan per
  // event type and time window that yields the contact ids without touching the table.
  await db.schema
    .createIndex('events_ws_type_time_contact')
    .on('events')
    .columns(['workspace_id', 'type', 'occurred_at', 'contact_id'])
    .execute();

  // The preview's "share of all reachable contacts" counts email-reachable contacts of the workspace from
  // this partial index alone, then subtracts suppressed ones found from the (small) suppression list through
  // the two expression indexes below, instead of checking every contact against the list.
  await sql`create index contacts_ws_email_reachable on contacts (workspace_id)
    where email is not null and subscription_status = 'subscribed'`.execute(db);
  // Keep these expressions identical to the ones in src/store/audience.ts, or the planner will not use them.
  const domain = isPostgres(db)
    ? sql`split_part(lower(email), '@', 2)`
    : sql`substr(lower(email), instr(email, '@') + 1)`;
  await sql`create index contacts_ws_email_lower on contacts (workspace_id, lower(email))`.execute(db);
  await sql`create index contacts_ws_email_domain on contacts (workspace_id, ${domain})`.execute(db);
}
