// `baton report ID [--json]`: the campaign's report against its frozen plan, as text or JSON.
import type { Command } from 'commander';
import { formatReport, reportToJson } from '../../measure/report-text.js';
import { buildCampaignReport } from '../../store/report-data.js';
import { resolveWorkspace, withContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('goal, pacing, funnel, attribution (every model), experiments, holdout lift and learnings')
    .argument('<id>', 'campaign id')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .option('--json', 'print the report as JSON')
    .action(async (id: string, opts: { workspace?: string; json?: boolean }) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const report = await buildCampaignReport(store, ws.id, id, clock.now());
        console.log(
          opts.json ? JSON.stringify(reportToJson(report), null, 2) : formatReport(report).join('\n'),
        );
      });
    });
}
