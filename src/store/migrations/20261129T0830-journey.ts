// The buyer journey: each workspace's journey map (stages with entry criteria, milestones), the current
// stage of every contact and account, and the history of stage changes with the event that caused each.
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('journey_maps')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey())
    .addColumn('map', jsonType(db), (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // subject_kind is contact | account; one current stage per subject.
  await db.schema
    .createTable('journey_stages')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('stage_index', 'integer', (c) => c.notNull())
    .addColumn('entered_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('journey_stages_pk', ['workspace_id', 'subject_kind', 'subject_id'])
    .execute();
  await db.schema
    .createIndex('journey_stages_by_stage')
    .on('journey_stages')
    .columns(['workspace_id', 'subject_kind', 'stage'])
    .execute();

  await db.schema
    .createTable('journey_stage_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('from_stage', 'text')
    .addColumn('to_stage', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    // event | attributes | journey_changed | contact (an account following its contacts)
    .addColumn('cause', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('event_type', 'text')
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('journey_stage_changes_by_time')
    .on('journey_stage_changes')
    .columns(['workspace_id', 'subject_kind', 'changed_at'])
    .execute();
  await db.schema
    .createIndex('journey_stage_changes_by_subject')
    .on('journey_stage_changes')
    .columns(['workspace_id', 'subject_id', 'changed_at'])
    .execute();

  // Contacts whose attributes changed since a workspace's last pass are found by updated_at.
  await db.schema
    .createIndex('contacts_ws_updated_at')
    .on('contacts')
    .columns(['workspace_id', 'updated_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
