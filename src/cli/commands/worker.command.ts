// `baton worker`: dispatcher and event processing only, for scale-out on PostgreSQL.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultChannels } from '../../channels/registry.js';
import { processEvents } from '../../engine/event-processor.js';
import { Worker } from '../../engine/worker.js';
import { openCliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run the dispatcher and event processor only (any number of them on PostgreSQL)')
    .option('--batch <n>', 'touches claimed per batch', '500')
    .option('--id <id>', 'worker id (default host:pid)')
    .option(
      '--lease-ms <ms>',
      'how long a claimed batch stays leased before others may take it back',
      '300000',
    )
    .option('--idle-ms <ms>', 'pause between ticks when nothing is due', '1000')
    .action(async (opts: { batch: string; id?: string; leaseMs: string; idleMs: string }) => {
      const ctx = await openCliContext();
      const channels = defaultChannels(ctx.store);
      const worker = new Worker(ctx.store, channels, ctx.clock, {
        workerId: opts.id ?? `${hostname()}:${process.pid}`,
        batchSize: Number(opts.batch),
        leaseMs: Number(opts.leaseMs),
        idleMs: Number(opts.idleMs),
        processEvents,
      });
      worker.start();
      console.log(`baton worker ${opts.id ?? process.pid} running on ${ctx.store.dialect}`);
      const stop = async (): Promise<void> => {
        // Graceful: stop claiming, finish and record the batch in flight, then close.
        await worker.stop();
        await channels.close();
        await ctx.store.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
