// Health, readiness, metrics, the rate limit and the body limit, through the real app on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Worker } from '../../src/engine/worker.js';
import { Health } from '../../src/ops/health.js';
import { BatonMetrics } from '../../src/ops/metrics.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { newId } from '../../src/store/ids.js';
import { dialects, newWorkspace } from '../support/stores.js';
import {
  metricSum,
  ownStore,
  parsePrometheus,
  seedDueTouches,
  touchCounts,
  type OwnStore,
} from './ops-support.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const ctxOf = (o: OwnStore) => ({
  store: o.store,
  clock: new SimulatedClock(T0),
  secret: 's'.repeat(40),
  publicUrl: 'http://localhost:4400',
});

describe.each(dialects)('operations endpoints on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('answers /healthz and /readyz with each check when the store is migrated', async () => {
    const app = await buildApp(ctxOf(own));
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const body = ready.json();
    expect(body.ready).toBe(true);
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.migrations).toEqual({ ok: true, detail: 'current' });
    expect(body.checks.worker).toEqual({ ok: true, detail: 'no worker in this process' });
    await app.close();
  });

  it('is not ready on a store nobody migrated, and names the pending migrations', async () => {
    const fresh = await ownStore(dialect, { migrate: false });
    try {
      const app = await buildApp(ctxOf(fresh));
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      const body = r.json();
      expect(body.status).toBe('unready');
      expect(body.checks.database.ok).toBe(true);
      expect(body.checks.migrations.ok).toBe(false);
      expect(body.checks.migrations.detail).toMatch(/pending \(run `baton migrate`\).*-core/);
      // Liveness is not readiness: the process is up.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await app.close();
    } finally {
      await fresh.dispose();
    }
  });

  it('is not ready when the worker in the process stopped ticking, nor once shutdown began', async () => {
    const health = new Health({ maxTickAgeMs: 400 });
    const app = await buildApp(ctxOf(own), { ops: { health } });
    await app.ready();
    health.attachWorker();
    health.tick();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 600));
    const stale = await app.inject({ method: 'GET', url: '/readyz' });
    expect(stale.statusCode).toBe(503);
    expect(stale.json().checks.worker.detail).toMatch(/last tick \d+ s ago/);
    health.tick();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    health.shuttingDown();
    const stopping = await app.inject({ method: 'GET', url: '/readyz' });
    expect(stopping.statusCode).toBe(503);
    expect(stopping.json().checks.shutdown).toEqual({ ok: false, detail: 'shutting down' });
    await app.close();
  });

  it('counts a worker tick in /metrics: queue gauges before, send counters after, matching the database', async () => {
    const ws = await newWorkspace(own.store, T0);
    const campaign = await seedDueTouches(own.store, ws, 30, T0);
    const clock = new SimulatedClock(T0 + 90_000);
    const metrics = new BatonMetrics({ store: own.store, clock, queueCacheMs: 0, processMetrics: false });
    const app = await buildApp(ctxOf(own), { ops: { metrics } });

    const before = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(
      metricSum(before, 'baton_touches', { workspace: ws, campaign, status: 'planned', channel: 'log' }),
    ).toBe(30);
    // The touches were due at T0 and the clock says T0 + 90 s: 30 due, the oldest waiting 90 s.
    expect(metricSum(before, 'baton_queue_depth')).toBe(30);
    expect(metricSum(before, 'baton_queue_lag_seconds')).toBe(90);
    expect(metricSum(before, 'baton_touches_total', { campaign })).toBe(0);

    const channels = new ChannelRegistry().register(new LogChannel(own.store, 'log'));
    const worker = new Worker(own.store, metrics.instrument(channels), clock, {
      workerId: 'ops-test',
      batchSize: 7,
      onTick: metrics.onTick,
    });
    await worker.tick();

    const after = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const counts = await touchCounts(own.store, ws);
    expect(counts).toEqual({ sent: 30 });
    const log = await own.store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(log.n)).toBe(30);
    expect(
      metricSum(after, 'baton_touches_total', { workspace: ws, campaign, channel: 'log', outcome: 'sent' }),
    ).toBe(counts.sent);
    expect(metricSum(after, 'baton_dispatch_touches_total', { outcome: 'claimed' })).toBe(30);
    expect(metricSum(after, 'baton_dispatch_touches_total', { outcome: 'sent' })).toBe(30);
    expect(metricSum(after, 'baton_worker_ticks_total')).toBe(1);
    // 30 touches in batches of 7: five channel sends timed.
    expect(metricSum(after, 'baton_send_duration_seconds_count', { channel: 'log' })).toBe(5);
    expect(metricSum(after, 'baton_touches', { workspace: ws, status: 'planned' })).toBe(0);
    expect(metricSum(after, 'baton_store_up')).toBe(1);
    expect(metricSum(after, 'baton_queue_depth')).toBe(0);
    expect(metricSum(after, 'baton_queue_lag_seconds')).toBe(0);
    // The scrapes themselves were timed by route.
    expect(metricSum(after, 'baton_http_request_duration_seconds_count', { route: '/metrics' })).toBe(1);
    await app.close();
  });

  it('counts dispatched and planned touches by campaign and channel, matching the database', async () => {
    const ws = await newWorkspace(own.store, T0);
    const campaign = await seedDueTouches(own.store, ws, 12, T0, { followUp: true });
    const other = await seedDueTouches(own.store, ws, 5, T0);
    const clock = new SimulatedClock(T0 + 60_000);
    const metrics = new BatonMetrics({ store: own.store, clock, queueCacheMs: 0, processMetrics: false });
    const app = await buildApp(ctxOf(own), { ops: { metrics } });
    const channels = new ChannelRegistry().register(new LogChannel(own.store, 'log'));
    const worker = new Worker(own.store, metrics.instrument(channels), clock, {
      workerId: 'ops-test-campaigns',
      batchSize: 4,
      onTick: metrics.onTick,
      onTouch: metrics.onTouch,
    });
    await worker.tick();

    const samples = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    const byStatus = async (c: string) =>
      Object.fromEntries(
        (
          await own.store.db
            .selectFrom('touches')
            .select(['status', (eb) => eb.fn.countAll().as('n')])
            .where('workspace_id', '=', ws)
            .where('campaign_id', '=', c)
            .groupBy('status')
            .execute()
        ).map((r) => [r.status, Number(r.n)]),
      );
    // The first steps went out; the follow-up campaign's second steps wait a day.
    expect(await byStatus(campaign)).toEqual({ sent: 12, planned: 12 });
    expect(await byStatus(other)).toEqual({ sent: 5 });
    const dispatched = (c: string, outcome: string) =>
      metricSum(samples, 'baton_dispatch_campaign_touches_total', {
        workspace: ws,
        campaign: c,
        channel: 'log',
        outcome,
      });
    expect(dispatched(campaign, 'claimed')).toBe(12);
    expect(dispatched(campaign, 'sent')).toBe(12);
    expect(dispatched(other, 'claimed')).toBe(5);
    expect(dispatched(other, 'sent')).toBe(5);
    const planned = (c: string) =>
      metricSum(samples, 'baton_touches_planned_total', { workspace: ws, campaign: c, channel: 'log' });
    expect(planned(campaign)).toBe(12);
    expect(planned(other)).toBe(0);
    // The per-campaign counters add up to the per-outcome totals of the same ticks.
    expect(metricSum(samples, 'baton_dispatch_campaign_touches_total', { outcome: 'sent' })).toBe(
      metricSum(samples, 'baton_dispatch_touches_total', { outcome: 'sent' }),
    );
    await app.close();
  });

  it('reports the last 24 hours of email sent, bounced and complained per workspace (the alert ratios)', async () => {
    const ws = await newWorkspace(own.store, T0);
    const ev = (type: string, at: number, channel: string | null) => ({
      id: newId('ev', at),
      workspace_id: ws,
      type,
      occurred_at: at,
      received_at: at,
      properties: '{}',
      channel,
    });
    await own.store.db
      .insertInto('events')
      .values([
        ...Array.from({ length: 5 }, (_, i) => ev('sent', T0 - i * 60_000, 'email')),
        ev('sent', T0, 'task'), // not email
        ev('sent', T0 - 25 * 3600_000, 'email'), // older than a day
        ev('bounced', T0 - 3600_000, 'email'),
        ev('complained', T0 - 7200_000, null),
      ])
      .execute();
    const metrics = new BatonMetrics({
      store: own.store,
      clock: new SimulatedClock(T0),
      processMetrics: false,
    });
    const app = await buildApp(ctxOf(own), { ops: { metrics } });
    const samples = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metricSum(samples, 'baton_email_events_24h', { workspace: ws, type: 'sent' })).toBe(5);
    expect(metricSum(samples, 'baton_email_events_24h', { workspace: ws, type: 'bounced' })).toBe(1);
    expect(metricSum(samples, 'baton_email_events_24h', { workspace: ws, type: 'complained' })).toBe(1);
    await app.close();
  });

  it('counts ingested events by route, matching the rows stored', async () => {
    const ws = await newWorkspace(own.store, T0);
    const { key } = await new ApiKeysRepository(own.store).create(
      ws,
      { kind: 'ingest', scopes: ['ingest'] },
      T0,
    );
    const metrics = new BatonMetrics({ store: own.store, processMetrics: false });
    const app = await buildApp(ctxOf(own), { ops: { metrics } });
    const authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    const track = (n: number) => ({
      type: 'track',
      event: 'Demo Requested',
      userId: `u${n}`,
      messageId: `m${n}`,
    });
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization },
      payload: { batch: [track(1), track(2), track(3)] },
    });
    expect(batch.statusCode).toBe(200);
    const one = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization },
      payload: track(4),
    });
    expect(one.statusCode).toBe(200);
    // A repeated messageId is stored once, and counted once.
    const again = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization },
      payload: track(4),
    });
    expect(again.statusCode).toBe(200);
    const samples = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metricSum(samples, 'baton_events_ingested_total', { route: '/v1/batch' })).toBe(3);
    expect(metricSum(samples, 'baton_events_ingested_total', { route: '/v1/track' })).toBe(1);
    const stored = await own.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('type', '=', 'Demo Requested')
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(metricSum(samples, 'baton_events_ingested_total'));
    await app.close();
  });

  it('rate-limits /api/v1 per API key with 429, Retry-After and the JSON error body', async () => {
    const ws = await newWorkspace(own.store, T0);
    const keys = new ApiKeysRepository(own.store);
    const a = `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['read'] }, T0)).key}`;
    const b = `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['read'] }, T0)).key}`;
    const metrics = new BatonMetrics({ store: own.store, processMetrics: false });
    const window = { max: 3, windowMs: 60_000 };
    const app = await buildApp(ctxOf(own), {
      ops: { metrics },
      rateLimit: {
        api: { perKey: window, perIp: false },
        ingest: { perKey: false, perIp: window },
        tracking: { perIp: false },
        clock: new SimulatedClock(T0),
      },
    });
    const get = (auth: string) =>
      app.inject({ method: 'GET', url: '/api/v1/contacts', headers: { authorization: auth } });
    for (let i = 0; i < 3; i++) expect((await get(a)).statusCode).toBe(200);
    const limited = await get(a);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.json().error.message).toMatch(/retry after 60 s/);
    // Another key has its own bucket; routes outside /api/v1 and /v1 are never limited.
    expect((await get(b)).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // Requests without credentials are limited by address (the ingestion endpoints answer 401 meanwhile).
    const anon = () => app.inject({ method: 'POST', url: '/v1/track', payload: {} });
    for (let i = 0; i < 3; i++) expect((await anon()).statusCode).not.toBe(429);
    expect((await anon()).statusCode).toBe(429);
    const samples = parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(
      metricSum(samples, 'baton_http_request_duration_seconds_count', {
        route: '/api/v1/contacts',
        status_code: '429',
      }),
    ).toBe(1);
    await app.close();
  });

  it('refuses a body over the limit with 413 and the JSON error body', async () => {
    const app = await buildApp(ctxOf(own));
    const r = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ batch: [{ type: 'track', event: 'x', pad: 'x'.repeat(1_100_000) }] }),
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
    await app.close();
  });
});
