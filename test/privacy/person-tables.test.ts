// Every table that stores a contact id must have an erasure decision in PERSON_TABLES. A migration that adds
// such a table fails this test until its author says what erasure does to its rows (src/store/privacy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listColumns, PERSON_TABLES, tablesWithContactId } from '../../src/store/privacy/index.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';

describe.each(dialects)('tables holding people (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('lists every table with a contact_id column in PERSON_TABLES', async () => {
    const withContactId = await tablesWithContactId(store);
    // The catalogue query really sees the core tables.
    expect(withContactId).toEqual(
      expect.arrayContaining(['events', 'touches', 'enrollments', 'conversions']),
    );
    const registered = new Set(PERSON_TABLES.map((t) => t.table));
    expect(withContactId.filter((t) => !registered.has(t))).toEqual([]);
  });

  it('names, for each registered table that exists, a column that exists', async () => {
    const columns = await listColumns(store);
    const has = (table: string, column: string) =>
      columns.some((c) => c.table === table && c.column === column);
    const missing = PERSON_TABLES.filter((t) => columns.some((c) => c.table === t.table))
      .filter((t) => !has(t.table, t.column) || (t.only && !has(t.table, t.only.column)))
      .map((t) => t.table);
    expect(missing).toEqual([]);
    for (const t of PERSON_TABLES) {
      if (t.plan.action !== 'anonymise') continue;
      for (const c of Object.keys(t.plan.clear)) {
        if (columns.some((x) => x.table === t.table)) expect(has(t.table, c), `${t.table}.${c}`).toBe(true);
      }
    }
  });
});
