// One broken campaign does not stall the worker: a running dynamic campaign whose audience names a segment
// that no longer exists fails its own enrollment pass, and the rest of the tick (events, every other
// campaign's due touches) goes on. Runs on a database of its own, since a tick claims every workspace's touches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { LogChannel } from '../../src/channels/log.channel.js';
import { campaignSchema } from '../../src/domain/campaign.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents, type ProcessCounts } from '../../src/engine/event-processor.js';
import { Worker, type TickFailure } from '../../src/engine/worker.js';
import { BatonMetrics } from '../../src/ops/metrics.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { toJson } from '../../src/store/json.js';
import { dialects, newWorkspace } from '../support/stores.js';
import { ownStore, seedDueTouches, touchCounts, type OwnStore } from '../ops/ops-support.js';

const T0 = Date.parse('2027-03-01T10:00:00Z');
const HOUR = 3_600_000;

describe.each(dialects)('worker tick with a broken campaign on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(async () => own?.dispose());

  it('reports the broken campaign and still processes events and sends the others’ due touches', async () => {
    const store = own.store;
    // A workspace whose dynamic campaign was launched on a segment that was deleted behind its back
    // (the spec written straight into the database, as an old release's delete would have left it).
    const brokenWs = await newWorkspace(store, T0);
    const broken = campaignSchema.parse({
      id: 'broken-dynamic',
      name: 'Broken dynamic',
      objective: 'awareness',
      window: { start: new Date(T0 - 2 * 86_400_000).toISOString(), timezone: 'UTC' },
      audience: { segment_id: 'seg_deleted_long_ago', enrollment: 'dynamic' },
      channels: ['log'],
      sequence: [{ id: 'hello', channel: 'log' }],
    });
    const repo = new CampaignsRepository(store);
    await repo.insert(brokenWs, broken, T0 - 2 * HOUR);
    await store.db
      .updateTable('campaigns')
      .set({ status: 'running', launched_at: T0 - 2 * HOUR, spec: toJson(broken) })
      .where('workspace_id', '=', brokenWs)
      .where('id', '=', broken.id)
      .execute();

    // Another workspace with three due touches, one of whose contacts unsubscribed.
    const ws = await newWorkspace(store, T0);
    const healthy = await seedDueTouches(store, ws, 3, T0, { followUp: true });
    const enrolled = await store.db
      .selectFrom('enrollments')
      .select('contact_id')
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', healthy)
      .orderBy('contact_id')
      .execute();
    expect(enrolled).toHaveLength(3);
    const quitter = enrolled[0]!.contact_id;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'unsubscribed',
        occurredAt: T0,
        receivedAt: T0,
        contactId: quitter,
        // As the unsubscribe route records it: the processor acts only on Baton's own outcome events.
        channel: 'email',
      },
    ]);

    const failures: TickFailure[] = [];
    const metrics = new BatonMetrics({ processMetrics: false });
    let processed: ProcessCounts | undefined;
    const channels = new ChannelRegistry().register(new LogChannel(store, 'log'));
    const worker = new Worker(store, channels, new SimulatedClock(T0), {
      workerId: 'isolation',
      dynamicEnrollEveryMs: HOUR,
      processEvents: async (s, now) => (processed = await processEvents(s, now)),
      onError: (f) => failures.push(f),
      onTick: metrics.onTick,
    });

    const stats = await worker.tick();

    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      pass: 'dynamic_enrollment',
      workspaceId: brokenWs,
      campaignId: 'broken-dynamic',
    });
    expect(String((failures[0]!.error as Error).message)).toContain('seg_deleted_long_ago');
    expect(stats.failures).toBe(1);
    // Operators see it: the failed pass is counted on /metrics.
    expect(await metrics.registry.getSingleMetricAsString('baton_worker_failures_total')).toMatch(
      /^baton_worker_failures_total 1$/m,
    );
    // The unsubscribe was processed: the quitter left, and only the other two first touches went out.
    expect(processed?.exited).toBe(1);
    const quitterState = await store.db
      .selectFrom('enrollments')
      .select('state')
      .where('campaign_id', '=', healthy)
      .where('contact_id', '=', quitter)
      .executeTakeFirstOrThrow();
    expect(quitterState.state).not.toBe('active');
    expect(stats.sent).toBe(2);
    // Two follow-ups planned for the people still enrolled; the quitter's touches were cancelled.
    expect(await touchCounts(store, ws)).toMatchObject({ sent: 2, planned: 2 });
    expect(await touchCounts(store, brokenWs)).toEqual({});
  });
});
