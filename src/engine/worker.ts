// The worker loop: moves campaigns through time (start at window.start, complete at window.end), enrolls
// dynamic audiences, processes incoming events, and drains due touches. One tick is a pure function of
// the store and `clock.now()`, so the same loop runs on the real clock (`baton worker`, `baton serve`) and
// on the simulated one (`baton demo`, forecasts, tests).
import type { ChannelRegistry } from '../channels/channel.js';
import { campaignWindow } from '../domain/campaign.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import { tickLifecycle } from '../store/campaigns/lifecycle.js';
import type { Store } from '../store/db.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { decideAutoWinners, nextAutoWinnerAt } from './auto-winner.js';
import { enrollAudience, engineTickHooks } from './campaign-hooks.js';
import type { Clock } from './clock.js';
import { Dispatcher, type BatchStats, type TouchCounter } from './dispatcher.js';
import { AudiencePushJob, type AudiencePushOptions } from '../channels/ads/audience-push.js';
import { SocialChannel } from '../channels/social.channel.js';
import { nextPostDueAt } from '../store/social-posts.repository.js';
import { PartitionJob } from './partition-job.js';
import { RetentionJob } from './retention-job.js';
import { nextTaskExpiry, tickTasks } from './tasks.js';
import { nextStageRecheckAt } from './journey-pass.js';

export type EventProcessor = (store: Store, now: number) => Promise<unknown>;

export interface WorkerOptions {
  workerId: string;
  batchSize?: number;
  leaseMs?: number;
  /** Real-clock loop: pause between ticks when nothing was due. */
  idleMs?: number;
  /** How often dynamic audiences are re-evaluated for new members. */
  dynamicEnrollEveryMs?: number;
  processEvents?: EventProcessor;
  /** Called after each tick (metrics, progress bars). */
  onTick?: (stats: TickStats) => void;
  /** Called for each touch the dispatcher counts, with its campaign and channel (metrics). */
  onTouch?: TouchCounter;
  /**
   * Called when one workspace's lifecycle pass or one campaign's dynamic enrollment fails; the tick goes
   * on with the others. Logs to stderr when not given.
   */
  onError?: (failure: TickFailure) => void;
  /**
   * Ads audiences with a push endpoint get their delta POSTed (signed with the instance secret's derived
   * workspace secret); without this option nothing is pushed (simulations, tests of other passes).
   */
  audiencePush?: AudiencePushOptions;
}

/** A pass of a tick that failed for one workspace or campaign while the rest of the tick went on. */
export interface TickFailure {
  pass: 'lifecycle' | 'dynamic_enrollment' | 'audience_push';
  workspaceId: string;
  campaignId?: string;
  audienceId?: string;
  error: unknown;
}

export interface TickStats extends BatchStats {
  now: number;
  lifecycleChanges: number;
  enrolled: number;
  /** Auto-winner tests decided in this tick. */
  decided: number;
  /** Lifecycle passes (per workspace) and dynamic enrollments (per campaign) that failed in this tick. */
  failures: number;
}

export class Worker {
  readonly dispatcher: Dispatcher;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastDynamic = new Map<string, number>();
  private readonly retention: RetentionJob;
  private readonly partitions: PartitionJob;
  private readonly audiencePush: AudiencePushJob | null;

  constructor(
    private readonly store: Store,
    private readonly channels: ChannelRegistry,
    private readonly clock: Clock,
    private readonly options: WorkerOptions,
  ) {
    this.dispatcher = new Dispatcher(store, channels, {
      workerId: options.workerId,
      batchSize: options.batchSize,
      leaseMs: options.leaseMs,
      onTouch: options.onTouch,
    });
    this.retention = new RetentionJob(store);
    this.partitions = new PartitionJob(store);
    this.audiencePush = options.audiencePush ? new AudiencePushJob(store, options.audiencePush) : null;
  }

  /** One pass at the clock's current time. */
  async tick(): Promise<TickStats> {
    const now = this.clock.now();
    let lifecycleChanges = 0;
    let enrolled = 0;
    const failures: TickFailure[] = [];
    const workspaces = await new WorkspacesRepository(this.store).list();
    for (const ws of workspaces) {
      // One workspace's or campaign's failure (a deleted list it still names, say) is reported and
      // skipped: events, posts, tasks and the touches of every other campaign must not wait on it.
      try {
        lifecycleChanges += (await tickLifecycle(this.store, ws.id, now, engineTickHooks)).length;
      } catch (error) {
        failures.push({ pass: 'lifecycle', workspaceId: ws.id, error });
      }
      enrolled += await this.enrollDynamic(ws.id, now, failures);
      await this.retention.run(ws, now);
    }
    // Pushed ads audiences whose interval has passed send their changes; each failure stays on its audience.
    if (this.audiencePush) {
      await this.audiencePush.run(now, (push, error) =>
        failures.push({
          pass: 'audience_push',
          workspaceId: push.workspaceId,
          audienceId: push.audienceId,
          error,
        }),
      );
    }
    for (const f of failures) this.reportFailure(f);
    await this.partitions.run(workspaces, now);
    if (this.options.processEvents) await this.options.processEvents(this.store, now);
    // Campaign social posts due now are published (once each) through their accounts' webhooks.
    const social = this.channels.get('social');
    if (social instanceof SocialChannel) await social.publishDue(now);
    // Auto-winner tests whose time has come are decided on the events just processed, and their held
    // touches released before this tick's drain.
    let decided = 0;
    for (const ws of workspaces) decided += (await decideAutoWinners(this.store, ws.id, now)).length;
    await tickTasks(this.store, now);
    // On the real-clock loop, `stop()` ends the drain after the batch in flight (graceful shutdown).
    const batch = this.loop
      ? await this.dispatcher.drain(now, 20, () => this.running)
      : await this.dispatcher.drain(now);
    const stats = { ...batch, now, lifecycleChanges, enrolled, decided, failures: failures.length };
    this.options.onTick?.(stats);
    return stats;
  }

