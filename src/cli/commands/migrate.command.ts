// `baton migrate`: applies pending migrations to BATON_DB.
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/db.js';
import { realClock } from '../../engine/clock.js';
import { ensureEventPartitions } from '../../store/event-partitions.js';
import { migrateToLatest } from '../../store/migrate.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending migrations to the store named by BATON_DB (and create upcoming event partitions)',
    )
    .action(async () => {
      const config = loadConfig();
      const store = openStore(config.BATON_DB);
      try {
        const results = await migrateToLatest(store);
        if (results.length === 0) console.log('The store is up to date.');
        for (const r of results) console.log(`applied ${r.migrationName}`);
        // PostgreSQL: this month's partition of events and the next ones (workers keep them coming hourly).
        for (const name of await ensureEventPartitions(store.db, realClock.now()))
          console.log(`created ${name}`);
      } finally {
        await store.close();
      }
    });
}
