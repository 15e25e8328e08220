// CSV import on both dialects: good files, every kind of bad row, --skip-invalid, a 100k-row file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactRow, writeContactsCsv } from '../bench/import.bench.js';
import { BatonError } from '../src/domain/errors.js';
import { importAccounts, importContacts, type ImportResult } from '../src/store/import/index.js';
import { fromJson } from '../src/store/json.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/import');
const NOW = Date.parse('2027-01-04T12:00:00Z');

describe.each(dialects)('CSV import on %s', (dialect) => {
  let store: TestStore;
  let dir: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    dir = mkdtempSync(join(tmpdir(), 'baton-import-'));
  });
  afterAll(async () => {
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const contacts = (ws: string) =>
    store.db.selectFrom('contacts').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
  const count = async (ws: string, table: 'contacts' | 'accounts'): Promise<number> => {
    const r = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  };
  const write = (name: string, content: string | Buffer): string => {
    const file = join(dir, `${dialect}-${name}`);
    writeFileSync(file, content);
    return file;
  };
  /** The fixture accounts and contacts, in a fresh workspace. */
  const seed = async (ws: string): Promise<void> => {
    const a = await importAccounts(store, join(FIXTURES, 'accounts.csv'), { workspaceId: ws, now: NOW });
    const c = await importContacts(store, join(FIXTURES, 'contacts-good.csv'), { workspaceId: ws, now: NOW });
    expect([a.committed, c.committed, c.inserted]).toEqual([true, true, 4]);
  };
  const reasons = (r: ImportResult): string[] => r.issues.map((i) => `${i.line}|${i.column}|${i.reason}`);

  it('imports a good file: normalised fields, attributes, accounts linked by domain or email domain', async () => {
    const ws = await newWorkspace(store);
    const acc = await importAccounts(store, join(FIXTURES, 'accounts.csv'), { workspaceId: ws, now: NOW });
    expect(acc).toMatchObject({ committed: true, rows: 3, inserted: 3, updated: 0, rejected: 0, issues: [] });

    const r = await importContacts(store, join(FIXTURES, 'contacts-good.csv'), { workspaceId: ws, now: NOW });
    expect(r.issues).toEqual([]);
    expect(r).toMatchObject({ committed: true, rows: 4, inserted: 4, updated: 0, rejected: 0 });

    const accounts = await store.db
      .selectFrom('accounts')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    const accountId = (domain: string) => accounts.find((a) => a.domain === domain)!.id;
    expect(accounts.find((a) => a.domain === 'acme.com')).toMatchObject({
      name: 'Acme, Inc.',
      size: 250,
      external_id: 'sf-001',
    });
    expect(fromJson(accounts.find((a) => a.domain === 'acme.com')!.attributes, {})).toEqual({
      Region: 'EMEA',
    });

    const rows = await contacts(ws);
    const ada = rows.find((c) => c.external_id === 'crm-1')!;
    expect(ada).toMatchObject({
      email: 'Ada@acme.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      time_zone: 'Europe/London',
      lifecycle_stage: 'lead',
      subscription_status: 'subscribed',
      account_id: accountId('acme.com'), // by the email's domain
      created_at: NOW,
    });
    expect(Number(ada.sms_consent)).toBe(1);
    expect(fromJson(ada.attributes, {})).toEqual({ 'Favourite colour': 'blue, "sky" blue' });
    const grace = rows.find((c) => c.email === 'grace@navy.mil')!;
    expect(grace).toMatchObject({ account_id: accountId('globex.com'), last_name: 'Hopper\nMurray' });
    expect(rows.find((c) => c.external_id === 'crm-3')).toMatchObject({
      email: null,
      account_id: accountId('initech.com'), // by account_external_id
      subscription_status: 'unsubscribed',
    });
    expect(rows.find((c) => c.email === 'linus@gmail.com')).toMatchObject({ account_id: null });
    expect(rows.every((c) => c.id.startsWith('con_') && c.id.length === 'con_'.length + 26)).toBe(true);
  });

  it('upserts: existing contacts are updated by external id or email, empty cells keep stored values', async () => {
    const ws = await newWorkspace(store);
    await seed(ws);
    const file = write(
      'update.csv',
      'external_id,email,title,lifecycle_stage,Team\n' +
        'crm-1,ada@ACME.com,Countess,,analytics\n' + // by external id; the email changes
        ',grace@navy.mil,Rear Admiral,customer,\n' + // by email
        'crm-9,new@example.org,,,\n', // new
    );
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW + 1000 });
    expect(r.issues).toEqual([]);
    expect(r).toMatchObject({ committed: true, inserted: 1, updated: 2 });
    const rows = await contacts(ws);
    expect(rows).toHaveLength(5);
    const ada = rows.find((c) => c.external_id === 'crm-1')!;
    expect(ada).toMatchObject({ email: 'ada@acme.com', title: 'Countess', lifecycle_stage: 'lead' });
    expect(ada).toMatchObject({ first_name: 'Ada', created_at: NOW, updated_at: NOW + 1000 });
    expect(fromJson(ada.attributes, {})).toEqual({
      'Favourite colour': 'blue, "sky" blue',
      Team: 'analytics',
    });
    expect(rows.find((c) => c.email === 'grace@navy.mil')).toMatchObject({
      title: 'Rear Admiral',
      lifecycle_stage: 'customer',
      first_name: 'Grace',
    });
  });

  it('rejects a file with bad rows: nothing written, every row reported with line, column and reason', async () => {
    const ws = await newWorkspace(store);
    await seed(ws);
    const before = { contacts: await count(ws, 'contacts'), accounts: await count(ws, 'accounts') };
    const snapshot = await contacts(ws);
    const file = write('bad.csv', badContactsFile());
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW + 5 });
    expect(r.committed).toBe(false);
    expect(r).toMatchObject({ rows: 7, inserted: 0, updated: 0, rejected: 5 });
    expect(reasons(r)).toEqual(BAD_FILE_REASONS);
    expect(await count(ws, 'contacts')).toBe(before.contacts);
    expect(await count(ws, 'accounts')).toBe(before.accounts);
    expect(await contacts(ws)).toEqual(snapshot);
    expect(existsSync(file.replace(/\.csv$/, '.rejects.csv'))).toBe(false);
  });

  it('--skip-invalid writes the good rows and the rejects file with a reason column', async () => {
    const ws = await newWorkspace(store);
    const file = write('skip.csv', badContactsFile());
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW, skipInvalid: true });
    expect(r).toMatchObject({ committed: true, rows: 7, inserted: 2, updated: 0, rejected: 5 });
    expect(r.rejectsPath).toBe(file.replace(/\.csv$/, '.rejects.csv'));
    expect((await contacts(ws)).map((c) => c.email).sort()).toEqual(['ok1@example.com', 'ok2@example.com']);
    const lines = readFileSync(r.rejectsPath!, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('line,reason,email,external_id,time_zone');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe(
      '2,"email: is not a valid email address (got ""not-an-email"")",not-an-email,e1,UTC',
    );
    expect(lines[3]).toMatch(/^5,"email: duplicate: email ""ok1@example.com"" is already on line 4",/);
    expect(lines[4]).toBe('6,"has 4 columns, the header has 3",x@example.com,e5,UTC,surplus');

    // A clean run over the fixed file removes the stale rejects file.
    writeFileSync(file, 'email\nok3@example.com\n');
    const again = await importContacts(store, file, { workspaceId: ws, now: NOW, skipInvalid: true });
    expect(again).toMatchObject({ committed: true, inserted: 1, rejected: 0, rejectsPath: undefined });
    expect(existsSync(r.rejectsPath!)).toBe(false);
  });

  it('reports duplicate and conflicting keys against stored contacts without merging', async () => {
    const ws = await newWorkspace(store);
    await seed(ws);
    const file = write(
      'conflict.csv',
      'email,external_id\n' +
        'grace@navy.mil,crm-1\n' + // email of one stored contact, external id of another
        'ada@acme.com,crm-1\n' + // updates crm-1
        ',crm-1\n' + // the same stored contact again
        'linus@gmail.com,crm-7\n', // stored contact (no external id) gains one: fine
    );
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW });
    expect(reasons(r)).toEqual([
      '2|email|email "grace@navy.mil" belongs to another contact than external_id "crm-1"',
      '4|external_id|duplicate: external_id "crm-1" is already on line 3',
    ]);
    expect(r.committed).toBe(false);
  });

  it('reports a header without a key column and an unknown account', async () => {
    const ws = await newWorkspace(store);
    await expect(
      importContacts(store, write('nokey.csv', 'first_name,last_name\nA,B\n'), { workspaceId: ws, now: NOW }),
    ).rejects.toThrow(/needs an email or an external_id column/);
    const r = await importContacts(store, write('noacc.csv', 'email,account_domain\na@x.com,nowhere.com\n'), {
      workspaceId: ws,
      now: NOW,
    });
    expect(reasons(r)).toEqual(['2|account_domain|no account with domain "nowhere.com" in this workspace']);
  });

  it('validates accounts by the API schema and links unlinked contacts by email domain', async () => {
    const ws = await newWorkspace(store);
    await importContacts(store, write('pre.csv', 'email\nx@later.io\ny@other.io\n'), {
      workspaceId: ws,
      now: NOW,
    });
    const bad = await importAccounts(
      store,
      write('acc-bad.csv', 'domain,name,size\nnot a domain,X,1\nok.com,Y,many\nok.com,Z,-1\n'),
      { workspaceId: ws, now: NOW },
    );
    expect(reasons(bad)).toEqual([
      '2|domain|is not a domain name (for example acme.com) (got "not a domain")',
      '3|size|must be a whole number (got "many")',
      '4|size|must not be negative (got "-1")',
    ]);
    expect(await count(ws, 'accounts')).toBe(0);
    const good = await importAccounts(
      store,
      write('acc-good.csv', 'Domain,Name\nhttps://www.Later.io/,Later\n'),
      {
        workspaceId: ws,
        now: NOW + 1,
      },
    );
    expect(good).toMatchObject({ committed: true, inserted: 1, linkedContacts: 1 });
    const rows = await contacts(ws);
    const later = await store.db
      .selectFrom('accounts')
      .select('id')
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(rows.find((c) => c.email === 'x@later.io')!.account_id).toBe(later.id);
    expect(rows.find((c) => c.email === 'y@other.io')!.account_id).toBeNull();
  });

  it('links accounts on update as the repository does: named account, else a changed email of an unlinked contact', async () => {
    const ws = await newWorkspace(store);
    await seed(ws);
    const accounts = await store.db
      .selectFrom('accounts')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    const id = (domain: string) => accounts.find((a) => a.domain === domain)!.id;
    const file = write(
      'relink.csv',
      'external_id,email,account_id\n' +
        `crm-1,ada@initech.com,\n` + // linked to acme: an email change keeps the link
        `,linus@globex.com,\n` + // a new contact: linked to globex by its email's domain
        `crm-3,,${id('acme.com')}\n` + // named by id: moves to acme
        `crm-9,x@acme.com,acc_missing\n`, // unknown account id
    );
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW + 1, skipInvalid: true });
    expect(reasons(r)).toEqual(['5|account_id|no account with id "acc_missing" in this workspace']);
    expect(r).toMatchObject({ inserted: 1, updated: 2, rejected: 1 });
    const rows = await contacts(ws);
    expect(rows.find((c) => c.external_id === 'crm-1')).toMatchObject({
      email: 'ada@initech.com',
      account_id: id('acme.com'),
    });
    expect(rows.find((c) => c.email === 'linus@globex.com')).toMatchObject({ account_id: id('globex.com') });
    expect(rows.find((c) => c.external_id === 'crm-3')).toMatchObject({ account_id: id('acme.com') });

    // A stored contact without an account (linus@gmail.com) gets an external id, then a new email: it links
    // to the new email's domain.
    const key = await importContacts(store, write('relink2.csv', 'email,external_id\nlinus@gmail.com,lt\n'), {
      workspaceId: ws,
      now: NOW + 2,
    });
    expect(key).toMatchObject({ updated: 1, inserted: 0 });
    expect((await contacts(ws)).find((c) => c.external_id === 'lt')).toMatchObject({ account_id: null });
    const moved = await importContacts(
      store,
      write('relink3.csv', 'external_id,email\nlt,torvalds@globex.com\n'),
      {
        workspaceId: ws,
        now: NOW + 3,
      },
    );
    expect(moved).toMatchObject({ updated: 1 });
    expect((await contacts(ws)).find((c) => c.external_id === 'lt')).toMatchObject({
      email: 'torvalds@globex.com',
      account_id: id('globex.com'),
    });
  });

  it('upserts accounts by external id or domain', async () => {
    const ws = await newWorkspace(store);
    await seed(ws);
    const file = write(
      'acc-update.csv',
      'external_id,domain,size,Region,Tier\n' +
        'sf-001,,300,,gold\n' + // by external id: size changes, Region kept, Tier added
        ',globex.com,12,APAC,\n' + // by domain
        'sf-004,hooli.com,5000,,\n', // new
    );
    const r = await importAccounts(store, file, { workspaceId: ws, now: NOW + 1 });
    expect(r.issues).toEqual([]);
    expect(r).toMatchObject({ committed: true, inserted: 1, updated: 2 });
    const rows = await store.db.selectFrom('accounts').selectAll().where('workspace_id', '=', ws).execute();
    const acme = rows.find((a) => a.external_id === 'sf-001')!;
    expect(acme).toMatchObject({ domain: 'acme.com', name: 'Acme, Inc.', size: 300, updated_at: NOW + 1 });
    expect(fromJson(acme.attributes, {})).toEqual({ Region: 'EMEA', Tier: 'gold' });
    expect(rows.find((a) => a.domain === 'globex.com')).toMatchObject({ size: 12, external_id: 'sf-002' });
    expect(rows).toHaveLength(4);
  });

  it('imports a generated file of 100,000 contacts', async () => {
    const ws = await newWorkspace(store);
    const file = join(dir, `${dialect}-100k.csv`);
    writeContactsCsv(file, 100_000);
    const cacheSize = store.sqlite?.pragma('cache_size', { simple: true });
    const r = await importContacts(store, file, { workspaceId: ws, now: NOW });
    // The import's bigger SQLite page cache lasts only as long as the import.
    expect(store.sqlite?.pragma('cache_size', { simple: true })).toBe(cacheSize);
    expect(r.issues.slice(0, 3)).toEqual([]);
    expect(r).toMatchObject({ committed: true, rows: 100_000, inserted: 100_000 });
    expect(await count(ws, 'contacts')).toBe(100_000);
  }, 120_000);
});

