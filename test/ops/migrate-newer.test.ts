// A process of an older release starting on a database that a newer release already migrated (a rolling
// deploy runs the new `baton migrate` first, while old processes still run and restart): it starts on the
// newer schema and applies nothing, as long as the unknown migrations all come after the ones it knows.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, pendingMigrations } from '../../src/store/migrate.js';
import { dialects } from '../support/stores.js';
import { ownStore, type OwnStore } from './ops-support.js';

const NEWER = '29991231T2359-from-a-newer-release';

const record = async (own: OwnStore, name: string): Promise<void> => {
  await sql`insert into baton_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
    own.store.db,
  );
};
const forget = async (own: OwnStore, name: string): Promise<void> => {
  await sql`delete from baton_migrations where name = ${name}`.execute(own.store.db);
};

describe.each(dialects)('migrations applied by a newer release on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('starts on the newer schema when every unknown migration comes after the known ones', async () => {
    await record(own, NEWER);
    try {
      expect(await migrateToLatest(own.store)).toEqual([]);
      expect(await pendingMigrations(own.store)).toEqual([]);
    } finally {
      await forget(own, NEWER);
    }
  });

  it('refuses, naming both, when its own migration is missing under a newer one', async () => {
    const known = (
      await sql<{ name: string }>`select name from baton_migrations order by name`.execute(own.store.db)
    ).rows.map((r) => r.name);
    const last = known[known.length - 1]!;
    await record(own, NEWER);
    await forget(own, last);
    try {
      await expect(migrateToLatest(own.store)).rejects.toThrow(
        new RegExp(`newer Baton \\(${NEWER}\\).*lacks this release's ${last}`),
      );
    } finally {
      await forget(own, NEWER);
      await record(own, last);
    }
  });

  it('leaves an unknown migration among the known ones to the migrator, which refuses it', async () => {
    await record(own, '20000101T0000-unknown');
    try {
      await expect(migrateToLatest(own.store)).rejects.toThrow(/20000101T0000-unknown/);
    } finally {
      await forget(own, '20000101T0000-unknown');
    }
  });
});
