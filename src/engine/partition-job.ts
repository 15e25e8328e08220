// The worker's partition pass (PostgreSQL, decision 0021): once an hour of the worker's clock, the monthly
// partitions of `events` for this month and the next ones are created if missing, and the months whose every
// event has expired under the workspaces' `retention.events_days` are dropped whole. On SQLite it does
// nothing. A pass that cannot get its lock in time (a long query on `events`) is tried again at the next tick.
import { workspaceSettings } from '../domain/workspace-settings.js';
import type { Store } from '../store/db.js';
import { ensureEventPartitions } from '../store/event-partitions.js';
import { dropExpiredEventPartitions } from '../store/privacy/retention.js';
import type { Workspace } from '../store/workspaces.repository.js';

const DAY = 86_400_000;

export interface PartitionPass {
  created: string[];
  dropped: string[];
}

export class PartitionJob {
  private nextAt = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly options: { everyMs?: number } = {},
  ) {}

  async run(workspaces: readonly Workspace[], now: number): Promise<PartitionPass> {
    if (this.store.dialect !== 'postgres' || this.nextAt > now) return { created: [], dropped: [] };
    try {
      const created = await ensureEventPartitions(this.store.db, now);
      const cutoffs = new Map<string, number>();
      for (const ws of workspaces) {
        let days: number | null;
        try {
          days = workspaceSettings(ws.settings).retention.events_days;
        } catch {
          continue;
        }
        if (days !== null) cutoffs.set(ws.id, now - days * DAY);
      }
      const dropped = cutoffs.size > 0 ? await dropExpiredEventPartitions(this.store, cutoffs) : [];
      this.nextAt = now + (this.options.everyMs ?? 3_600_000);
      return { created, dropped };
    } catch (e) {
      if ((e as { code?: string }).code === '55P03') return { created: [], dropped: [] }; // lock_not_available
      throw e;
    }
  }
}
