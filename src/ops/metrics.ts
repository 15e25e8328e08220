// Prometheus metrics of one Baton process (prom-client, one registry per process so tests and several apps
// in one process never collide). Counters move as the process works (worker ticks, channel sends, HTTP
// requests, ingested events); the queue gauges come from one cheap grouped query, cached for a few seconds,
// run when Prometheus scrapes. docs/operations.md says what each one means and which alerts to set.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ChannelRegistry, type Channel, type OutboundMessage, type SendResult } from '../channels/channel.js';
import { realClock, type Clock } from '../engine/clock.js';
import type { TouchCount } from '../engine/dispatcher.js';
import type { TickStats } from '../engine/worker.js';
import type { Store } from '../store/db.js';

/** Outcomes a worker tick reports, as the `outcome` label of baton_dispatch_touches_total. */
const TICK_OUTCOMES = ['claimed', 'sent', 'deferred', 'skipped', 'cancelled', 'failed', 'retried'] as const;

export interface MetricsOptions {
  /** Store whose queue the gauges describe (omit for a process without one). */
  store?: Store;
  /** The clock that decides what is due (the process's clock; the real one by default). */
  clock?: Clock;
  /** How long one queue query answers every scrape (default 15 s: it reads every waiting touch). */
  queueCacheMs?: number;
  /** How long the 24-hour email outcome counts answer every scrape (default 60 s). */
  deliveryCacheMs?: number;
  /** Node process metrics (CPU, memory, event loop lag); on by default. */
  processMetrics?: boolean;
}

type Labels<K extends string> = Partial<Record<K, string | number>>;

export class BatonMetrics {
  readonly registry = new Registry();
  readonly dispatchTouches: Counter<'outcome'>;
  readonly leaseExpiries: Counter;
  readonly tickFailures: Counter;
  readonly ticks: Counter;
  readonly lastTick: Gauge;
  readonly channelTouches: Counter<'workspace' | 'campaign' | 'channel' | 'outcome'>;
  readonly sendDuration: Histogram<'channel'>;
  readonly smtpResponses: Counter<'class'>;
  readonly eventsIngested: Counter<'route'>;
  readonly dispatchByCampaign: Counter<'workspace' | 'campaign' | 'channel' | 'outcome'>;
  readonly touchesPlanned: Counter<'workspace' | 'campaign' | 'channel'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly touchesByStatus: Gauge<'workspace' | 'campaign' | 'channel' | 'status'>;
  readonly queueDepth: Gauge;
  readonly queueLag: Gauge;
  readonly storeUp: Gauge;
  readonly emailLastDay: Gauge<'workspace' | 'type'>;
  private deliveryAt = -Infinity;
  private deliveryRun: Promise<void> | null = null;
  private queueAt = -Infinity;
  private queueRun: Promise<void> | null = null;

