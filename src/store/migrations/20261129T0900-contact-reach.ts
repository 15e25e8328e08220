// How many contacts of a workspace each channel can reach, kept by triggers on SQLite so the audience preview
// reads the denominator of its "share of all reachable contacts" from one row instead of counting ~every
// contact of the workspace on each preview. SQLite has one writer at a time, so one counter row per workspace
// costs a row update per contact write and no contention. PostgreSQL keeps counting (a parallel index-only
// scan of the partial index): a single counter row there would serialise every transaction that writes a
// contact of the workspace — a long import would hold it and stall ingestion (decision 0019).
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';

// Written once here and in src/store/audience.ts's reachability rules: an email contact has an address and is
// subscribed; an SMS contact has a phone and SMS consent.
const EMAIL = (row: 'new' | 'old') =>
  sql.raw(`coalesce(${row}.email is not null and ${row}.subscription_status = 'subscribed', 0)`);
const SMS = (row: 'new' | 'old') =>
  sql.raw(`coalesce(${row}.phone is not null and ${row}.sms_consent = 1, 0)`);

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await db.schema
    .createTable('contact_reach')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey())
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('email', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sms', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into contact_reach (workspace_id, total, email, sms)
    select workspace_id, count(*),
      coalesce(sum(email is not null and subscription_status = 'subscribed'), 0),
      coalesce(sum(phone is not null and sms_consent = 1), 0)
    from contacts group by workspace_id`.execute(db);
  await sql`create trigger contacts_reach_insert after insert on contacts begin
      insert or ignore into contact_reach (workspace_id) values (new.workspace_id);
      update contact_reach set total = total + 1, email = email + ${EMAIL('new')}, sms = sms + ${SMS('new')}
        where workspace_id = new.workspace_id;
    end`.execute(db);
  await sql`create trigger contacts_reach_delete after delete on contacts begin
      update contact_reach set total = total - 1, email = email - ${EMAIL('old')}, sms = sms - ${SMS('old')}
        where workspace_id = old.workspace_id;
    end`.execute(db);
  // Only when a column the rules read changes, so the many other contact updates skip the counter.
  await sql`create trigger contacts_reach_update
      after update of email, subscription_status, phone, sms_consent on contacts begin
      update contact_reach set email = email + ${EMAIL('new')} - ${EMAIL('old')},
          sms = sms + ${SMS('new')} - ${SMS('old')}
        where workspace_id = new.workspace_id;
    end`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
