// `baton clone ID --name NAME [--id NEW]`: the next campaign, as a draft, from a reviewed one.
import type { Command } from 'commander';
import { recordAudit } from '../../store/audit.repository.js';
import { cloneCampaign } from '../../store/campaign-review.js';
import { cliActor } from '../audit.js';
import { resolveWorkspace, withContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('clone')
    .description(
      'start the next campaign from a reviewed one: winning variants as defaults, learnings linked',
    )
    .argument('<id>', 'the reviewed campaign')
    .requiredOption('--name <name>', "the new campaign's name")
    .option('--id <id>', "the new campaign's id (default: a slug of the name)")
    .option('--workspace <name>', 'workspace (optional when there is only one)')
    .action(async (id: string, opts: { name: string; id?: string; workspace?: string }) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        const r = await cloneCampaign(
          store,
          ws.id,
          id,
          { name: opts.name, id: opts.id, author: 'cli' },
          clock.now(),
        );
        await recordAudit(store, {
          workspaceId: ws.id,
          at: clock.now(),
          actor: cliActor(),
          action: 'campaign.create',
          target: { type: 'campaign', id: r.campaign.id },
          details: { revision: r.campaign.revision, cloned_from: r.source },
        });
        console.log(`created draft ${r.campaign.id} (${r.campaign.name}) from ${r.source}`);
        for (const w of r.winners) console.log(`  step ${w.step}: winner ${w.variant} is now the default`);
        for (const s of r.stillTesting) console.log(`  step ${s}: no winner yet, its variants are kept`);
        console.log('  set its window, then `baton lint` and `baton launch` it');
      });
    });
}
