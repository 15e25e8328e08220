// `baton migrate`: applies pending migrations to BATON_DB.
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { openStore } from '../../store/db.js';
import { migrateToLatest } from '../../store/migrate.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations to the store named by BATON_DB')
    .action(async () => {
      const config = loadConfig();
      const store = openStore(config.BATON_DB);
      try {
        const results = await migrateToLatest(store);
        if (results.length === 0) console.log('The store is up to date.');
        for (const r of results) console.log(`applied ${r.migrationName}`);
      } finally {
        await store.close();
      }
    });
}
