// Event retention on both stores: the worker deletes a workspace's events older than
// `retention.events_days`, a bounded batch at a time and only once the event processor has read them;
// recent events and other workspaces' events stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { RetentionJob } from '../../src/engine/retention-job.js';
import { Worker } from '../../src/engine/worker.js';
import { appendEvents, type NewEvent } from '../../src/store/events.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const DAY = 86_400_000;
const NOW = Date.parse('2027-03-01T12:00:00Z');

function events(ws: string, n: number, daysAgo: number, type: string): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    workspaceId: ws,
    type,
    occurredAt: NOW - daysAgo * DAY - i * 1000,
    receivedAt: NOW - daysAgo * DAY,
    contactId: `con_retention_${i}`,
    properties: { page: `/p/${i}` },
  }));
}

describe('retention setting', () => {
  it('is a whole number of days, or null to keep events for ever', () => {
    expect(workspaceSettings({}).retention).toEqual({ events_days: null });
    expect(workspaceSettings({ retention: { events_days: 90 } }).retention).toEqual({ events_days: 90 });
    expect(() => workspaceSettings({ retention: { events_days: 0 } })).toThrow(
      'must be a whole number of days, at least 1',
    );
    expect(() => workspaceSettings({ retention: { events_days: 1.5 } })).toThrow();
  });
});

describe.each(dialects)('event retention (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  const count = async (ws: string, type: string) =>
    Number(
      (
        await store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws)
          .where('type', '=', type)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('deletes events older than the workspace keeps them, in bounded batches, after they are processed', async () => {
    const ws = await newWorkspace(store);
    const keepAll = await newWorkspace(store);
    await new WorkspacesRepository(store).updateSettings(ws, { retention: { events_days: 30 } });
    await appendEvents(store.db, [
      ...events(ws, 120, 45, 'old_view'),
      ...events(ws, 7, 29, 'recent_view'),
      ...events(keepAll, 20, 400, 'old_view'),
    ]);
    await processEvents(store, NOW);
    // Arrived after the processor's last pass: kept until it has been read. The PostgreSQL database is shared
    // with test files whose workers run the processor at any moment, so only SQLite can hold it unread.
    await appendEvents(store.db, events(ws, 3, 60, 'late_view'));
    const unread = dialect === 'sqlite';

    const job = new RetentionJob(store, { batchSize: 50 });
    const workspaces = await new WorkspacesRepository(store).list();
    const mine = workspaces.find((w) => w.id === ws)!;
    expect(await job.run(mine, NOW)).toBe(50);
    expect(await count(ws, 'old_view')).toBe(70);
    expect(await job.run(mine, NOW)).toBe(50);
    const third = await job.run(mine, NOW);
    // 20 old ones, plus on PostgreSQL the late ones if another worker has processed them meanwhile.
    if (unread) expect(third).toBe(20);
    else expect([20, 23]).toContain(third);
    expect(await count(ws, 'old_view')).toBe(0);
    // A short batch means done for now: the next look is ten minutes later.
    expect(await job.run(mine, NOW + 60_000)).toBe(0);
    if (unread) expect(await count(ws, 'late_view')).toBe(3);
    expect(await count(ws, 'recent_view')).toBe(7);
    expect(await count(keepAll, 'old_view')).toBe(20);

    // The worker runs the same job on its clock: once the late events are processed, they go.
    const clock = new SimulatedClock(NOW + 11 * 60_000);
    const worker = new Worker(store, defaultChannels(store), clock, {
      workerId: 'retention-test',
      processEvents,
    });
    await worker.tick();
    // That tick looked before its processor pass read the late events; the next look is ten minutes on.
    if (unread) expect(await count(ws, 'late_view')).toBe(3);
    clock.set(NOW + 22 * 60_000);
    await worker.tick();
    expect(await count(ws, 'late_view')).toBe(0);
    expect(await count(ws, 'recent_view')).toBe(7);
    expect(await count(keepAll, 'old_view')).toBe(20);
  });
});