  constructor(private readonly options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'baton_' });
    this.dispatchTouches = new Counter({
      name: 'baton_dispatch_touches_total',
      help: "Touches handled by this process's worker ticks, by outcome (claimed, sent, deferred, skipped, cancelled, failed, retried).",
      labelNames: ['outcome'],
      registers,
    });
    for (const o of TICK_OUTCOMES) this.dispatchTouches.inc({ outcome: o }, 0);
    this.dispatchByCampaign = new Counter({
      name: 'baton_dispatch_campaign_touches_total',
      help: "Touches handled by this process's worker ticks, by workspace, campaign, channel and outcome (claimed, sent, deferred, skipped, cancelled, failed, retried).",
      labelNames: ['workspace', 'campaign', 'channel', 'outcome'],
      registers,
    });
    this.touchesPlanned = new Counter({
      name: 'baton_touches_planned_total',
      help: "Next steps planned by this process's dispatcher as earlier steps were performed, by workspace, campaign and channel (first steps are planned at enrollment; baton_touches gives every status).",
      labelNames: ['workspace', 'campaign', 'channel'],
      registers,
    });
    this.leaseExpiries = new Counter({
      name: 'baton_lease_expiries_total',
      help: 'Claimed touches whose lease expired (a worker died mid-batch) and went back to planned.',
      registers,
    });
    this.tickFailures = new Counter({
      name: 'baton_worker_failures_total',
      help: "Passes of a worker tick that failed for one campaign, workspace or ads audience (a running campaign's dynamic enrollment, a workspace's lifecycle moves, an audience's push) while the rest of the tick went on.",
      registers,
    });
    this.ticks = new Counter({
      name: 'baton_worker_ticks_total',
      help: 'Worker ticks completed.',
      registers,
    });
    this.lastTick = new Gauge({
      name: 'baton_worker_last_tick_timestamp_seconds',
      help: 'Wall-clock time of the last completed worker tick (0: no worker in this process).',
      registers,
    });
    this.channelTouches = new Counter({
      name: 'baton_touches_total',
      help: 'Touches handed to a channel, by workspace, campaign, channel and result (sent, failed, retry).',
      labelNames: ['workspace', 'campaign', 'channel', 'outcome'],
      registers,
    });
    this.sendDuration = new Histogram({
      name: 'baton_send_duration_seconds',
      help: 'Time one channel takes to send one batch of touches.',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.smtpResponses = new Counter({
      name: 'baton_smtp_responses_total',
      help: 'SMTP outcomes of email touches by class: 2xx accepted, 4xx temporary, 5xx permanent, connection (no reply).',
      labelNames: ['class'],
      registers,
    });
    this.eventsIngested = new Counter({
      name: 'baton_events_ingested_total',
      help: 'Events stored by the ingestion endpoints (/v1/*), by route (repeated messageIds are not counted).',
      labelNames: ['route'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'baton_http_request_duration_seconds',
      help: 'HTTP request durations by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    const refresh = async (): Promise<void> => this.refreshQueue();
    this.touchesByStatus = new Gauge({
      name: 'baton_touches',
      help: 'Touches waiting in the queue now (planned) or being sent (claimed), by workspace, campaign and channel.',
      labelNames: ['workspace', 'campaign', 'channel', 'status'],
      registers,
      collect: refresh,
    });
    this.queueDepth = new Gauge({
      name: 'baton_queue_depth',
      help: 'Planned touches already due (due_at <= now): work the workers have not claimed yet.',
      registers,
      collect: refresh,
    });
    this.queueLag = new Gauge({
      name: 'baton_queue_lag_seconds',
      help: 'Age of the oldest due planned touch (0 when nothing is due): how far behind the workers are.',
      registers,
      collect: refresh,
    });
    this.storeUp = new Gauge({
      name: 'baton_store_up',
      help: '1 when the last queue query succeeded, 0 when the database did not answer.',
      registers,
      collect: refresh,
    });
    this.emailLastDay = new Gauge({
      name: 'baton_email_events_24h',
      help: 'Email outcomes recorded in the last 24 hours by workspace and type (sent, bounced, complained): the bounce and complaint rates.',
      labelNames: ['workspace', 'type'],
      registers,
      collect: async () => this.refreshDelivery(),
    });
  }

  /** The worker's `onTick`: counts what the tick did. */
  readonly onTick = (stats: TickStats): void => {
    for (const o of TICK_OUTCOMES) if (stats[o] > 0) this.dispatchTouches.inc({ outcome: o }, stats[o]);
    if (stats.reclaimed > 0) this.leaseExpiries.inc(stats.reclaimed);
    if (stats.failures > 0) this.tickFailures.inc(stats.failures);
    this.ticks.inc();
    this.lastTick.set(realClock.now() / 1000);
  };

  /** The worker's `onTouch`: counts one touch by its campaign and channel. */
  readonly onTouch = (
    what: TouchCount,
    t: { workspace_id: string; campaign_id: string; channel: string },
  ): void => {
    const labels = { workspace: t.workspace_id, campaign: t.campaign_id, channel: t.channel };
    if (what === 'planned') this.touchesPlanned.inc(labels);
    else this.dispatchByCampaign.inc({ ...labels, outcome: what });
  };

  /** The same channels, each send timed and its results counted. */
  instrument(channels: ChannelRegistry): ChannelRegistry {
    return new TimedRegistry(channels, this);
  }

  recordSend(channel: string, batch: OutboundMessage[], results: SendResult[], seconds: number): void {
    this.sendDuration.observe({ channel }, seconds);
    batch.forEach((m, i) => {
      const r = results[i];
      if (!r) return;
      const outcome = r.status === 'sent' ? 'sent' : r.status === 'retry' ? 'retry' : 'failed';
      this.channelTouches.inc({ workspace: m.workspaceId, campaign: m.campaignId, channel, outcome });
      if (channel === 'email') this.smtpResponses.inc({ class: smtpClass(r) });
    });
  }

  recordHttp(labels: Labels<'method' | 'route' | 'status_code'>, seconds: number): void {
    this.httpDuration.observe(labels, seconds);
  }

  /** Prometheus text exposition of every metric of this process. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refreshQueue(): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    if (this.queueRun) return this.queueRun;
    if (performance.now() - this.queueAt < (this.options.queueCacheMs ?? 15_000)) return;
    this.queueRun = this.queryQueue(store).finally(() => {
      this.queueAt = performance.now();
      this.queueRun = null;
    });
    return this.queueRun;
  }

  private async refreshDelivery(): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    if (this.deliveryRun) return this.deliveryRun;
    if (performance.now() - this.deliveryAt < (this.options.deliveryCacheMs ?? 60_000)) return;
    this.deliveryRun = this.queryDelivery(store)
      .catch(() => undefined)
      .finally(() => {
        this.deliveryAt = performance.now();
        this.deliveryRun = null;
      });
    return this.deliveryRun;
  }

  /** Per workspace, one range count per type on events (workspace_id, type, occurred_at). */
  private async queryDelivery(store: Store): Promise<void> {
    const since = (this.options.clock ?? realClock).now() - 24 * 3600_000;
    const workspaces = await store.db.selectFrom('workspaces').select('id').execute();
    this.emailLastDay.reset();
    for (const { id } of workspaces) {
      for (const type of ['sent', 'bounced', 'complained'] as const) {
        let q = store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', id)
          .where('type', '=', type)
          .where('occurred_at', '>=', since);
        if (type === 'sent') q = q.where('channel', '=', 'email');
        const r = await q.executeTakeFirst();
        this.emailLastDay.set({ workspace: id, type }, Number(r?.n ?? 0));
      }
    }
  }

  private async queryQueue(store: Store): Promise<void> {
    const now = (this.options.clock ?? realClock).now();
    try {
      const groups = await store.db
        .selectFrom('touches')
        .select((eb) => ['workspace_id', 'campaign_id', 'channel', 'status', eb.fn.countAll().as('n')])
        .where('status', 'in', ['planned', 'claimed'])
        .groupBy(['workspace_id', 'campaign_id', 'channel', 'status'])
        .execute();
      const due = await store.db
        .selectFrom('touches')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('due_at').as('oldest')])
        .where('status', '=', 'planned')
        .where('due_at', '<=', now)
        .executeTakeFirst();
      this.touchesByStatus.reset();
      for (const g of groups) {
        this.touchesByStatus.set(
          { workspace: g.workspace_id, campaign: g.campaign_id, channel: g.channel, status: g.status },
          Number(g.n),
        );
      }
      const oldest = due?.oldest == null ? null : Number(due.oldest);
      this.queueDepth.set(Number(due?.n ?? 0));
      this.queueLag.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
      this.storeUp.set(1);
    } catch {
      this.storeUp.set(0);
    }
  }
}

/** A registry whose channels are timed wrappers of the real ones; `close` closes the real ones. */
class TimedRegistry extends ChannelRegistry {
  private readonly timed = new Map<string, TimedChannel>();
  constructor(
    private readonly inner: ChannelRegistry,
    private readonly metrics: BatonMetrics,
  ) {
    super();
  }

  override register(channel: Channel): this {
    this.inner.register(channel);
    return this;
  }

  override get(name: string): Channel | undefined {
    const real = this.inner.get(name);
    if (!real) return undefined;
    let t = this.timed.get(name);
    if (!t || t.inner !== real) {
      t = new TimedChannel(real, this.metrics);
      this.timed.set(name, t);
    }
    return t;
  }

  override async close(): Promise<void> {
    await this.inner.close();
  }
}

class TimedChannel implements Channel {
  readonly name: string;
  constructor(
    readonly inner: Channel,
    private readonly metrics: BatonMetrics,
  ) {
    this.name = inner.name;
  }

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const t0 = process.hrtime.bigint();
    const results = await this.inner.send(batch);
    this.metrics.recordSend(this.name, batch, results, Number(process.hrtime.bigint() - t0) / 1e9);
    return results;
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** The SMTP reply class of an email result: errors start with the reply code (src/channels/email/smtp-outcome.ts). */
export function smtpClass(r: SendResult): '2xx' | '4xx' | '5xx' | 'connection' {
  if (r.status === 'sent') return '2xx';
  const code = /^([245])\d\d\b/.exec(r.error)?.[1];
  if (code === '5' || (code === undefined && r.status === 'failed' && r.bounce === 'hard')) return '5xx';
  if (code === '4') return '4xx';
  return 'connection';
}
