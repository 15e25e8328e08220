// Runs a contact or account CSV import in the background of the serve process that received the upload,
// writing its progress to the `imports` row (at most every PROGRESS_EVERY_MS) so any process can answer.
//
// SQLite: the import runs on a second connection to the same file, so this process's API keeps answering
// (WAL readers are not blocked). Its transaction holds the file's write lock, so the row cannot be written
// until it ends: progress is kept in memory (`liveProgress`) and the routes of this process read it there.
// One serve process owns a SQLite file, so no other process asks. Heartbeats use the real clock: they tell
// whether a process is alive, which the simulated campaign clock of the test mode cannot.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isBatonError } from '../domain/errors.js';
import {
  importAccounts,
  importContacts,
  type ImportProgress,
  type ImportResult,
} from '../store/import/index.js';
import { openStore, type Store } from '../store/db.js';
import { ImportsRepository, type ImportKind, type ImportRecordResult } from '../store/imports.repository.js';
import { recordAudit, type AuditActor } from '../store/audit.repository.js';
import { realClock, type Clock } from '../engine/clock.js';

export const PROGRESS_EVERY_MS = 250;
/** Rejected rows an import record keeps (the count covers them all). */
export const REJECTED_ROWS_KEPT = 100;

const live = new Map<string, ImportProgress>();

/** Progress of an import running in this process (undefined when it runs elsewhere or has ended). */
export function liveProgress(id: string): ImportProgress | undefined {
  return live.get(id);
}

export function liveImportIds(): string[] {
  return [...live.keys()];
}

export interface ImportJob {
  id: string;
  workspaceId: string;
  kind: ImportKind;
  skipInvalid: boolean;
  /** The uploaded file, inside `dir`; the folder is removed when the import ends. */
  file: string;
  dir: string;
  /** Its size in bytes. */
  bytes: number;
  actor: AuditActor;
  ip: string | null;
}

/** Starts the import and returns at once; the returned promise settles when it has ended (for tests). */
export function startImport(store: Store, clock: Clock, job: ImportJob): Promise<void> {
  const repo = new ImportsRepository(store);
  let latest: ImportProgress = { bytesRead: 0, totalBytes: job.bytes, rows: 0 };
  live.set(job.id, latest);
  const canWriteProgress = store.dialect === 'postgres';
  let writing = false;
  const timer = setInterval(() => {
    if (!canWriteProgress || writing) return;
    writing = true;
    repo
      .progress(job.workspaceId, job.id, latest, realClock.now())
      .catch(() => undefined)
      .finally(() => (writing = false));
  }, PROGRESS_EVERY_MS);

  const run = async (): Promise<void> => {
    let finished = false;
    // An in-memory database has no second connection: the import holds this one, as the CLI's does.
    const importStore = store.sqlite && !store.url.endsWith(':memory:') ? openStore(store.url) : store;
    try {
      const importer = job.kind === 'contacts' ? importContacts : importAccounts;
      const result = await importer(importStore, job.file, {
        workspaceId: job.workspaceId,
        now: clock.now(),
        skipInvalid: job.skipInvalid,
        rejectsPath: join(job.dir, 'rejects.csv'),
        onProgress: (p) => {
          latest = { ...p };
          live.set(job.id, latest);
        },
      });
      clearInterval(timer);
      while (writing) await new Promise((r) => setTimeout(r, 10));
      const record = toRecordResult(result);
      await repo.finish(
        job.workspaceId,
        job.id,
        { result: record, bytes: job.bytes },
        clock.now(),
        realClock.now(),
      );
      finished = true;
      await recordAudit(store, {
        workspaceId: job.workspaceId,
        at: clock.now(),
        actor: job.actor,
        ip: job.ip,
        action: `${job.kind}.import`,
        target: { type: 'import', id: job.id },
        details: {
          committed: record.committed,
          rows: record.rows,
          inserted: record.inserted,
          updated: record.updated,
          rejected: record.rejected,
        },
      });
    } catch (e) {
      clearInterval(timer);
      // The rows are in and the record says so: a failed audit write is logged, not reported as the import's.
      if (finished) {
        console.error(`import ${job.id}: the audit entry could not be written`, e);
        return;
      }
      while (writing) await new Promise((r) => setTimeout(r, 10));
      const message = isBatonError(e) ? e.message : 'the import failed unexpectedly; see the server log';
      if (!isBatonError(e)) console.error(`import ${job.id} failed`, e);
      await repo
        .finish(job.workspaceId, job.id, { error: message }, clock.now(), realClock.now())
        .catch(() => undefined);
    } finally {
      live.delete(job.id);
      if (importStore !== store) await importStore.close();
      await rm(job.dir, { recursive: true, force: true });
    }
  };
  return run();
}

function toRecordResult(r: ImportResult): ImportRecordResult {
  return {
    committed: r.committed,
    rows: r.rows,
    inserted: r.inserted,
    updated: r.updated,
    rejected: r.rejected,
    linked_contacts: r.linkedContacts ?? null,
    rejected_rows: r.issues.slice(0, REJECTED_ROWS_KEPT).map((i) => ({
      line: i.line,
      column: i.column ?? '',
      reason: i.reason,
    })),
    rejected_total: r.issues.length,
    seconds: r.seconds,
  };
}
