// Identity and conversions: the user ids and anonymous ids that point at a contact, goal conversions per
// campaign (one row per converting event), and the event processor's cursor over the event table.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contact_identities')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    // user_id | anonymous_id
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_identities_pk', ['workspace_id', 'kind', 'value'])
    .execute();
  await db.schema
    .createIndex('contact_identities_contact')
    .on('contact_identities')
    .columns(['workspace_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('conversions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('enrollment_id', 'text')
    // treatment | holdout
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    // The last touch of the campaign sent to the contact before the conversion (null for holdout members).
    .addColumn('touch_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('conversions_campaign_event')
    .unique()
    .on('conversions')
    .columns(['workspace_id', 'campaign_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex('conversions_campaign_contact')
    .on('conversions')
    .columns(['workspace_id', 'campaign_id', 'contact_id'])
    .execute();

  await db.schema
    .createTable('event_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
