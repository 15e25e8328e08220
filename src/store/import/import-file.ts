// CSV import of contacts and accounts: stream the file, validate every row, upsert in one transaction.
// By default a file with any invalid row writes nothing; with `skipInvalid` the good rows are written and
// the others go to a rejects file. Keys are resolved in memory against the workspace's existing rows, so
// duplicates inside the file are reported (never merged) and the writes are plain inserts and updates.
import { rm, stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { emailDomain } from '../../domain/contact.js';
import { BatonError } from '../../domain/errors.js';
import type { Store } from '../db.js';
import type { Database } from '../schema.js';
import { ACCOUNT_COLUMNS, ACCOUNT_FIELDS, ACCOUNT_KEYS, AccountRowValidator } from './account-rows.js';
import { bulkIds } from './bulk-ids.js';
import { planHeader, type RowIssue } from './columns.js';
import {
  CONTACT_COLUMNS,
  CONTACT_FIELDS,
  CONTACT_KEYS,
  ContactRowValidator,
  type ContactCandidate,
} from './contact-rows.js';
import { readCsv, type CsvRecord } from './csv-reader.js';
import { RejectsFile, rejectsPathFor } from './rejects.js';
import { postgresWriter, sqliteWriter, type TableSpec, type TableWriter } from './table-writer.js';

export type ImportEntity = 'contacts' | 'accounts';

export interface ImportOptions {
  workspaceId: string;
  /** Time written to created_at / updated_at (epoch ms). */
  now: number;
  /** Write the valid rows and put the others in a rejects file, instead of writing nothing. */
  skipInvalid?: boolean;
  /** Where rejects go with `skipInvalid` (default: FILE.rejects.csv next to the file). */
  rejectsPath?: string;
  /** Called after each chunk of the file (about 1 MiB); a returned promise is awaited. */
  onProgress?: (p: ImportProgress) => void | Promise<void>;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
}

export interface ImportResult {
  entity: ImportEntity;
  /** False when the file had invalid rows and nothing was written (the default mode). */
  committed: boolean;
  /** Data rows read (the header excluded). */
  rows: number;
  inserted: number;
  updated: number;
  rejected: number;
  /** Every problem found, in file order (a row may have several). */
  issues: RowIssue[];
  /** The rejects file, when `skipInvalid` rejected rows. */
  rejectsPath?: string;
  /** Accounts import: contacts without an account that were linked by their email domain. */
  linkedContacts?: number;
  seconds: number;
  rowsPerSecond: number;
}

const CONTACT_SPEC: TableSpec = {
  table: 'contacts',
  columns: CONTACT_COLUMNS,
  pgTypes: { sms_consent: 'integer', attributes: 'jsonb' },
};
const ACCOUNT_SPEC: TableSpec = {
  table: 'accounts',
  columns: ACCOUNT_COLUMNS,
  pgTypes: { size: 'integer', attributes: 'jsonb' },
};

/** A stored row the file may update; `line` is set once a row of the file has claimed it. */
interface Existing {
  id: string;
  /** email (contacts) or domain (accounts) */
  key: string | null;
  externalId: string | null;
  accountId: string | null;
  line: number;
}

/** Key → the line of this file that holds it, or the stored row that has it. */
type KeyMap = Map<string, number | Existing>;

interface Session {
  db: Kysely<Database>;
  dialect: Store['dialect'];
  writer: TableWriter;
  /** Reads the workspace's rows of a table, a few columns at a time. */
  select(query: string): Promise<unknown[][]>;
}

/** Handles one data row; returns false when the row is rejected (its issues appended). */
type RowHandler = (record: CsvRecord, issues: RowIssue[]) => boolean;

export function importContacts(store: Store, file: string, options: ImportOptions): Promise<ImportResult> {
  return runImport(store, file, options, 'contacts', CONTACT_SPEC, async (session, header, write) => {
    const plan = planHeader(header, CONTACT_FIELDS, CONTACT_KEYS);
    const validator = new ContactRowValidator(plan);
    const columnOf = (f: (typeof CONTACT_FIELDS)[number]): string => plan.names[plan.index[f]] ?? f;
    const keys: KeyNames = {
      key: 'email',
      keyColumn: columnOf('email'),
      externalColumn: columnOf('external_id'),
      noun: 'contact',
    };
    const byEmail: KeyMap = new Map();
    const byExternal: KeyMap = new Map();
    for (const [id, email, externalId, accountId] of await session.select(
      'SELECT id, email, external_id, account_id FROM contacts WHERE workspace_id = $ws',
    )) {
      const e: Existing = {
        id: String(id),
        key: (email as string | null) ?? null,
        externalId: (externalId as string | null) ?? null,
        accountId: (accountId as string | null) ?? null,
        line: 0,
      };
      if (e.key !== null) byEmail.set(e.key, e);
      if (e.externalId !== null) byExternal.set(e.externalId, e);
    }
    const accounts = await loadAccountKeys(session);
    const nextId = bulkIds('con', options.now);

    const handler: RowHandler = (record, issues) => {
      const c = validator.validate(record.fields, record.line, issues);
      if (!c) return false;
      const line = record.line;
      const target = resolve(line, c.email, c.externalId, byEmail, byExternal, keys, issues);
      if (target === false) return false;
      const account = linkAccount(c, target, accounts, line, columnOf, issues);
      if (account === false) return false;
      c.values[10] = account;
      claim(line, c.email, c.externalId, target, byEmail, byExternal);
      if (!write.enabled) return true;
      if (target) {
        write.updated++;
        session.writer.update(target.id, c.values, c.attributes ?? '{}');
      } else {
        c.values[8] ??= 'subscribed';
        c.values[9] ??= 0;
        write.inserted++;
        session.writer.insert(nextId(), c.values, c.attributes ?? '{}');
      }
      return true;
    };
    return handler;
  });
}

export function importAccounts(store: Store, file: string, options: ImportOptions): Promise<ImportResult> {
  return runImport(
    store,
    file,
    options,
    'accounts',
    ACCOUNT_SPEC,
    async (session, header, write) => {
      const plan = planHeader(header, ACCOUNT_FIELDS, ACCOUNT_KEYS);
      const validator = new AccountRowValidator(plan);
      const columnOf = (f: (typeof ACCOUNT_FIELDS)[number]): string => plan.names[plan.index[f]] ?? f;
      const keys: KeyNames = {
        key: 'domain',
        keyColumn: columnOf('domain'),
        externalColumn: columnOf('external_id'),
        noun: 'account',
      };
      const byDomain: KeyMap = new Map();
      const byExternal: KeyMap = new Map();
      for (const [id, domain, externalId] of await session.select(
        'SELECT id, domain, external_id FROM accounts WHERE workspace_id = $ws',
      )) {
        const e: Existing = {
          id: String(id),
          key: (domain as string | null) ?? null,
          externalId: (externalId as string | null) ?? null,
          accountId: null,
          line: 0,
        };
        if (e.key !== null) byDomain.set(e.key, e);
        if (e.externalId !== null) byExternal.set(e.externalId, e);
      }
      const nextId = bulkIds('acc', options.now);
      const handler: RowHandler = (record, issues) => {
        const a = validator.validate(record.fields, record.line, issues);
        if (!a) return false;
        const line = record.line;
        const target = resolve(line, a.domain, a.externalId, byDomain, byExternal, keys, issues);
        if (target === false) return false;
        claim(line, a.domain, a.externalId, target, byDomain, byExternal);
        if (!write.enabled) return true;
        if (target) {
          write.updated++;
          session.writer.update(target.id, a.values, a.attributes ?? '{}');
        } else {
          write.inserted++;
          session.writer.insert(nextId(), a.values, a.attributes ?? '{}');
        }
        return true;
      };
      return handler;
    },
    adoptContacts,
  );
}

interface WriteState {
  /** Off once a row is rejected in all-or-nothing mode: the transaction will roll back anyway. */
  enabled: boolean;
  inserted: number;
  updated: number;
}

class Rollback extends Error {}

async function runImport(
  store: Store,
  file: string,
  options: ImportOptions,
  entity: ImportEntity,
  spec: TableSpec,
  prepare: (session: Session, header: string[], write: WriteState) => Promise<RowHandler>,
  afterWrite?: (session: Session, options: ImportOptions) => Promise<number>,
): Promise<ImportResult> {
  const started = performance.now();
  const totalBytes = await fileSize(file);
  const issues: RowIssue[] = [];
  const write: WriteState = { enabled: true, inserted: 0, updated: 0 };
  let rows = 0;
  let rejected = 0;
  let linkedContacts: number | undefined;
  const rejects = options.skipInvalid
    ? new RejectsFile(options.rejectsPath ?? rejectsPathFor(file))
    : undefined;
  // A rejects file left by an earlier run would read as this run's rejects.
  if (rejects) await rm(rejects.path, { force: true });

  const body = async (session: Session): Promise<void> => {
    let handler: RowHandler | undefined;
    let header: string[] | undefined;
    let pending: Promise<RowHandler> | undefined;
    const onRecord = (record: CsvRecord): void => {
      if (!header) {
        header = record.fields;
        if (record.problem) {
          throw BatonError.invalid(
            [{ path: 'line 1', message: record.problem.reason }],
            `the header row ${record.problem.reason}`,
          );
        }
        pending = prepare(session, header, write);
        return;
      }
      rows++;
      const before = issues.length;
      let ok: boolean;
      if (record.problem) {
        const column = record.problem.field === undefined ? '' : (header[record.problem.field] ?? '');
        issues.push({ line: record.line, column: column.trim(), reason: record.problem.reason });
        ok = false;
      } else if (record.fields.length !== header.length) {
        issues.push({
          line: record.line,
          column: '',
          reason: `has ${record.fields.length} columns, the header has ${header.length}`,
        });
        ok = false;
      } else {
        ok = handler!(record, issues);
      }
      if (!ok) {
        rejected++;
        if (rejects) rejects.add(header, record, issues.slice(before));
        else write.enabled = false;
      }
    };
    // The handler needs the header and the stored keys (async), so the first chunk's other records wait.
    const queue: CsvRecord[] = [];
    await readCsv(
      file,
      (record) => {
        if (handler) onRecord(record);
        else if (!header) onRecord(record);
        else queue.push(record);
      },
      {
        onChunk: async (bytesRead) => {
          if (!handler && pending) {
            handler = await pending;
            for (const r of queue.splice(0)) onRecord(r);
          }
          if (write.enabled) await session.writer.flush(false);
          await options.onProgress?.({ bytesRead, totalBytes, rows });
        },
      },
    );
    if (!header) throw BatonError.invalid([{ path: 'line 1', message: 'the file is empty (no header row)' }]);
    if (!handler && pending) {
      handler = await pending;
      for (const r of queue.splice(0)) onRecord(r);
    }
    if (!write.enabled) throw new Rollback();
    await session.writer.flush(true);
    if (afterWrite) linkedContacts = await afterWrite(session, options);
  };

  let committed = true;
  try {
    await inTransaction(store, spec, options, body);
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    committed = false;
  } finally {
    await rejects?.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    entity,
    committed,
    rows,
    inserted: committed ? write.inserted : 0,
    updated: committed ? write.updated : 0,
    rejected,
    issues,
    rejectsPath: rejects && rejected > 0 ? rejects.path : undefined,
    linkedContacts,
    seconds,
    rowsPerSecond: seconds > 0 ? rows / seconds : 0,
  };
}

/** Runs the import in one transaction: raw BEGIN IMMEDIATE on SQLite, a Kysely transaction on PostgreSQL. */
async function inTransaction(
  store: Store,
  spec: TableSpec,
  options: ImportOptions,
  body: (session: Session) => Promise<void>,
): Promise<void> {
  const ws = options.workspaceId;
  const sqlite = store.sqlite;
  if (sqlite) {
    // Hold Kysely's only connection so no other query of this process lands inside the transaction.
    await store.db.connection().execute(async (db) => {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        await body({
          db,
          dialect: 'sqlite',
          writer: sqliteWriter(sqlite, spec, ws, options.now),
          select: (query) =>
            Promise.resolve(sqlite.prepare(query.replace('$ws', '?')).raw().all(ws) as unknown[][]),
        });
        sqlite.exec('COMMIT');
      } catch (e) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw e;
      }
    });
    return;
  }
  await store.db
    .transaction()
    .execute(async (trx) => {
      await body({
        db: trx,
        dialect: 'postgres',
        writer: postgresWriter(trx, spec, ws, options.now),
        select: async (query) => {
          const [before, after] = query.split('$ws');
          const r = await sql<
            Record<string, unknown>
          >`${sql.raw(before!)}${ws}${sql.raw(after ?? '')}`.execute(trx);
          return r.rows.map((row) => Object.values(row));
        },
      });
    })
    .catch((e: unknown) => {
      // Keys were checked against the rows stored when the import began; another writer got there since.
      if ((e as { code?: unknown }).code !== '23505') throw e;
      throw new BatonError(
        'conflict',
        `another writer stored a ${spec.table === 'contacts' ? 'contact' : 'account'} with a key of this file while it was imported; nothing was imported, run the import again`,
        { detail: (e as { detail?: unknown }).detail },
      );
    });
}

