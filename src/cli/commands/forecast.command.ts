// `baton forecast ID`: the campaign's touches per day and channel, caps hit and touches past the end,
// planned with the engine's code against the other running campaigns; sends and writes nothing.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { forecastCampaign, forecastJson, formatForecast } from '../../engine/forecast.js';
import { resolveWorkspace, withContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('forecast')
    .description('forecast a campaign (touches per day and channel, caps hit, touches past the end)')
    .argument('<id>', 'campaign id')
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .option('--from <time>', 'start the simulated timeline at this ISO 8601 time (default now)')
    .option('--json', 'print the forecast as JSON')
    .action(async (id: string, opts: { workspace?: string; from?: string; json?: boolean }) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const from = opts.from === undefined ? clock.now() : Date.parse(opts.from);
        if (!Number.isFinite(from))
          throw BatonError.invalid([
            { path: '--from', message: 'must be an ISO 8601 time, e.g. 2027-01-04T09:00:00Z' },
          ]);
        const f = await forecastCampaign(store, ws.id, id, { from });
        console.log(opts.json ? JSON.stringify(forecastJson(f), null, 2) : formatForecast(f));
      });
    });
}
