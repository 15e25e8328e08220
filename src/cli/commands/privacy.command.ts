// `baton privacy export EMAIL` and `baton privacy erase EMAIL`: a person's access and erasure requests
// from the command line, through the same functions as the API (docs/privacy.md).
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { normalizeEmail } from '../../domain/contact.js';
import { recordAudit } from '../../store/audit.repository.js';
import type { Store } from '../../store/db.js';
import { eraseContact, exportContact, isErasedEmail } from '../../store/privacy/index.js';
import { resolveWorkspace, withContext } from '../context.js';

/** The contact with this email (the address compared without letter case). */
async function contactByEmail(store: Store, workspaceId: string, email: string): Promise<string> {
  const wanted = normalizeEmail(email).toLowerCase();
  const rows = await store.db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('email', 'is not', null)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', wanted))
    .execute();
  if (rows.length === 0) {
    const erased = await isErasedEmail(store.db, workspaceId, wanted);
    throw new BatonError(
      'not_found',
      erased
        ? `${email} was erased earlier: Baton holds nothing about this person but the hash that keeps them out`
        : `no contact has the email ${email} in this workspace`,
    );
  }
  if (rows.length > 1) {
    throw BatonError.invalid([
      {
        path: 'EMAIL',
        message: `${rows.length} contacts differ only in letter case: ${rows.map((r) => r.id).join(', ')}`,
      },
    ]);
  }
  return rows[0]!.id;
}

const system = { type: 'system', id: 'cli' } as const;

export function register(program: Command): void {
  const privacy = program
    .command('privacy')
    .description("a person's access (export) and erasure requests; see docs/privacy.md");
  privacy
    .command('export <email>')
    .description('print everything held about the person with this email as JSON')
    .option('--workspace <name>', 'workspace name (may be omitted when there is only one)')
    .action(async (email: string, opts: { workspace?: string }) => {
      await withContext(async (ctx) => {
        const ws = await resolveWorkspace(ctx.store, opts.workspace);
        const id = await contactByEmail(ctx.store, ws.id, email);
        const now = ctx.clock.now();
        const doc = await exportContact(ctx.store, ws.id, id, now);
        await recordAudit(ctx.store, {
          workspaceId: ws.id,
          at: now,
          actor: system,
          action: 'contact.export',
          target: { type: 'contact', id },
        });
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      });
    });
  privacy
    .command('erase <email>')
    .description('erase the person with this email everywhere (irreversible); campaign totals stay anonymous')
    .option('--workspace <name>', 'workspace name (may be omitted when there is only one)')
    .option('--json', 'print what was changed as JSON')
    .action(async (email: string, opts: { workspace?: string; json?: boolean }) => {
      await withContext(async (ctx) => {
        const ws = await resolveWorkspace(ctx.store, opts.workspace);
        const id = await contactByEmail(ctx.store, ws.id, email);
        const r = await eraseContact(ctx.store, ws.id, id, ctx.clock.now(), system);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        const lines = Object.entries(r.tables)
          .filter(([, c]) => c.deleted + c.anonymised > 0)
          .map(([t, c]) => `  ${t}: ${c.deleted} deleted, ${c.anonymised} kept anonymous`);
        process.stdout.write(
          `Erased contact ${id} from workspace ${ws.name}.\n${lines.join('\n')}\n` +
            `Kept rows now carry ${r.tombstoneId}; the email is suppressed as a hash and cannot be imported again.\n`,
        );
      });
    });
}