/**
 * The stored row a candidate updates (undefined: a new row), or false when the row is rejected: a key
 * already used by an earlier line, or keys that name two different stored rows. External id wins over
 * email/domain, as in the repositories' upsert.
 */
function resolve(
  line: number,
  key: string | null,
  externalId: string | null,
  byKey: KeyMap,
  byExternal: KeyMap,
  names: KeyNames,
  issues: RowIssue[],
): Existing | undefined | false {
  const { key: keyName, keyColumn, externalColumn, noun } = names;
  const ext = externalId === null ? undefined : byExternal.get(externalId);
  const k = key === null ? undefined : byKey.get(key);
  if (typeof ext === 'number') {
    issues.push({
      line,
      column: externalColumn,
      reason: `duplicate: external_id ${JSON.stringify(externalId)} is already on line ${ext}`,
    });
    return false;
  }
  if (typeof k === 'number') {
    issues.push({
      line,
      column: keyColumn,
      reason: `duplicate: ${keyName} ${JSON.stringify(key)} is already on line ${k}`,
    });
    return false;
  }
  if (ext && k && ext !== k) {
    issues.push({
      line,
      column: keyColumn,
      reason: `${keyName} ${JSON.stringify(key)} belongs to another ${noun} than external_id ${JSON.stringify(externalId)}`,
    });
    return false;
  }
  const target = ext ?? k;
  if (!target) return undefined;
  if (target.line > 0) {
    issues.push({
      line,
      column: ext ? externalColumn : keyColumn,
      reason: `duplicate: line ${target.line} already updates the same ${noun}`,
    });
    return false;
  }
  if (!ext && externalId !== null && target.externalId !== null && target.externalId !== externalId) {
    issues.push({
      line,
      column: externalColumn,
      reason: `the ${noun} with ${keyName} ${JSON.stringify(key)} has external_id ${JSON.stringify(target.externalId)}`,
    });
    return false;
  }
  return target;
}

