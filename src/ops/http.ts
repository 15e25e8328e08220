// The operations surface of the HTTP app: /healthz, /readyz, /metrics and HTTP request metrics. Registered
// by buildApp before any route, so its hooks see every request (rate limits: src/ops/rate-limit.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../api/context.js';
import { Health } from './health.js';
import { BatonMetrics } from './metrics.js';

export interface OpsOptions {
  /** The process's metrics (shared with its worker); a fresh registry when absent. */
  metrics?: BatonMetrics;
  /** The process's probes (shared with its worker and shutdown); a fresh one when absent. */
  health?: Health;
}

const INGEST = /^\/v1\//;

export function registerOps(app: FastifyInstance, ctx: AppContext, options: OpsOptions = {}): void {
  // Process metrics (GC observers) only where the caller owns the process: serve and worker pass their own.
  const metrics =
    options.metrics ?? new BatonMetrics({ store: ctx.store, clock: ctx.clock, processMetrics: false });
  const health = options.health ?? new Health();

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.recordHttp(
      { method: req.method, route, status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  // Ingestion answers `{ success, stored, duplicates }`: count what was stored (repeats are not new events).
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const route = req.routeOptions.url;
    if (route && INGEST.test(route) && reply.statusCode === 200 && typeof payload === 'string') {
      try {
        const stored = (JSON.parse(payload) as { stored?: unknown }).stored;
        if (typeof stored === 'number' && stored > 0) metrics.eventsIngested.inc({ route }, stored);
      } catch {
        // not the ingestion answer: nothing to count
      }
    }
    return payload;
  });

  const hidden = { schema: { hide: true } };
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_req, reply) => {
    const r = await health.readiness(ctx.store);
    return reply.status(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'unready', ...r });
  });
  app.get('/metrics', hidden, async (_req, reply) =>
    reply.header('content-type', metrics.contentType).send(await metrics.text()),
  );
}
