// Buyer journey, second part: when each subject's stage must be looked at again because a time window in
// its criteria elapses (`stage_recheck_at`, found by the worker's sweep through an index), and the account
// cursor's index (accounts with their own stage criteria are re-evaluated when their attributes change).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('journey_stages').addColumn('stage_recheck_at', 'bigint').execute();
  await db.schema
    .createIndex('journey_stages_recheck')
    .on('journey_stages')
    .columns(['workspace_id', 'stage_recheck_at'])
    .execute();
  await db.schema
    .createIndex('accounts_ws_updated_at')
    .on('accounts')
    .columns(['workspace_id', 'updated_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