interface KeyNames {
  key: 'email' | 'domain';
  keyColumn: string;
  externalColumn: string;
  noun: 'contact' | 'account';
}

/** Marks the keys of an accepted row as taken by its line. */
function claim(
  line: number,
  key: string | null,
  externalId: string | null,
  target: Existing | undefined,
  byKey: KeyMap,
  byExternal: KeyMap,
): void {
  if (target) target.line = line;
  if (key !== null) byKey.set(key, line);
  if (externalId !== null) byExternal.set(externalId, line);
}

interface AccountKeys {
  ids: Set<string>;
  byDomain: Map<string, string>;
  byExternal: Map<string, string>;
}

async function loadAccountKeys(session: Session): Promise<AccountKeys> {
  const keys: AccountKeys = { ids: new Set(), byDomain: new Map(), byExternal: new Map() };
  for (const [id, domain, externalId] of await session.select(
    'SELECT id, domain, external_id FROM accounts WHERE workspace_id = $ws',
  )) {
    keys.ids.add(String(id));
    if (domain) keys.byDomain.set(String(domain), String(id));
    if (externalId) keys.byExternal.set(String(externalId), String(id));
  }
  return keys;
}

/**
 * The account_id to write (null: keep / none), or false when the row names an account that does not
 * exist. As in the repository: an explicit account must exist; otherwise a new contact, or a stored one
 * without an account whose email changes, links to the account whose domain is its email's domain.
 */
