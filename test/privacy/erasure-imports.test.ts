// Erasure and import reports, on both stores: an import started over the API keeps the first rejected rows
// with reasons that quote the file (an email on a duplicate line, an external id). Erasing the person
// replaces every reason that names them, in any letter case, keeps the other reasons and the counts, and
// afterwards a search of the whole database finds nothing of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { ERASED_REASON, ImportsRepository } from '../../src/store/imports.repository.js';
import { eraseContact } from '../../src/store/privacy/index.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { searchDatabase } from './privacy-fixture.js';

const T0 = Date.parse('2027-03-01T10:00:00Z');

describe.each(dialects)('erasure of import reports (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('replaces the rejected-row reasons that name the person and keeps the rest', async () => {
    const ws = await newWorkspace(store, T0);
    const person = await new ContactsRepository(store).create(
      ws,
      { email: 'Quinn.Erasable@Example.org', external_id: 'crm-77-quinn' },
      T0,
    );
    const imports = new ImportsRepository(store);
    await imports.create({
      id: `imp_${dialect}`,
      workspaceId: ws,
      kind: 'contacts',
      skipInvalid: true,
      totalBytes: 300,
      createdBy: null,
      now: T0,
      wallNow: Date.now(),
    });
    const rejected = [
      {
        line: 3,
        column: 'email',
        reason: 'duplicate: email "quinn.erasable@example.org" is already on line 2',
      },
      {
        line: 4,
        column: 'external_id',
        reason: 'duplicate: external_id "crm-77-quinn" is already on line 2',
      },
      { line: 5, column: 'email', reason: 'is not an email address (got "nobody-at-all")' },
    ];
    await imports.finish(
      ws,
      `imp_${dialect}`,
      {
        result: {
          committed: true,
          rows: 5,
          inserted: 2,
          updated: 0,
          rejected: 3,
          linked_contacts: null,
          rejected_rows: rejected,
          rejected_total: 3,
          seconds: 0.1,
        },
        bytes: 300,
      },
      T0,
      Date.now(),
    );
    expect((await searchDatabase(store, 'quinn.erasable@example.org')).map((h) => h.table)).toContain(
      'imports',
    );

    const r = await eraseContact(store, ws, person.id, T0 + 1000);
    expect(r.tables.imports).toEqual({ deleted: 0, anonymised: 1 });
    const after = await imports.get(ws, `imp_${dialect}`);
    expect(after?.result?.rejected_rows).toEqual([
      { line: 3, column: 'email', reason: ERASED_REASON },
      { line: 4, column: 'external_id', reason: ERASED_REASON },
      rejected[2],
    ]);
    expect(after?.result).toMatchObject({ rows: 5, inserted: 2, rejected: 3, rejected_total: 3 });
    expect(await searchDatabase(store, 'quinn.erasable@example.org')).toEqual([]);
    expect(await searchDatabase(store, 'crm-77-quinn')).toEqual([]);
  });
});
