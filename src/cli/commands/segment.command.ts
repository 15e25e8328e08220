// `baton segment preview FILE.yaml`: the size and shape of an audience (a campaign file, an audience
// block or a bare rule tree) before launch, with the reasons people were removed.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import {
  REACH_CHANNELS,
  previewAudience,
  type AudiencePreview,
  type ReachChannel,
} from '../../store/audience.js';
import { resolveWorkspace, withContext } from '../context.js';

const AUDIENCE_KEYS = ['segment', 'segment_id', 'exclude', 'accounts', 'enrollment'];

/** A campaign file's `audience`, an audience block, or a bare rule tree (taken as the segment). */
export function audienceOf(doc: unknown): unknown {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw BatonError.invalid([{ path: '(file)', message: 'holds no audience: expected a YAML mapping' }]);
  }
  const obj = doc as Record<string, unknown>;
  if ('audience' in obj) return obj.audience;
  if (Object.keys(obj).some((k) => AUDIENCE_KEYS.includes(k))) return obj;
  return { segment: obj };
}

const num = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;

export function formatPreview(p: AudiencePreview): string {
  const lines: string[] = [];
  const reach = p.channel === 'none' ? 'contacts' : `contacts reachable by ${p.channel}`;
  lines.push(`Audience: ${num(p.count)} contacts (${pct(p.share)} of ${num(p.reachable)} ${reach})`);
  lines.push(`Matched by the segment: ${num(p.matched)}`);
  if (p.removed.length > 0) {
    lines.push('Removed:');
    for (const r of p.removed) lines.push(`  ${r.reason.padEnd(26)}${num(r.count).padStart(10)}`);
  }
  if (p.by_lifecycle_stage.length > 0) {
    lines.push(
      'By lifecycle stage: ' +
        p.by_lifecycle_stage.map((s) => `${s.stage ?? '(none)'} ${num(s.count)}`).join(', '),
    );
  }
  const target = p.accounts.target
    ? ` of ${num(p.accounts.target.total)} target accounts (${num(p.accounts.target.reached)} reached)`
    : '';
  lines.push(
    `Accounts reached: ${num(p.accounts.reached)}${target}; contacts without an account: ${num(p.accounts.without_account)}`,
  );
  for (const a of p.accounts.top.slice(0, 10)) {
    lines.push(`  ${(a.name ?? a.domain ?? a.account_id).padEnd(32)}${num(a.count).padStart(8)}`);
  }
  if (p.sample.length > 0) {
    lines.push(`Sample (${p.sample.length}):`);
    for (const c of p.sample) {
      const name = [c.first_name, c.last_name].filter(Boolean).join(' ');
      lines.push(
        `  ${c.id}  ${c.email ?? '(no email)'}${name ? `  ${name}` : ''}  ${c.lifecycle_stage ?? ''}`.trimEnd(),
      );
    }
  }
  return lines.join('\n');
}

function prefixIssues(e: unknown, prefix: string): unknown {
  if (!(e instanceof BatonError) || e.code !== 'invalid_input') return e;
  const issues = (e.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
  return BatonError.invalid(issues.map((i) => ({ ...i, path: prefix + i.path })));
}

export function register(program: Command): void {
  const segment = program.command('segment').description('segments and audiences');
  segment
    .command('preview')
    .description(
      'count, breakdowns, a sample and removal reasons of an audience (campaign file, audience or rule)',
    )
    .argument('<file>', 'a YAML file: a campaign file, an audience block or a segment rule tree')
    .option('--workspace <name>', 'workspace name (may be omitted when there is only one)')
    .option('--channel <channel>', `reachability to apply (${REACH_CHANNELS.join(', ')})`, 'email')
    .option('--json', 'print the preview as JSON')
    .action(async (file: string, opts: { workspace?: string; channel: string; json?: boolean }) => {
      if (!(REACH_CHANNELS as readonly string[]).includes(opts.channel)) {
        throw BatonError.invalid([{ path: '--channel', message: `is one of ${REACH_CHANNELS.join(', ')}` }]);
      }
      let doc: unknown;
      try {
        doc = parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw BatonError.invalid([
          { path: file, message: `cannot be read as YAML: ${(e as Error).message}` },
        ]);
      }
      const spec = audienceOf(doc);
      // Paths in errors point into the file: `audience.segment…` for a campaign file.
      const prefix = typeof doc === 'object' && doc !== null && 'audience' in doc ? 'audience.' : '';
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const preview = await previewAudience(store, ws.id, spec, {
          now: clock.now(),
          channel: opts.channel as ReachChannel,
        }).catch((e: unknown) => {
          throw prefix ? prefixIssues(e, prefix) : e;
        });
        console.log(opts.json ? JSON.stringify(preview, null, 2) : formatPreview(preview));
      });
    });
}
