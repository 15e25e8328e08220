// Sales tasks (a `task` step makes one for a person: a call, a LinkedIn touch, a manual email), the working
// hours their assignees keep, and ad spend recorded against a campaign.
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    // The task step's touch: one task per touch, so a re-sent touch (at least once) never makes two.
    .addColumn('touch_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('enrollment_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('instructions', 'text')
    // The user the task is for (null: the account owner names nobody in the workspace, or there is none).
    .addColumn('assignee_user_id', 'text')
    // What the step or the account names as the assignee (a user's email, or the owner text of the account).
    .addColumn('assignee', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('overdue_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('note', 'text')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('tasks_touch_uq', ['workspace_id', 'touch_id'])
    .execute();
  await db.schema
    .createIndex('tasks_inbox')
    .on('tasks')
    .columns(['workspace_id', 'assignee_user_id', 'status', 'id'])
    .execute();
  // The worker's expiry pass: open tasks past their expiry, across workspaces.
  await db.schema.createIndex('tasks_expiry').on('tasks').columns(['status', 'expires_at']).execute();

  // A user's own zone and working hours (a send window: days and HH:MM bounds); null means the defaults.
  await db.schema.alterTable('users').addColumn('time_zone', 'text').execute();
  await db.schema.alterTable('users').addColumn('working_hours', jsonType(db)).execute();

  await db.schema
    .createTable('campaign_spend')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'double precision', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    // The day the money was spent, `YYYY-MM-DD`.
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('channel', 'text')
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('campaign_spend_campaign')
    .on('campaign_spend')
    .columns(['workspace_id', 'campaign_id', 'id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
