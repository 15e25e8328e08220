// `baton audit`: the audit trail from the command line, newest first, for a workspace or, with `--instance`,
// for the installation itself (failed sign-ins of emails no user has, when the request named no existing
// workspace; no workspace admin can read those over the API). A line per entry, or JSON lines with --json.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { AuditRepository, INSTANCE_AUDIT_WORKSPACE, type AuditRecord } from '../../store/audit.repository.js';
import { resolveWorkspace, withContext } from '../context.js';

interface AuditOptions {
  workspace?: string;
  instance?: boolean;
  action?: string;
  actor?: string;
  target?: string;
  since?: string;
  limit: string;
  json?: boolean;
}

/** The most entries one call prints; a longer trail is read page by page through the API. */
const MAX_LIMIT = 10_000;

function parseOptions(opts: AuditOptions): { since?: number; limit: number } {
  const problems: Array<{ path: string; message: string }> = [];
  if (opts.instance && opts.workspace)
    problems.push({ path: '--instance', message: 'reads the installation trail; leave out --workspace' });
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    problems.push({ path: '--limit', message: `must be a whole number from 1 to ${MAX_LIMIT}` });
  let since: number | undefined;
  if (opts.since !== undefined) {
    since = Date.parse(opts.since);
    if (!Number.isFinite(since))
      problems.push({ path: '--since', message: 'must be an ISO 8601 date or date-time, e.g. 2026-11-01' });
  }
  if (problems.length) throw BatonError.invalid(problems);
  return { since, limit };
}

function line(e: AuditRecord): string {
  const actor = e.actor.id ? `${e.actor.type}:${e.actor.id}` : e.actor.type;
  const target = e.target ? ` ${e.target.type}:${e.target.id}` : '';
  const details = Object.keys(e.details).length ? ` ${JSON.stringify(e.details)}` : '';
  return `${new Date(e.at).toISOString()}  ${e.action}  by ${actor}${e.ip ? ` from ${e.ip}` : ''}${target}${details}`;
}

export function register(program: Command): void {
  program
    .command('audit')
    .description("print a workspace's audit trail (or the installation's, with --instance), newest first")
    .option('--workspace <name>', 'workspace name (may be omitted when there is only one)')
    .option('--instance', "the installation's own trail: failed sign-ins that named no existing workspace")
    .option('--action <action>', 'an exact action, or a prefix ending in "." (campaign.)')
    .option('--actor <id>', 'a user or API key id')
    .option('--target <id>', 'a target id (campaign, contact, key …)')
    .option('--since <date>', 'entries at or after this ISO 8601 date or date-time')
    .option('--limit <n>', `how many entries at most (up to ${MAX_LIMIT})`, '50')
    .option('--json', 'one JSON object per line')
    .action(async (opts: AuditOptions) => {
      const { since, limit } = parseOptions(opts);
      await withContext(async (ctx) => {
        const workspaceId = opts.instance
          ? INSTANCE_AUDIT_WORKSPACE
          : (await resolveWorkspace(ctx.store, opts.workspace)).id;
        const audit = new AuditRepository(ctx.store);
        const filter = { action: opts.action, actor: opts.actor, target: opts.target, since };
        let cursor: string | undefined;
        let left = limit;
        do {
          const page = await audit.list(workspaceId, { ...filter, limit: Math.min(left, 500), cursor });
          for (const e of page.data) process.stdout.write(`${opts.json ? JSON.stringify(e) : line(e)}\n`);
          left -= page.data.length;
          cursor = page.next_cursor ?? undefined;
        } while (cursor && left > 0);
      });
    });
}
