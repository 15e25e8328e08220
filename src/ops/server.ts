// The operations endpoints of a process without the API (`baton worker --ops-port`): /healthz, /readyz and
// /metrics on their own small HTTP server, so an orchestrator can probe and Prometheus can scrape a worker.
import Fastify from 'fastify';
import type { Clock } from '../engine/clock.js';
import type { Store } from '../store/db.js';
import type { Health } from './health.js';
import { registerOps } from './http.js';
import type { BatonMetrics } from './metrics.js';

export async function startOpsServer(opts: {
  store: Store;
  clock: Clock;
  metrics: BatonMetrics;
  health: Health;
  port: number;
  host: string;
}): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  registerOps(
    app,
    { store: opts.store, clock: opts.clock, secret: '', publicUrl: '' },
    { metrics: opts.metrics, health: opts.health },
  );
  await app.listen({ port: opts.port, host: opts.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { port, close: () => app.close() };
}