  /**
   * The next instant at which a tick would have work: a due touch, a campaign window boundary, a
   * dynamic audience refresh, a journey stage's time window elapsing. Simulations jump straight there instead of ticking through quiet hours.
   */
  async nextWakeAt(now: number): Promise<number> {
    let next = Infinity;
    const due = await this.store.db
      .selectFrom('touches')
      .select((eb) => eb.fn.min('due_at').as('t'))
      .where('status', '=', 'planned')
      .executeTakeFirst();
    if (due?.t !== null && due?.t !== undefined) next = Math.min(next, Number(due.t));
    next = Math.min(next, (await nextPostDueAt(this.store.db)) ?? Infinity);
    next = Math.min(next, (await nextTaskExpiry(this.store)) ?? Infinity);
    const every = this.options.dynamicEnrollEveryMs ?? 15 * 60_000;
    for (const ws of await new WorkspacesRepository(this.store).list()) {
      next = Math.min(next, await nextAutoWinnerAt(this.store, ws.id));
      // A time window in a journey stage's criteria elapses (the journey pass sweeps it).
      next = Math.min(next, (await nextStageRecheckAt(this.store, ws.id)) ?? Infinity);
      const live = await new CampaignsRepository(this.store).list(ws.id, {
        statuses: ['scheduled', 'running', 'paused'],
      });
      for (const c of live) {
        const w = campaignWindow(c.spec);
        if (c.status === 'scheduled' && w) next = Math.min(next, w.start);
        if (c.status !== 'scheduled' && w?.end != null) next = Math.min(next, w.end);
        const dynamic = c.kind === 'always-on' || c.spec.audience?.enrollment === 'dynamic';
        if (dynamic && c.status === 'running') {
          next = Math.min(
            next,
            (this.lastDynamic.get(`${ws.id}\u0000${c.id}`) ?? c.launchedAt ?? now) + every,
          );
        }
      }
    }
    return Math.max(next, now);
  }

  /** Dynamic and always-on audiences: new members are enrolled as they qualify. */
  private async enrollDynamic(workspaceId: string, now: number, failures: TickFailure[]): Promise<number> {
    const every = this.options.dynamicEnrollEveryMs ?? 15 * 60_000;
    let n = 0;
    const running = await new CampaignsRepository(this.store).list(workspaceId, { statuses: ['running'] });
    for (const c of running) {
      const dynamic = c.kind === 'always-on' || c.spec.audience?.enrollment === 'dynamic';
      if (!dynamic) continue;
      const key = `${workspaceId}\u0000${c.id}`;
      const last = this.lastDynamic.get(key) ?? c.launchedAt ?? 0;
      if (now - last < every) continue;
      // Marked before the attempt: a campaign that fails is retried at its next refresh, not every tick.
      this.lastDynamic.set(key, now);
      try {
        n += (await enrollAudience(this.store, c, now)).enrolled;
      } catch (error) {
        failures.push({ pass: 'dynamic_enrollment', workspaceId, campaignId: c.id, error });
      }
    }
    return n;
  }

  private reportFailure(f: TickFailure): void {
    if (this.options.onError) {
      this.options.onError(f);
      return;
    }
    const where = f.campaignId
      ? `campaign ${f.campaignId} in workspace ${f.workspaceId}`
      : f.audienceId
        ? `audience ${f.audienceId} in workspace ${f.workspaceId}`
        : `workspace ${f.workspaceId}`;
    const why = f.error instanceof Error ? f.error.message : String(f.error);
    console.error(`baton worker ${this.options.workerId}: ${f.pass} failed for ${where}: ${why}`);
  }

  /** Runs ticks on the real clock until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let stats: TickStats | null = null;
        try {
          stats = await this.tick();
        } catch (e) {
          console.error(`baton worker ${this.options.workerId}: tick failed: ${(e as Error).message}`);
        }
        if (!this.running) break;
        // Keep going while there is work; otherwise sleep, unless woken up.
        if (!stats || stats.claimed === 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.options.idleMs ?? 1000);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
        } else {
          // Busy: still let timers, signals (SIGTERM) and HTTP in. better-sqlite3 answers synchronously,
          // so without this a draining worker would starve its own process until the queue is empty.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    })();
  }

  /** Stops claiming, lets the batch in flight finish and record, then returns. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.audiencePush?.close();
  }
}
