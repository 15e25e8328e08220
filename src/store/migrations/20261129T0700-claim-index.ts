// The dispatcher's claim query reads due touches in (due_at, priority desc) order; without this index a
// mass launch (every first step due at the same instant) made each batch sort all of them.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('touches_claim_order')
    .on('touches')
    .columns(['status', 'due_at', 'priority desc'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
