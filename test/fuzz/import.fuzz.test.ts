// Fuzzing the CSV import: the fixture files with characters inserted, deleted and replaced, stray quotes,
// BOMs, invalid UTF-8 and odd line endings, imported on both dialects all-or-nothing and with
// --skip-invalid. The import returns a result or throws a BatonError; an uncommitted file writes nothing,
// and a committed one writes exactly the rows it reports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAccounts, importContacts } from '../../src/store/import/index.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { batonOrValue, expectHandled, garbled, mutated, nasty, rowCounts, runs } from './fuzz-support.js';

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

// The CSV uploads of the HTTP API: POST /lists/:id/import (account domains into a target-account list) and
// POST /journey/deals/import (a CRM export of deals). Baton has no HTTP upload of contacts or accounts; the
// command-line import above covers those. Every answer is a 200 or a 4xx with a message, never a 500; a
// refused upload writes nothing (no member, no event, no audit entry); an accepted one writes what it reports.
const DOMAINS_CSV = 'domain,name\nacme.com,Acme\nglobex.com,Globex\nnowhere.example,None\n';
const DEALS_CSV =
  'type,amount,occurred_at,account_domain,deal_id\n' +
  'Deal Won,30000,2027-01-20T10:00:00Z,acme.com,D-1\n' +
  'Opportunity Created,1200.50,2027-01-18,globex.com,D-2\n';
const HTTP_TABLES = ['list_members', 'events', 'audit_log'] as const;

/** A CSV body as the JSON string an HTTP client sends: a garbled or re-rowed fixture, or decoded raw bytes. */
function csvText(base: string): fc.Arbitrary<string> {
  return csv(base).map((b) => b.toString('utf8'));
}

describe.each(dialects)('CSV uploads over HTTP on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;
  let accountList: string;
  let contactList: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
    const post = (url: string, payload: object) =>
      app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: admin }, payload });
    for (const domain of ['acme.com', 'globex.com'])
      expect((await post('/accounts', { domain })).statusCode).toBe(201);
    accountList = (await post('/lists', { name: 'Targets', kind: 'account' })).json().id;
    contactList = (await post('/lists', { name: 'People', kind: 'contact' })).json().id;
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  const send = (url: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: { authorization: admin, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });

  it('answers a mangled list upload with a 200 or a 4xx, and a refused one writes nothing', async () => {
    let accepted = 0;
    const body = fc.oneof(
      { weight: 4, arbitrary: csvText(DOMAINS_CSV).map((text) => ({ csv: text })) },
      { weight: 1, arbitrary: mutated({ csv: DOMAINS_CSV }) },
    );
    const target = fc.constantFrom(accountList, accountList, contactList, 'no-such-list', '%00', 'Targets');
    await fc.assert(
      fc.asyncProperty(target, body, async (id, payload) => {
        const before = await rowCounts(store, ws, HTTP_TABLES);
        const r = await send(`/lists/${encodeURIComponent(id)}/import`, payload);
        expectHandled(r, [200, 400, 404, 409, 422]);
        const after = await rowCounts(store, ws, HTTP_TABLES);
        if (r.statusCode !== 200) {
          expect(after).toEqual(before);
          return;
        }
        accepted++;
        expect(after.list_members - before.list_members).toBe(r.json().changed);
        expect(after.audit_log - before.audit_log).toBe(1);
      }),
      runs(dialect === 'sqlite' ? 80 : 40),
    );
    expect(accepted).toBeGreaterThan(3);
  });

  it('answers a mangled deals upload with a 200 or a 4xx, and a refused one writes nothing', async () => {
    let accepted = 0;
    const body = fc.oneof(
      { weight: 4, arbitrary: csvText(DEALS_CSV).map((text) => ({ csv: text })) },
      { weight: 1, arbitrary: mutated({ csv: DEALS_CSV }) },
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = await rowCounts(store, ws, HTTP_TABLES);
        const r = await send('/journey/deals/import', payload);
        expectHandled(r, [200, 400, 422]);
        const after = await rowCounts(store, ws, HTTP_TABLES);
        if (r.statusCode !== 200) {
          expect(after).toEqual(before);
          return;
        }
        accepted++;
        expect(after.events - before.events).toBe(r.json().stored);
        expect(after.audit_log - before.audit_log).toBe(1);
      }),
      runs(dialect === 'sqlite' ? 80 : 40),
    );
    expect(accepted).toBeGreaterThan(3);
  });
});
