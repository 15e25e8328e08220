// SMS opt-outs belong to the phone number: a STOP reply records the number (E.164) until the same number
// texts START or UNSTOP. While a number is recorded, no write can give a contact with that phone SMS consent
// — an API update, an upsert from a CRM sync, a CSV import, a new contact or a phone change — because a
// trigger keeps `sms_consent` at 0 on every insert or update of the contact (CTIA Messaging Principles and
// Best Practices §5.1: an opt-out is honoured until the person opts back in). Stored phones may carry spaces,
// dashes, dots or brackets and the 00 international prefix; the trigger compares them in E.164 the way
// `toE164` writes them (src/domain/sms.ts).
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';

/** `row.phone` in E.164, as `toE164` in src/domain/sms.ts writes a valid number (kept in step with it). */
function e164Sql(db: Kysely<unknown>, row: string): string {
  // SQLite writes a character by code point with char(), PostgreSQL with chr(); `toE164` strips U+00A0 too.
  const nbsp = isPostgres(db) ? 'chr(160)' : 'char(160)';
  let digits = `${row}.phone`;
  for (const c of [`' '`, `'-'`, `'('`, `')'`, `'.'`, nbsp]) digits = `replace(${digits}, ${c}, '')`;
  return `case when ${digits} like '00%' then '+' || substr(${digits}, 3) else ${digits} end`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sms_opt_outs')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('opted_out_at', 'bigint', (c) => c.notNull())
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sms_opt_outs_pk', ['workspace_id', 'phone'])
    .execute();
  await backfill(db);
  const opted = (row: string) =>
    `exists (select 1 from sms_opt_outs o where o.workspace_id = ${row}.workspace_id
      and o.phone = ${e164Sql(db, row)})`;
  if (isPostgres(db)) {
    await sql
      .raw(
        `create function baton_contacts_sms_opt_out() returns trigger language plpgsql as $$
      begin
        if new.sms_consent = 1 and new.phone is not null and ${opted('new')} then
          new.sms_consent := 0;
        end if;
        return new;
      end $$`,
      )
      .execute(db);
    await sql`create trigger contacts_sms_opt_out before insert or update of sms_consent, phone on contacts
      for each row when (new.sms_consent = 1 and new.phone is not null)
      execute function baton_contacts_sms_opt_out()`.execute(db);
  } else {
    // SQLite cannot change NEW in a BEFORE trigger: the row is written, then put back to no consent.
    for (const [name, event] of [
      ['contacts_sms_opt_out_insert', 'after insert'],
      ['contacts_sms_opt_out_update', 'after update of sms_consent, phone'],
    ] as const) {
      await sql
        .raw(
          `create trigger ${name} ${event} on contacts
          when new.sms_consent = 1 and new.phone is not null and ${opted('new')}
          begin
            update contacts set sms_consent = 0 where id = new.id;
          end`,
        )
        .execute(db);
    }
  }
}

/**
 * Numbers that texted STOP before opt-outs were kept per number: a contact whose latest SMS keyword event is
 * `sms_opted_out` (no `sms_opted_in` after it). Their consent goes back off, in case a sync or an import
 * turned it on since (which is what this migration stops).
 */
async function backfill(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `insert into sms_opt_outs (workspace_id, phone, opted_out_at, keyword)
      select workspace_id, phone, max(at), 'STOP' from (
        select c.workspace_id as workspace_id, ${e164Sql(db, 'c')} as phone, e.occurred_at as at
        from events e join contacts c on c.id = e.contact_id and c.workspace_id = e.workspace_id
        where e.type = 'sms_opted_out' and c.phone is not null
          and not exists (select 1 from events i where i.workspace_id = e.workspace_id
            and i.contact_id = e.contact_id and i.type = 'sms_opted_in' and i.occurred_at > e.occurred_at)
      ) s
      where phone like '+%'
      group by workspace_id, phone`,
    )
    .execute(db);
  await sql
    .raw(
      `update contacts set sms_consent = 0
      where sms_consent = 1 and phone is not null and exists (select 1 from sms_opt_outs o
        where o.workspace_id = contacts.workspace_id and o.phone = ${e164Sql(db, 'contacts')})`,
    )
    .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
