// Liveness and readiness. `/healthz` answers while the process runs; `/readyz` answers 200 only when this
// process can do its job: the database answers, no migration is pending (an older binary against a newer
// schema, or a store nobody migrated), the worker loop in this process (if any) ticked recently, and the
// process is not shutting down (load balancers stop sending before the HTTP server drains).
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { realClock, type Clock } from '../engine/clock.js';
import type { Store } from '../store/db.js';
import { pendingMigrations } from '../store/migrate.js';

export interface Check {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: Check; migrations: Check; worker: Check; shutdown: Check };
}

export interface HealthOptions {
  /** A worker tick older than this makes the process unready (default 5 minutes: a tick drains up to 20 batches). */
  maxTickAgeMs?: number;
  /** How long the database gets to answer `SELECT 1` (default 2 s). */
  dbTimeoutMs?: number;
  /** Wall clock of liveness (tick ages); the real one by default. */
  clock?: Clock;
}

/** What a process tells its probes: whether it runs a worker, when that worker last ticked, whether it is stopping. */
export class Health {
  private lastTickAt: number | null = null;
  private startedAt: number | null = null;
  private workerAttached = false;
  private stopping = false;

  private readonly clock: Clock;

  constructor(private readonly options: HealthOptions = {}) {
    this.clock = options.clock ?? realClock;
  }

  /** This process runs a worker loop; readiness now requires it to tick. */
  attachWorker(now = this.clock.now()): void {
    this.workerAttached = true;
    this.startedAt = now;
  }

  /** Called after every worker tick. */
  readonly tick = (): void => {
    this.lastTickAt = this.clock.now();
  };

  /** From now on `/readyz` says 503, so the load balancer stops routing here before the server drains. */
  shuttingDown(): void {
    this.stopping = true;
  }

  get isShuttingDown(): boolean {
    return this.stopping;
  }

  async readiness(store: Store, now = this.clock.now()): Promise<Readiness> {
    const database = await this.checkDatabase(store);
    const migrations: Check = database.ok
      ? await pendingMigrations(store).then(
          (p): Check =>
            p.length === 0
              ? { ok: true, detail: 'current' }
              : { ok: false, detail: `${p.length} pending (run \`baton migrate\`): ${p.join(', ')}` },
          (e: unknown): Check => ({ ok: false, detail: `cannot read migrations: ${(e as Error).message}` }),
        )
      : { ok: false, detail: 'database unreachable' };
    const worker = this.checkWorker(now);
    const shutdown: Check = this.stopping
      ? { ok: false, detail: 'shutting down' }
      : { ok: true, detail: 'running' };
    return {
      ready: database.ok && migrations.ok && worker.ok && shutdown.ok,
      checks: { database, migrations, worker, shutdown },
    };
  }

  private async checkDatabase(store: Store): Promise<Check> {
    const timeoutMs = this.options.dbTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const t0 = performance.now();
      await Promise.race([
        sql`SELECT 1`.execute(store.db),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, detail: `${store.dialect} answered in ${Math.round(performance.now() - t0)} ms` };
    } catch (e) {
      return { ok: false, detail: `${store.dialect}: ${(e as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  private checkWorker(now: number): Check {
    if (!this.workerAttached) return { ok: true, detail: 'no worker in this process' };
    const maxAge = this.options.maxTickAgeMs ?? 5 * 60_000;
    const since = this.lastTickAt ?? this.startedAt ?? now;
    const age = now - since;
    if (age > maxAge) {
      return {
        ok: false,
        detail: `${this.lastTickAt === null ? 'no tick yet' : 'last tick'} ${Math.round(age / 1000)} s ago (limit ${Math.round(maxAge / 1000)} s)`,
      };
    }
    return {
      ok: true,
      detail: this.lastTickAt === null ? 'starting' : `last tick ${Math.round(age / 1000)} s ago`,
    };
  }
}
