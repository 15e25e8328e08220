// The worker's retention pass: for each workspace with `retention.events_days`, one bounded batch of old
// events per tick while there are some, then a pause (`everyMs`) before looking again.
import { workspaceSettings } from '../domain/workspace-settings.js';
import type { Store } from '../store/db.js';
import { pruneOldEvents } from '../store/privacy/retention.js';
import type { Workspace } from '../store/workspaces.repository.js';

export class RetentionJob {
  private readonly nextAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: { everyMs?: number; batchSize?: number } = {},
  ) {}

  /** Events deleted in this workspace at `now` (0 when it keeps events forever or is not due). */
  async run(ws: Workspace, now: number): Promise<number> {
    if ((this.nextAt.get(ws.id) ?? -Infinity) > now) return 0;
    let days: number | null;
    try {
      days = workspaceSettings(ws.settings).retention.events_days;
    } catch {
      return 0;
    }
    if (days === null) return 0;
    const limit = this.options.batchSize ?? 1000;
    const deleted = await pruneOldEvents(this.store, ws.id, days, now, limit);
    // A full batch means more are waiting: come back at the next tick.
    this.nextAt.set(ws.id, deleted === limit ? now : now + (this.options.everyMs ?? 10 * 60_000));
    return deleted;
  }
}