function linkAccount(
  c: ContactCandidate,
  target: Existing | undefined,
  accounts: AccountKeys,
  line: number,
  columnOf: (f: 'account_id' | 'account_domain' | 'account_external_id') => string,
  issues: RowIssue[],
): string | null | false {
  if (c.account) {
    const { by, value } = c.account;
    const id =
      by === 'id'
        ? accounts.ids.has(value)
          ? value
          : undefined
        : (by === 'domain' ? accounts.byDomain : accounts.byExternal).get(value);
    if (id === undefined) {
      issues.push({
        line,
        column: columnOf(`account_${by}`),
        reason: `no account with ${by === 'id' ? 'id' : by} ${JSON.stringify(value)} in this workspace`,
      });
      return false;
    }
    return id;
  }
  if (c.email === null || accounts.byDomain.size === 0) return null;
  if (target && (target.accountId !== null || target.key === c.email)) return null;
  return accounts.byDomain.get(emailDomain(c.email)) ?? null;
}

/** After an accounts import: unlinked contacts whose email domain is an imported account's domain. */
async function adoptContacts(session: Session, options: ImportOptions): Promise<number> {
  const domainOf =
    session.dialect === 'sqlite'
      ? sql`substr(c.email, instr(c.email, '@') + 1)`
      : sql`split_part(c.email, '@', 2)`;
  const r = await sql`UPDATE contacts AS c SET account_id = a.id, updated_at = ${options.now}
    FROM accounts AS a
    WHERE c.workspace_id = ${options.workspaceId} AND a.workspace_id = ${options.workspaceId}
      AND c.account_id IS NULL AND c.email IS NOT NULL AND a.updated_at = ${options.now}
      AND a.domain = ${domainOf}`.execute(session.db);
  return Number(r.numAffectedRows ?? 0);
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw BatonError.invalid([
      {
        path: 'file',
        message: code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read (${code})`,
      },
    ]);
  }
}
