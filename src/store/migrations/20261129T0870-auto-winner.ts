// Auto-winner decisions: when a step tests its variants on a share of its audience, the decision taken at
// `decide_after` (which variant the held-back contacts get, and why) is recorded once per campaign step.
import type { Kysely } from 'kysely';
import { jsonType } from './helpers.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auto_winner_decisions')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('first_send_at', 'bigint', (c) => c.notNull())
    .addColumn('decide_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'bigint', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('variant_id', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('arms', jsonType(db), (c) => c.notNull())
    .addColumn('released', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('auto_winner_decisions_pk', ['workspace_id', 'campaign_id', 'step_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
