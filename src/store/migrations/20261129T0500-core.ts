// Foundation tables: workspaces, API keys, instance settings, accounts, contacts, events.
import type { Kysely } from 'kysely';
import { jsonType, withSerialKey } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('workspaces')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('settings', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('external_id', 'text')
    .addColumn('domain', 'text')
    .addColumn('name', 'text')
    .addColumn('industry', 'text')
    .addColumn('size', 'integer')
    .addColumn('owner', 'text')
    .addColumn('attributes', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('accounts_ws_domain')
    .unique()
    .on('accounts')
    .columns(['workspace_id', 'domain'])
    .execute();
  await db.schema
    .createIndex('accounts_ws_external')
    .unique()
    .on('accounts')
    .columns(['workspace_id', 'external_id'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('external_id', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('title', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('lifecycle_stage', 'text')
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('subscription_status', 'text', (c) => c.notNull().defaultTo('subscribed'))
    .addColumn('sms_consent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attributes', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('contacts_ws_email')
    .unique()
    .on('contacts')
    .columns(['workspace_id', 'email'])
    .execute();
  await db.schema
    .createIndex('contacts_ws_external')
    .unique()
    .on('contacts')
    .columns(['workspace_id', 'external_id'])
    .execute();
  await db.schema
    .createIndex('contacts_ws_account')
    .on('contacts')
    .columns(['workspace_id', 'account_id'])
    .execute();

  await withSerialKey(db, db.schema.createTable('events'), 'seq')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('message_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('anonymous_id', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('properties', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .addColumn('campaign_id', 'text')
    .addColumn('touch_id', 'text')
    .addColumn('step_id', 'text')
    .addColumn('variant_id', 'text')
    .addColumn('channel', 'text')
    .execute();
  await db.schema
    .createIndex('events_ws_message')
    .unique()
    .on('events')
    .columns(['workspace_id', 'message_id'])
    .execute();
  await db.schema
    .createIndex('events_ws_contact_time')
    .on('events')
    .columns(['workspace_id', 'contact_id', 'occurred_at'])
    .execute();
  await db.schema
    .createIndex('events_ws_type_time')
    .on('events')
    .columns(['workspace_id', 'type', 'occurred_at'])
    .execute();
  await db.schema
    .createIndex('events_ws_campaign')
    .on('events')
    .columns(['workspace_id', 'campaign_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
