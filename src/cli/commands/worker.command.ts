// `baton worker`: dispatcher and event processing only, for scale-out on PostgreSQL.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultChannels } from '../../channels/registry.js';
import { smsProviderFromConfig } from '../../channels/sms.channel.js';
import { resolveSecret } from '../../store/instance-settings.repository.js';
import { processEvents } from '../../engine/event-processor.js';
import { Worker } from '../../engine/worker.js';
import { Health } from '../../ops/health.js';
import { BatonMetrics } from '../../ops/metrics.js';
import { startOpsServer } from '../../ops/server.js';
import { installShutdown } from '../../ops/shutdown.js';
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
    .option(
      '--audience-push-minutes <n>',
      'how often each pushed ads audience sends its changes to its endpoint',
      '15',
    )
    .option('--ops-port <port>', 'serve /healthz, /readyz and /metrics on this port (off by default)')
    .option('--ops-host <host>', 'address the ops endpoints bind', '127.0.0.1')
    .option('--shutdown-timeout-ms <ms>', 'on SIGTERM, exit 1 if the batch in flight takes longer', '60000')
    .action(
      async (opts: {
        batch: string;
        id?: string;
        leaseMs: string;
        idleMs: string;
        audiencePushMinutes: string;
        opsPort?: string;
        opsHost: string;
        shutdownTimeoutMs: string;
      }) => {
        const ctx = await openCliContext();
        const metrics = new BatonMetrics({ store: ctx.store, clock: ctx.clock });
        const health = new Health({ maxTickAgeMs: Math.max(5 * 60_000, 2 * Number(opts.leaseMs)) });
        const secret = await resolveSecret(ctx.store, ctx.config.BATON_SECRET);
        const everyMinutes = Number(opts.audiencePushMinutes);
        if (!Number.isFinite(everyMinutes) || everyMinutes <= 0) {
          throw new Error('--audience-push-minutes must be a number of minutes above 0');
        }
        const channels = defaultChannels(ctx.store, {
          secret,
          publicUrl: ctx.config.BATON_PUBLIC_URL ?? `http://localhost:${ctx.config.BATON_PORT}`,
          relayUrl: ctx.config.BATON_SMTP_URL,
          requireHttps: ctx.config.NODE_ENV === 'production',
          sms: smsProviderFromConfig(ctx.config),
        });
        const worker = new Worker(ctx.store, metrics.instrument(channels), ctx.clock, {
          workerId: opts.id ?? `${hostname()}:${process.pid}`,
          batchSize: Number(opts.batch),
          leaseMs: Number(opts.leaseMs),
          idleMs: Number(opts.idleMs),
          processEvents,
          audiencePush: {
            secret,
            requireHttps: ctx.config.NODE_ENV === 'production',
            everyMs: everyMinutes * 60_000,
          },
          onTouch: metrics.onTouch,
          onTick: (stats) => {
            metrics.onTick(stats);
            health.tick();
          },
        });
        health.attachWorker();
        worker.start();
        const ops = opts.opsPort
          ? await startOpsServer({
              store: ctx.store,
              clock: ctx.clock,
              metrics,
              health,
              port: Number(opts.opsPort),
              host: opts.opsHost,
            })
          : null;
        console.log(`baton worker ${opts.id ?? process.pid} running on ${ctx.store.dialect}`);
        if (ops)
          console.log(`ops endpoints on http://${opts.opsHost}:${ops.port} (/healthz, /readyz, /metrics)`);
        // Graceful: stop claiming, finish and record the batch in flight, then close.
        installShutdown(
          [
            { name: 'unready', run: async () => health.shuttingDown() },
            { name: 'worker', run: () => worker.stop() },
            { name: 'channels', run: () => channels.close() },
            { name: 'ops', run: async () => ops?.close() },
            { name: 'store', run: () => ctx.store.close() },
          ],
          { timeoutMs: Number(opts.shutdownTimeoutMs) },
        );
      },
    );
}
