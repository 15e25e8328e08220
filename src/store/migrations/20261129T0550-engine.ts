// Engine tables: enrollments (one contact in one campaign), touches (the queue of planned and performed
// contacts, unique per enrollment and step) and channel_log (what the `log` channel "sent").
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('enrollments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    // Re-entry of always-on programs gives a contact a new cycle; one active enrollment per cycle.
    .addColumn('cycle', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('variants', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exit_reason', 'text')
    .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
    .addColumn('exited_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('enrollments_unique_cycle')
    .unique()
    .on('enrollments')
    .columns(['workspace_id', 'campaign_id', 'contact_id', 'cycle'])
    .execute();
  await db.schema
    .createIndex('enrollments_ws_contact')
    .on('enrollments')
    .columns(['workspace_id', 'contact_id', 'state'])
    .execute();
  await db.schema
    .createIndex('enrollments_ws_account')
    .on('enrollments')
    .columns(['workspace_id', 'campaign_id', 'account_id'])
    .execute();

  await db.schema
    .createTable('touches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('enrollment_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('variant_id', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(50))
    // planned → claimed (lease) → sent | failed | skipped | cancelled; a deferral moves due_at and stays planned.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('claimed_by', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deferrals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('planned_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('message_id', 'text')
    .addColumn('details', jsonType(db), (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .createIndex('touches_enrollment_step')
    .unique()
    .on('touches')
    .columns(['enrollment_id', 'step_id'])
    .execute();
  await db.schema.createIndex('touches_due').on('touches').columns(['status', 'due_at']).execute();
  await db.schema
    .createIndex('touches_ws_contact_sent')
    .on('touches')
    .columns(['workspace_id', 'contact_id', 'sent_at'])
    .execute();
  await db.schema
    .createIndex('touches_ws_campaign')
    .on('touches')
    .columns(['workspace_id', 'campaign_id', 'status'])
    .execute();
  await db.schema.createIndex('touches_message_id').on('touches').columns(['message_id']).execute();

  await db.schema
    .createTable('channel_log')
    .addColumn('touch_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('payload', jsonType(db), (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
