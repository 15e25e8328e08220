// `baton report ID [--json] [--as-of ISO]`: the campaign's report against its frozen plan, as text or JSON.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { formatReport, reportToJson } from '../../measure/report-text.js';
import { buildCampaignReport } from '../../store/report-data.js';
import { resolveWorkspace, withContext } from '../context.js';

function parseAsOf(value: string | undefined, now: number): number {
  if (value === undefined) return now;
  const at = Date.parse(value);
  if (!Number.isFinite(at))
    throw BatonError.invalid([
      { path: '--as-of', message: `${JSON.stringify(value)} is not a date-time (write 2027-02-24T00:00Z)` },
    ]);
  return at;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('goal, pacing, funnel, attribution (every model), experiments, holdout lift and learnings')
    .argument('<id>', 'campaign id')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .option('--json', 'print the report as JSON')
    .option('--as-of <time>', 'the report as it stood at this ISO 8601 instant (default: now)')
    .action(async (id: string, opts: { workspace?: string; json?: boolean; asOf?: string }) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const report = await buildCampaignReport(store, ws.id, id, parseAsOf(opts.asOf, clock.now()));
        console.log(
          opts.json ? JSON.stringify(reportToJson(report), null, 2) : formatReport(report).join('\n'),
        );
      });
    });
}
