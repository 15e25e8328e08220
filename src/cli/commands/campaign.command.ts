// `baton apply|lint FILE.yaml` (campaign-as-code) and `baton launch|pause|resume|end ID` (lifecycle).
import type { Command } from 'commander';
import type { DiffEntry } from '../../domain/campaign-diff.js';
import type { Finding } from '../../domain/guardrails/index.js';
import type { Campaign } from '../../store/campaigns.repository.js';
import {
  applyCampaign,
  lintCampaignSpec,
  loadCampaignFile,
  type ApplyResult,
} from '../../store/campaigns/index.js';
import { recordAudit } from '../../store/audit.repository.js';
import { performMove, type CampaignMove } from '../../api/campaign-moves.js';
import { engineLifecycleHooks } from '../../api/routes/campaigns.routes.js';
import { cliActor } from '../audit.js';
import { resolveWorkspace, withContext } from '../context.js';

interface WsOpt {
  workspace?: string;
}

export function register(program: Command): void {
  program
    .command('apply')
    .description('create or update a campaign (and the templates it references) from a YAML file')
    .argument('<file>', 'campaign file (.yaml)')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .action(async (file: string, opts: WsOpt) => {
      const loaded = await loadCampaignFile(file);
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const result = await applyCampaign(
          store,
          ws.id,
          { spec: loaded.spec, templates: loaded.templates, author: 'cli' },
          clock.now(),
        );
        // The same entries the API writes for a create or an edit (with the revision diff).
        const templates = result.templates
          .filter((t) => t.change !== 'unchanged')
          .map((t) => ({ id: t.id, change: t.change }));
        if (result.change !== 'unchanged' || templates.length > 0) {
          await recordAudit(store, {
            workspaceId: ws.id,
            at: clock.now(),
            actor: cliActor(),
            action: result.change === 'created' ? 'campaign.create' : 'campaign.update',
            target: { type: 'campaign', id: result.campaign.id },
            details: {
              revision: result.campaign.revision,
              ...(result.change === 'updated' ? { diff: result.diff } : {}),
              ...(templates.length > 0 ? { templates } : {}),
            },
          });
        }
        console.log(formatApply(result));
      });
    });

  program
    .command('lint')
    .description('check a campaign file against the launch guardrails (exit 1 on blocking findings)')
    .argument('<file>', 'campaign file (.yaml)')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .option('--json', 'print the findings as JSON')
    .action(async (file: string, opts: WsOpt & { json?: boolean }) => {
      const loaded = await loadCampaignFile(file);
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const findings = await lintCampaignSpec(store, ws.id, loaded.spec, clock.now(), {
          templates: loaded.templates,
        });
        console.log(opts.json ? JSON.stringify(findings, null, 2) : formatFindings(loaded.spec.id, findings));
        if (findings.some((f) => f.severity === 'blocking')) process.exitCode = 1;
      });
    });

  program
    .command('launch')
    .description(
      'launch a campaign: runs the guardrails, freezes the measurement plan, starts or schedules it',
    )
    .argument('<id>', 'campaign id')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .action(async (id: string, opts: WsOpt) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const { campaign, findings } = await performMove(
          store,
          engineLifecycleHooks,
          ws.id,
          'launch',
          id,
          clock.now(),
          { actor: cliActor(), ip: null },
        );
        console.log(
          `${id} is ${campaign.status}; measurement plan frozen (sha256 ${campaign.frozenHash?.slice(0, 12)}…)`,
        );
        if (findings.length) console.log(formatFindings(id, findings));
      });
    });

  // Moves from the command line are the operator's own: they need no approval, and are audited as the API's are.
  const moves: Array<[Exclude<CampaignMove, 'launch'>, string]> = [
    ['pause', 'pause a scheduled or running campaign'],
    ['resume', 'resume a paused campaign'],
    ['end', 'end a campaign now (completed if it ran, cancelled if it never started)'],
  ];
  for (const [name, description] of moves) {
    program
      .command(name)
      .description(description)
      .argument('<id>', 'campaign id')
      .option('--workspace <name>', 'workspace (optional when there is only one)')
      .action(async (id: string, opts: WsOpt) => {
        await withContext(async ({ store, clock }) => {
          const ws = await resolveWorkspace(store, opts.workspace);
          const { campaign } = await performMove(store, engineLifecycleHooks, ws.id, name, id, clock.now(), {
            actor: cliActor(),
            ip: null,
          });
          console.log(formatStatus(campaign));
        });
      });
  }
}

function formatStatus(c: Campaign): string {
  return `${c.id} is ${c.status}`;
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

export function formatApply(r: ApplyResult): string {
  const lines: string[] = [];
  const id = r.campaign.id;
  if (r.change === 'created') lines.push(`campaign ${id}: created (revision 1, ${r.campaign.status})`);
  else if (r.change === 'updated') {
    lines.push(`campaign ${id}: updated to revision ${r.campaign.revision}`);
    lines.push(
      ...r.diff.slice(0, 50).map((d: DiffEntry) => `  ${d.path}: ${show(d.before)} → ${show(d.after)}`),
    );
    if (r.diff.length > 50) lines.push(`  … and ${r.diff.length - 50} more changes`);
  }
  for (const t of r.templates.filter((x) => x.change !== 'unchanged'))
    lines.push(`template ${t.id}: ${t.change}`);
  if (lines.length === 0) return `campaign ${id}: no change`;
  if (r.change === 'unchanged') lines.unshift(`campaign ${id}: no change to the campaign`);
  return lines.join('\n');
}

export function formatFindings(id: string, findings: Finding[]): string {
  if (findings.length === 0) return `${id}: no findings`;
  const blocking = findings.filter((f) => f.severity === 'blocking').length;
  const warnings = findings.length - blocking;
  const head = `${id}: ${blocking} blocking, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  return [
    head,
    ...findings.map(
      (f) => `  ${f.severity === 'blocking' ? 'BLOCKING' : 'warning '}  ${f.code}  ${f.path}: ${f.message}`,
    ),
  ].join('\n');
}
