// Fuzzing the CSV import: the fixture files with characters inserted, deleted and replaced, stray quotes,
// BOMs, invalid UTF-8 and odd line endings, imported on both dialects all-or-nothing and with
// --skip-invalid. The import returns a result or throws a BatonError; an uncommitted file writes nothing,
// and a committed one writes exactly the rows it reports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAccounts, importContacts } from '../../src/store/import/index.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { batonOrValue, garbled, nasty, rowCounts, runs } from './fuzz-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');
const CONTACTS = readFileSync('test/fixtures/import/contacts-good.csv', 'utf8');
const ACCOUNTS = readFileSync('test/fixtures/import/accounts.csv', 'utf8');
const TABLES = ['contacts', 'accounts'] as const;

const cell = fc.oneof(
  nasty,
  fc.constantFrom(
    '"',
    '""',
    '"a""b"',
    'a"b',
    ' ',
    '\t',
    'x@y',
    'Europe/Nowhere',
    'yes',
    '-1',
    '1e400',
    'acme.com',
  ),
);
const row = (n: number) => fc.array(cell, { minLength: 0, maxLength: n + 2 }).map((c) => c.join(','));

/** A CSV file as bytes: a garbled fixture, the fixture header over random rows, or raw bytes. */
function csv(base: string): fc.Arbitrary<Buffer> {
  const header = base.split('\n')[0]!;
  const width = header.split(',').length;
  return fc.oneof(
    // The fixture as it is, so every run also reaches the writes.
    fc.constant(Buffer.from(base, 'utf8')),
    garbled(base).map((t) => Buffer.from(t, 'utf8')),
    fc
      .tuple(fc.array(row(width), { maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
      .map(([rows, eol, bom]) => Buffer.from(`${bom ? '\ufeff' : ''}${[header, ...rows].join(eol)}`, 'utf8')),
    fc
      .tuple(fc.constantFrom(base), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat())
      .map(([t, bytes, at]) => {
        const b = Buffer.from(t, 'utf8');
        const i = at % b.length;
        return Buffer.concat([b.subarray(0, i), Buffer.from(bytes.map((x) => x | 0x80)), b.subarray(i)]);
      }),
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
  );
}

describe.each(dialects)('CSV import fuzz on %s', (dialect) => {
  let store: TestStore;
  let dir: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    dir = mkdtempSync(join(tmpdir(), 'baton-fuzz-import-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await store.dispose();
  });

  it('imports a mangled file or refuses it, writing exactly what it reports', async () => {
    let committed = 0;
    let n = 0;
    // A fresh workspace sees inserts; a reused one sees updates and key clashes with earlier files.
    let shared: string | undefined;
    const input = fc.constantFrom('contacts' as const, 'accounts' as const).chain((entity) =>
      fc.record({
        entity: fc.constant(entity),
        bytes: csv(entity === 'contacts' ? CONTACTS : ACCOUNTS),
        skipInvalid: fc.boolean(),
        fresh: fc.boolean(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ entity, bytes, skipInvalid, fresh }) => {
        const ws = fresh || !shared ? await newWorkspace(store, NOW) : shared;
        if (!fresh) shared = ws;
        const file = join(dir, `f${n++}.csv`);
        writeFileSync(file, bytes);
        const before = await rowCounts(store, ws, TABLES);
        const run = entity === 'contacts' ? importContacts : importAccounts;
        const r = await batonOrValue(() =>
          run(store, file, { workspaceId: ws, now: NOW, skipInvalid, rejectsPath: `${file}.rejects.csv` }),
        );
        const after = await rowCounts(store, ws, TABLES);
        if (!r.ok || !r.value.committed) {
          expect(after).toEqual(before);
          if (r.ok) expect(r.value.issues.length).toBeGreaterThan(0);
          return;
        }
        committed++;
        expect(after[entity] - before[entity]).toBe(r.value.inserted);
        for (const issue of r.value.issues) expect(issue.reason.length).toBeGreaterThan(3);
      }),
      runs(dialect === 'sqlite' ? 100 : 50),
    );
    expect(committed).toBeGreaterThan(3);
  });
});
