// `baton serve`: the API (and, on SQLite, the worker in-process).
import type { Command } from 'commander';
import { buildApp, trustProxyFrom } from '../../api/app.js';
import { ensureWebBuilt } from '../../api/web.js';
import { resolveSecret } from '../../store/instance-settings.repository.js';
import { defaultChannels } from '../../channels/registry.js';
import { smsProviderFromConfig } from '../../channels/sms.channel.js';
import { startInboundSmtp } from '../../channels/inbound-smtp.js';
import { SimulatedClock } from '../../engine/clock.js';
import { processEvents } from '../../engine/event-processor.js';
import { Worker } from '../../engine/worker.js';
import { Health } from '../../ops/health.js';
import { BatonMetrics } from '../../ops/metrics.js';
import { rateLimitStoreFor, rateLimitsFromEnv } from '../../ops/rate-limit.js';
import { installShutdown } from '../../ops/shutdown.js';
import { openCliContext } from '../context.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the API and web app (on SQLite the worker runs in the same process)')
    .option('--port <port>', 'port to listen on (default BATON_PORT or 4400)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--inbound-smtp <port>', 'also receive replies and bounces by SMTP on this port (off by default)')
    .option(
      '--shutdown-delay-ms <ms>',
      'on SIGTERM, answer /readyz 503 this long before draining (time for the load balancer to notice)',
      '0',
    )
    .option(
      '--test-mode',
      'for end-to-end tests: a simulated clock (from BATON_TEST_CLOCK) that only POST /api/v1/test/clock moves',
    )
    .action(async (opts: ServeOptions) => {
      const opened = await openCliContext(
        opts.port ? { ...process.env, BATON_PORT: opts.port } : process.env,
      );
      const testMode = opts.testMode === true || opened.config.BATON_TEST_MODE === '1';
      const testClock = testMode
        ? new SimulatedClock(opened.config.BATON_TEST_CLOCK ?? opened.clock.now())
        : null;
      const ctx = testClock ? { ...opened, clock: testClock } : opened;
      const port = ctx.config.BATON_PORT;
      const secret = await resolveSecret(ctx.store, ctx.config.BATON_SECRET);
      const publicUrl = ctx.config.BATON_PUBLIC_URL ?? `http://localhost:${port}`;
      const sms = smsProviderFromConfig(ctx.config);
      ensureWebBuilt();
      const metrics = new BatonMetrics({ store: ctx.store, clock: ctx.clock });
      const health = new Health();
      // Counted in the database on PostgreSQL, so serve processes behind a balancer share each limit.
      const limits = rateLimitsFromEnv(ctx.config);
      // On SQLite (one writer) the worker runs in this process; on PostgreSQL run `baton worker` processes.
      const channels = defaultChannels(ctx.store, {
        secret,
        publicUrl,
        relayUrl: ctx.config.BATON_SMTP_URL,
        requireHttps: ctx.config.NODE_ENV === 'production',
        sms,
      });
      const worker =
        ctx.store.dialect === 'sqlite'
          ? new Worker(ctx.store, metrics.instrument(channels), ctx.clock, {
              workerId: `serve:${process.pid}`,
              processEvents,
              audiencePush: { secret, requireHttps: ctx.config.NODE_ENV === 'production' },
              onTouch: metrics.onTouch,
              onTick: (stats) => {
                metrics.onTick(stats);
                health.tick();
              },
            })
          : null;
      const app = await buildApp(
        {
          store: ctx.store,
          clock: ctx.clock,
          secret,
          previousSecrets: ctx.config.BATON_SECRET_PREVIOUS ?? [],
          publicUrl,
          ...(sms ? { sms: { authToken: sms.authToken } } : {}),
          ...(ctx.config.BATON_IMPORT_MAX_BYTES ? { importMaxBytes: ctx.config.BATON_IMPORT_MAX_BYTES } : {}),
        },
        {
          logger: false,
          ops: { metrics, health },
          rateLimit: limits && { ...limits, store: rateLimitStoreFor(ctx.store.dialect) },
          trustProxy: trustProxyFrom(ctx.config.BATON_TRUST_PROXY),
          ...(testClock ? { testMode: { clock: testClock, worker } } : {}),
        },
      );
      if (worker && !testClock) health.attachWorker();
      await app.listen({ port, host: opts.host });
      // In test mode the worker ticks only when POST /api/v1/test/clock moves the clock.
      if (!testClock) worker?.start();
      const inbound = opts.inboundSmtp
        ? await startInboundSmtp(ctx.store, ctx.clock, { port: Number(opts.inboundSmtp), host: opts.host })
        : null;
      console.log(`Baton is serving on http://localhost:${port} (API docs at /docs)`);
      if (testClock) {
        console.log(
          `Test mode: the clock stands at ${new Date(testClock.now()).toISOString()}; POST /api/v1/test/clock moves it`,
        );
      }
      if (inbound) console.log(`Inbound SMTP (replies, bounces) on port ${inbound.port}`);
      // Graceful: unready first (the balancer stops routing here), then drain HTTP, then let the worker
      // finish its batch in flight, then close the channels and the store.
      const delayMs = Number(opts.shutdownDelayMs);
      installShutdown([
        { name: 'unready', run: async () => health.shuttingDown() },
        { name: 'delay', run: () => new Promise((r) => setTimeout(r, delayMs)) },
        { name: 'inbound', run: async () => inbound?.close() },
        { name: 'http', run: () => app.close() },
        { name: 'worker', run: async () => worker?.stop() },
        { name: 'channels', run: () => channels.close() },
        { name: 'store', run: () => ctx.store.close() },
      ]);
    });
}

interface ServeOptions {
  port?: string;
  host: string;
  inboundSmtp?: string;
  shutdownDelayMs: string;
  testMode?: boolean;
}