// Only PostgreSQL lets another writer in during an import: SQLite's import holds the write lock.
describe('CSV import on postgres with a concurrent writer', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('postgres');
  });
  afterAll(() => store.dispose());

  it('fails as a conflict, writing nothing, when another writer takes a key of the file mid-import', async () => {
    const ws = await newWorkspace(store);
    const dir = mkdtempSync(join(tmpdir(), 'baton-import-race-'));
    const file = join(dir, 'race.csv');
    writeContactsCsv(file, 20_000); // ~2 MiB: two chunks
    const lastEmail = contactRow(19_999)[0]!;
    let raced = false;
    const run = importContacts(store, file, {
      workspaceId: ws,
      now: NOW,
      onProgress: async () => {
        if (raced) return;
        raced = true;
        await store.db
          .insertInto('contacts')
          .values({
            id: 'con_race',
            workspace_id: ws,
            email: lastEmail,
            subscription_status: 'subscribed',
            sms_consent: 0,
            attributes: '{}',
            created_at: NOW,
            updated_at: NOW,
          })
          .execute();
      },
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    rmSync(dir, { recursive: true, force: true });
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('conflict');
    const rows = await store.db.selectFrom('contacts').select('id').where('workspace_id', '=', ws).execute();
    expect(rows).toEqual([{ id: 'con_race' }]);
  }, 120_000);
});

