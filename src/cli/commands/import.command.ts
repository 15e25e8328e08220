// `baton import contacts|accounts FILE.csv`: validated import with a progress bar and a row-level report.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import {
  importAccounts,
  importContacts,
  type ImportEntity,
  type ImportProgress,
  type ImportResult,
} from '../../store/import/index.js';
import { recordAudit } from '../../store/audit.repository.js';
import { cliActor } from '../audit.js';
import { resolveWorkspace, withContext } from '../context.js';

interface ImportFlags {
  workspace?: string;
  skipInvalid?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('import')
    .description('import contacts or accounts from a CSV file (all-or-nothing unless --skip-invalid)');
  for (const entity of ['contacts', 'accounts'] as const) {
    cmd
      .command(`${entity} <file>`)
      .description(`upsert ${entity} from a CSV file with a header row; unknown columns go into attributes`)
      .option('--workspace <name>', 'workspace name (may be omitted when there is only one)')
      .option('--skip-invalid', 'import the valid rows and write the others to FILE.rejects.csv')
      .action((file: string, opts: ImportFlags) => runImport(entity, file, opts));
  }
}

async function runImport(entity: ImportEntity, file: string, opts: ImportFlags): Promise<void> {
  await withContext(async ({ store, clock }) => {
    const ws = await resolveWorkspace(store, opts.workspace);
    const bar = process.stderr.isTTY ? progressBar(entity) : undefined;
    const run = entity === 'contacts' ? importContacts : importAccounts;
    let result: ImportResult;
    try {
      result = await run(store, file, {
        workspaceId: ws.id,
        now: clock.now(),
        skipInvalid: opts.skipInvalid,
        onProgress: bar?.update,
      });
    } finally {
      bar?.done();
    }
    for (const i of result.issues) {
      process.stderr.write(`line ${i.line}${i.column ? `, ${i.column}` : ''}: ${i.reason}\n`);
    }
    if (result.committed) {
      await recordAudit(store, {
        workspaceId: ws.id,
        at: clock.now(),
        actor: cliActor(),
        action: `${entity === 'contacts' ? 'contact' : 'account'}.import`,
        details: {
          rows: result.rows,
          inserted: result.inserted,
          updated: result.updated,
          rejected: result.rejected,
        },
      });
    }
    console.log(summary(result, ws.name));
    if (!result.committed) {
      throw new BatonError(
        'invalid_input',
        `${file}: ${result.rejected.toLocaleString('en-US')} of ${result.rows.toLocaleString('en-US')} rows are invalid, nothing was imported (fix them, or use --skip-invalid)`,
      );
    }
  });
}

function summary(r: ImportResult, workspace: string): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const parts = [
    `${r.entity} into ${workspace}: ${n(r.inserted)} inserted, ${n(r.updated)} updated, ${n(r.rejected)} rejected`,
    `${r.seconds.toFixed(2)} s, ${n(Math.round(r.rowsPerSecond))} rows/s`,
  ];
  let out = parts.join(' in ');
  if (r.linkedContacts) out += `\n${n(r.linkedContacts)} contacts linked to their account by email domain`;
  if (r.rejectsPath) out += `\nrejected rows written to ${r.rejectsPath}`;
  return out;
}

/** A one-line bar on stderr, redrawn at most ten times a second. */
function progressBar(entity: ImportEntity): { update(p: ImportProgress): void; done(): void } {
  let last = 0;
  let drawn = false;
  const started = performance.now();
  return {
    update(p) {
      const t = performance.now();
      if (t - last < 100 && p.bytesRead < p.totalBytes) return;
      last = t;
      const share = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
      const width = 30;
      const filled = Math.round(share * width);
      const rate = p.rows / Math.max((t - started) / 1000, 1e-3);
      process.stderr.write(
        `\r${entity} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ` +
          `${p.rows.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s`,
      );
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}
