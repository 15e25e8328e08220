// CSV import of contacts and accounts: stream the file, validate every row, upsert in one transaction.
// By default a file with any invalid row writes nothing; with `skipInvalid` the good rows are written and
// the others go to a rejects file. Keys are resolved in memory against the workspace's existing rows, so
// duplicates inside the file are reported (never merged) and the writes are plain inserts and updates.
import { rm, stat } from 'node:fs/promises';
import { BatonError } from '../../domain/errors.js';
import type { Store } from '../db.js';
import { ERASED_MESSAGE, erasedEmailKey } from '../privacy/erased-emails.js';
import { adoptContacts, linkAccount, loadAccountKeys } from './account-links.js';
import { ACCOUNT_COLUMNS, ACCOUNT_FIELDS, ACCOUNT_KEYS, AccountRowValidator } from './account-rows.js';
import { bulkIds } from './bulk-ids.js';
import { planHeader, type RowIssue } from './columns.js';
import { CONTACT_COLUMNS, CONTACT_FIELDS, CONTACT_KEYS, ContactRowValidator } from './contact-rows.js';
import { readCsv, type CsvRecord } from './csv-reader.js';
import { inTransaction, type Session } from './import-session.js';
import { claim, loadKeys, resolve, type KeyNames } from './keys.js';
import { RejectsFile, rejectsPathFor } from './rejects.js';
import type { TableSpec } from './table-writer.js';

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
    const { byKey: byEmail, byExternal } = await loadKeys(session, 'contacts');
    const accounts = await loadAccountKeys(session);
    const nextId = bulkIds('con', options.now);
    // People erased at their request: their email is refused (it is kept only as a hash).
    const erased = new Set(
      (
        await session.select("SELECT value FROM suppressions WHERE workspace_id = $ws AND kind = 'erased'")
      ).map(([v]) => String(v)),
    );

    const handler: RowHandler = (record, issues) => {
      const c = validator.validate(record.fields, record.line, issues);
      if (!c) return false;
      const line = record.line;
      if (erased.size > 0 && c.email && erased.has(erasedEmailKey(options.workspaceId, c.email))) {
        issues.push({ line, column: columnOf('email'), reason: ERASED_MESSAGE });
        return false;
      }
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
      const { byKey: byDomain, byExternal } = await loadKeys(session, 'accounts');
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