/** One good row, then one of each kind of bad row (and a second good one). */
function badContactsFile(): Buffer {
  return Buffer.concat([
    Buffer.from(
      'email,external_id,time_zone\n' +
        'not-an-email,e1,UTC\n' + // 2: bad email
        'tz@example.com,e2,Mars/Olympus\n' + // 3: unknown time zone
        'ok1@example.com,e3,Europe/Berlin\n' + // 4: good
        'ok1@Example.COM,e4,UTC\n' + // 5: duplicate email (the domain's case differs)
        'x@example.com,e5,UTC,surplus\n' + // 6: wrong column count
        'ok2@example.com,e6,"Asia/Tokyo"\n' + // 7: good
        'm',
    ),
    Buffer.from([0xfc]), // 8: latin-1 "ü", not UTF-8
    Buffer.from('ller@example.com,e7,UTC\n'),
  ]);
}

const BAD_FILE_REASONS = [
  '2|email|is not a valid email address (got "not-an-email")',
  '3|time_zone|is not an IANA time zone name (for example Europe/Berlin) (got "Mars/Olympus")',
  '5|email|duplicate: email "ok1@example.com" is already on line 4',
  '6||has 4 columns, the header has 3',
  '8|email|contains bytes that are not valid UTF-8 (save the file as UTF-8)',
];
