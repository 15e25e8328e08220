// Sales task steps through the engine on both stores, on the simulated clock: the task is made for the
// account owner and falls due in the owner's working hours and zone; the sequence waits for it; a booked
// meeting converts and ends the sequence; a skip or an expiry lets the next step go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import type { ChannelRegistry } from '../../src/channels/channel.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { actOnTask } from '../../src/engine/tasks.js';
import { Worker } from '../../src/engine/worker.js';
import { isOverdue, TasksRepository, type Task } from '../../src/store/tasks.repository.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import {
  DAY,
  FRIDAY_1630_NY,
  HOUR,
  MONDAY_0900_NY,
  outbound,
  salesWorld,
  touchesOf,
} from './sales-fixture.js';

describe.each(dialects)('sales task steps on %s', (dialect) => {
  let store: TestStore;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    channels = defaultChannels(store);
  });
  afterAll(() => store.dispose());

  async function onlyTask(ws: string): Promise<Task> {
    const page = await new TasksRepository(store).list(ws, {}, { limit: 10 });
    expect(page.data).toHaveLength(1);
    return page.data[0]!;
  }

  it('makes the call task for the account owner, due Monday 09:00 in their zone across the DST change, and holds the sequence', async () => {
    const { ws, repId, contactIds } = await salesWorld(store, { at: FRIDAY_1630_NY });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'tasks-1' });
    const first = await dispatcher.drain(FRIDAY_1630_NY);
    expect(first.sent).toBeGreaterThanOrEqual(1);

    const task = await onlyTask(ws);
    expect(task).toMatchObject({
      type: 'call',
      status: 'open',
      assignee_user_id: repId,
      assignee: 'rep@acme-sales.com',
      instructions: 'Call Ada at Acme about the pilot',
      step_id: 'call',
    });
    expect(task.contact.id).toBe(contactIds[0]);
    // Friday 16:30 EST leaves half an hour of the rep's day: due at the start of Monday, now EDT (UTC−4).
    expect(task.due_at).toBe(MONDAY_0900_NY);
    expect(task.overdue_at).toBe(Date.parse('2027-03-15T21:00:00Z')); // Monday 17:00 EDT
    expect(task.expires_at).toBe(Date.parse('2027-03-18T21:00:00Z')); // Thursday 17:00 EDT

    // The touch is performed (it counts as a touch), but the next step waits for the task.
    await dispatcher.drain(FRIDAY_1630_NY + 3 * DAY);
    const touches = await touchesOf(store, ws);
    expect(touches.map((t) => [t.step_id, t.status])).toEqual([['call', 'sent']]);

    // Overdue once Monday's working hours end with the task still open.
    expect(isOverdue(task, MONDAY_0900_NY + 7 * HOUR)).toBe(false);
    expect(isOverdue(task, MONDAY_0900_NY + 8 * HOUR)).toBe(true);
  });

  it('a booked meeting converts the contact and ends the sequence: no later step goes out', async () => {
    const { ws, contactIds } = await salesWorld(store, { at: FRIDAY_1630_NY });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'tasks-2' });
    await dispatcher.drain(FRIDAY_1630_NY);
    const task = await onlyTask(ws);

    const at = MONDAY_0900_NY + 30 * 60_000;
    const done = await actOnTask(
      store,
      ws,
      task.id,
      { kind: 'complete', outcome: 'meeting_booked', note: 'Tuesday demo' },
      'usr-1',
      at,
    );
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'meeting_booked',
      note: 'Tuesday demo',
      resolved_at: at,
    });
    await processEvents(store, at);

    const enrollment = await store.db
      .selectFrom('enrollments')
      .select(['state', 'exit_reason'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(enrollment).toEqual({ state: 'exited', exit_reason: 'meeting_booked' });
    const conversions = await store.db
      .selectFrom('conversions')
      .select(['contact_id', 'touch_id', 'occurred_at'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(conversions).toEqual([{ contact_id: contactIds[0], touch_id: task.touch_id, occurred_at: at }]);

    await dispatcher.drain(at + 5 * DAY);
    expect((await touchesOf(store, ws)).map((t) => t.step_id)).toEqual(['call']);
    // A resolved task cannot be answered twice.
    await expect(actOnTask(store, ws, task.id, { kind: 'skip' }, null, at + HOUR)).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('a booked meeting ends the sequence even when the goal counts another event (and is not counted as that goal)', async () => {
    const { ws } = await salesWorld(store, {
      at: FRIDAY_1630_NY,
      campaign: outbound({ goal: { metric: 'value', event: 'deal_won', target: 50_000, lookback_days: 90 } }),
    });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'tasks-3' });
    await dispatcher.drain(FRIDAY_1630_NY);
    const task = await onlyTask(ws);
    await actOnTask(
      store,
      ws,
      task.id,
      { kind: 'complete', outcome: 'meeting_booked' },
      null,
      MONDAY_0900_NY,
    );
    await processEvents(store, MONDAY_0900_NY);
    const enrollment = await store.db
      .selectFrom('enrollments')
      .select(['state', 'exit_reason'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(enrollment).toEqual({ state: 'exited', exit_reason: 'meeting_booked' });
    const events = await store.db
      .selectFrom('events')
      .select(['type', 'campaign_id', 'channel'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'meeting_booked')
      .execute();
    expect(events).toEqual([{ type: 'meeting_booked', campaign_id: 'outbound', channel: 'task' }]);
    const conversions = await store.db
      .selectFrom('conversions')
      .select('id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(conversions).toHaveLength(0);
  });

  it('skipping the task lets the next step go, its delay counted from the skip', async () => {
    const { ws } = await salesWorld(store, { at: FRIDAY_1630_NY });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'tasks-4' });
    await dispatcher.drain(FRIDAY_1630_NY);
    const task = await onlyTask(ws);
    const skippedAt = MONDAY_0900_NY + 2 * HOUR;
    const skipped = await actOnTask(
      store,
      ws,
      task.id,
      { kind: 'skip', reason: 'wrong number' },
      null,
      skippedAt,
    );
    expect(skipped).toMatchObject({ status: 'skipped', note: 'wrong number', outcome: null });

    let touches = await touchesOf(store, ws);
    expect(touches.map((t) => [t.step_id, t.status])).toEqual([
      ['call', 'sent'],
      ['followup', 'planned'],
    ]);
    expect(Number(touches[1]!.due_at)).toBe(skippedAt + DAY); // delay 1d from the skip
    await dispatcher.drain(skippedAt + DAY);
    touches = await touchesOf(store, ws);
    expect(touches[1]).toMatchObject({ step_id: 'followup', status: 'sent' });
  });

  it('an unanswered task expires on a worker tick at its expiry, and the sequence goes on', async () => {
    const { ws } = await salesWorld(store, { at: FRIDAY_1630_NY });
    const clock = new SimulatedClock(FRIDAY_1630_NY);
    const worker = new Worker(store, channels, clock, { workerId: 'tasks-5', processEvents });
    await worker.tick();
    const task = await onlyTask(ws);

    // Just before the expiry nothing changes.
    clock.set(task.expires_at - 60_000);
    await worker.tick();
    expect((await new TasksRepository(store).get(ws, task.id)).status).toBe('open');
    expect((await touchesOf(store, ws)).map((t) => t.step_id)).toEqual(['call']);

    // The worker wakes up for the expiry by itself.
    expect(await worker.nextWakeAt(clock.now())).toBeLessThanOrEqual(task.expires_at);
    clock.set(task.expires_at);
    await worker.tick();
    const expired = await new TasksRepository(store).get(ws, task.id);
    expect(expired).toMatchObject({ status: 'expired', resolved_at: task.expires_at, resolved_by: null });
    const touches = await touchesOf(store, ws);
    expect(touches.map((t) => t.step_id)).toEqual(['call', 'followup']);
    expect(Number(touches[1]!.due_at)).toBe(task.expires_at + DAY);
  });

  it("a step's expire_after sets how long an unanswered task waits, also after a reschedule", async () => {
    const campaign = outbound();
    const call = campaign.sequence![0]!;
    const { ws } = await salesWorld(store, {
      at: FRIDAY_1630_NY,
      campaign: {
        ...campaign,
        sequence: [{ ...call, task: { ...call.task!, expire_after: '4h' } }, campaign.sequence![1]!],
      },
    });
    await new Dispatcher(store, channels, { workerId: 'tasks-7' }).drain(FRIDAY_1630_NY);
    const task = await onlyTask(ws);
    expect(task.expires_at).toBe(task.overdue_at + 4 * HOUR);
    const moved = await actOnTask(
      store,
      ws,
      task.id,
      { kind: 'reschedule', dueAt: Date.parse('2027-03-16T14:00:00Z') },
      null,
      MONDAY_0900_NY,
    );
    expect(moved.overdue_at).toBe(Date.parse('2027-03-16T21:00:00Z')); // Tuesday 17:00 EDT
    expect(moved.expires_at).toBe(Date.parse('2027-03-17T01:00:00Z'));
  });

  it('keeps the owner name when it names no workspace user, and cancels open tasks of people who left the sequence', async () => {
    const { ws, contactIds } = await salesWorld(store, {
      at: FRIDAY_1630_NY,
      owner: 'Dana from the Paris office',
    });
    const dispatcher = new Dispatcher(store, channels, { workerId: 'tasks-6' });
    await dispatcher.drain(FRIDAY_1630_NY);
    const task = await onlyTask(ws);
    expect(task).toMatchObject({ assignee_user_id: null, assignee: 'Dana from the Paris office' });
    // No user: the workspace zone (UTC) and the default hours. Friday 21:30 UTC is after hours → Monday 09:00 UTC.
    expect(task.due_at).toBe(Date.parse('2027-03-15T09:00:00Z'));

    await store.db
      .updateTable('enrollments')
      .set({ state: 'exited', exit_reason: 'replied', exited_at: MONDAY_0900_NY })
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', contactIds[0]!)
      .execute();
    const clock = new SimulatedClock(MONDAY_0900_NY);
    await new Worker(store, channels, clock, { workerId: 'tasks-6w' }).tick();
    expect(await new TasksRepository(store).get(ws, task.id)).toMatchObject({
      status: 'cancelled',
      note: 'enrollment_exited',
    });
  });
});
