// Goal conversions and exits from events, through the tracking API and the worker's event processor: a
// conversion after a touch counts for that campaign (treatment arm, with that touch), the same conversion
// by a holdout member counts for the holdout arm, a reply ends the enrollment and cancels what is pending,
// and exit_scope account ends the colleagues' enrollments too.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import type { CampaignInput } from '../../src/domain/campaign.js';
import { engineLaunchHooks } from '../../src/engine/campaign-hooks.js';
import { realClock, SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { applyCampaign, launchCampaign } from '../../src/store/campaigns/index.js';
import type { Store } from '../../src/store/db.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { newId } from '../../src/store/ids.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture } from './ingest-support.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const START = Date.parse('2027-01-04T09:00:00Z');

async function seedContacts(store: Store, ws: string, n: number, accountOf?: (i: number) => string | null) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: newId('con', T0),
      workspace_id: ws,
      external_id: `u${i}`,
      email: `p${i}@example.org`,
      time_zone: 'UTC',
      lifecycle_stage: 'lead',
      account_id: accountOf?.(i) ?? null,
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: T0,
      updated_at: T0,
    });
  }
  await store.db.insertInto('contacts').values(rows).execute();
}

/** Launched at the window's start, so the campaign is running at once (never left `scheduled`). */
async function launch(store: Store, ws: string, spec: CampaignInput): Promise<void> {
  await applyCampaign(store, ws, { spec }, T0);
  await launchCampaign(store, ws, spec.id, START, engineLaunchHooks);
}

/**
 * Worker ticks see every workspace of the shared test database: when a test is over, its campaigns are
 * cancelled and its pending touches too, so other test files' ticks find nothing of ours to start or send.
 */
async function retire(store: Store, ws: string): Promise<void> {
  await store.db
    .updateTable('touches')
    .set({ status: 'cancelled', reason: 'test over', lease_until: null })
    .where('workspace_id', '=', ws)
    .where('status', 'in', ['planned', 'held', 'claimed'])
    .execute();
  await store.db
    .updateTable('campaigns')
    .set({ status: 'cancelled' })
    .where('workspace_id', '=', ws)
    .where('status', 'in', ['scheduled', 'running', 'paused'])
    .execute();
}

const enrollmentsOf = (store: Store, ws: string) =>
  store.db
    .selectFrom('enrollments')
    .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
    .select([
      'enrollments.id',
      'enrollments.arm',
      'enrollments.state',
      'enrollments.exit_reason',
      'contacts.id as contact_id',
      'contacts.external_id',
      'contacts.account_id',
    ])
    .where('enrollments.workspace_id', '=', ws)
    .orderBy('contacts.external_id')
    .execute();

describe.each(dialects)('conversions and exits from events on %s', (dialect) => {
  let store: TestStore;
  const used: string[] = [];
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterEach(async () => {
    for (const ws of used.splice(0)) await retire(store, ws);
  });
  afterAll(() => store.dispose());

  it('counts a conversion after a touch for the treatment arm and a holdout member’s for the holdout arm', async () => {
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    used.push(fx.ws);
    await seedContacts(store, fx.ws, 40);
    await launch(store, fx.ws, {
      id: 'demo-push',
      name: 'Demo push',
      objective: 'pipeline',
      goal: {
        metric: 'conversions',
        event: 'demo_booked',
        target: 10,
        lookback_days: 14,
        filter: { source: 'web' },
      },
      measurement: { holdout_percent: 30 },
      window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
      audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
      channels: ['log'],
      sequence: [
        { id: 'one', channel: 'log', delay: '0d' },
        { id: 'two', channel: 'log', delay: '3d' },
      ],
    });
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test', processEvents });
    clock.set(Date.parse('2027-01-04T09:00:00Z'));
    await worker.tick();

    const enrolled = await enrollmentsOf(store, fx.ws);
    const treated = enrolled.filter((e) => e.arm === 'treatment');
    const held = enrolled.filter((e) => e.arm === 'holdout');
    expect(treated.length).toBeGreaterThan(1);
    expect(held.length).toBeGreaterThan(0);
    const [t1, t2] = treated;
    const h1 = held[0]!;

    clock.set(Date.parse('2027-01-05T10:00:00Z'));
    const track = (userId: string, props: Record<string, unknown>, timestamp?: string) =>
      fx.app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { authorization: fx.basic, 'content-type': 'application/json' },
        payload: { userId, event: 'demo_booked', properties: props, ...(timestamp ? { timestamp } : {}) },
      });
    expect((await track(t1!.external_id!, { source: 'web', revenue: 250 })).statusCode).toBe(200);
    expect((await track(h1.external_id!, { source: 'web', value: 40 })).statusCode).toBe(200);
    // Not the goal's filter: no conversion.
    expect((await track(t2!.external_id!, { source: 'partner', revenue: 999 })).statusCode).toBe(200);
    // Before the campaign launched: no conversion.
    expect((await track(t2!.external_id!, { source: 'web' }, '2027-01-02T10:00:00Z')).statusCode).toBe(200);
    await worker.tick();

    const conversions = await store.db
      .selectFrom('conversions')
      .selectAll()
      .where('workspace_id', '=', fx.ws)
      .orderBy('arm')
      .execute();
    expect(conversions).toHaveLength(2);
    const [holdout, treatment] = conversions;
    expect(holdout).toMatchObject({
      arm: 'holdout',
      contact_id: h1.contact_id,
      touch_id: null,
      enrollment_id: h1.id,
    });
    expect(Number(holdout!.value)).toBe(40);
    const t1Touch = await store.db
      .selectFrom('touches')
      .select('id')
      .where('enrollment_id', '=', t1!.id)
      .where('step_id', '=', 'one')
      .executeTakeFirstOrThrow();
    expect(treatment).toMatchObject({ arm: 'treatment', contact_id: t1!.contact_id, touch_id: t1Touch.id });
    expect(Number(treatment!.value)).toBe(250);

    // exit_on has `converted` by default: the converter's enrollment ended and its step two is cancelled.
    const after = await enrollmentsOf(store, fx.ws);
    expect(after.find((e) => e.id === t1!.id)).toMatchObject({ state: 'exited', exit_reason: 'converted' });
    expect(after.find((e) => e.id === t2!.id)).toMatchObject({ state: 'active' });
    const stepTwo = await store.db
      .selectFrom('touches')
      .select('status')
      .where('enrollment_id', '=', t1!.id)
      .where('step_id', '=', 'two')
      .executeTakeFirst();
    expect(stepTwo?.status ?? 'cancelled').toBe('cancelled');

    // Outside the lookback (14 days after the last touch, which was step one on Jan 4): no conversion.
    const late = treated[treated.length - 1]!;
    await store.db
      .updateTable('touches')
      .set({ status: 'cancelled' })
      .where('enrollment_id', '=', late.id)
      .where('step_id', '=', 'two')
      .execute();
    clock.set(Date.parse('2027-01-19T10:00:00Z'));
    expect((await track(late.external_id!, { source: 'web' })).statusCode).toBe(200);
    // The processor reads the events again only once: a repeated tick adds nothing.
    await worker.tick();
    await worker.tick();
    const total = await store.db
      .selectFrom('conversions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', fx.ws)
      .executeTakeFirstOrThrow();
    expect(Number(total.n)).toBe(2);
    await fx.app.close();
  });

  it('ends the enrollment on a reply, and the whole account’s under exit_scope account', async () => {
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    used.push(fx.ws);
    const acme = newId('acc', T0);
    const other = newId('acc', T0);
    await store.db
      .insertInto('accounts')
      .values(
        [acme, other].map((id, i) => ({
          id,
          workspace_id: fx.ws,
          domain: `acct${i}-${id.slice(-6).toLowerCase()}.example`,
          attributes: '{}',
          created_at: T0,
          updated_at: T0,
        })),
      )
      .execute();
    await seedContacts(store, fx.ws, 4, (i) => (i < 3 ? acme : other));
    const base = {
      objective: 'pipeline' as const,
      goal: { metric: 'conversions' as const, event: 'demo_booked', target: 5, lookback_days: 30 },
      window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
      audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
      channels: ['log' as const],
      sequence: [
        { id: 'one', channel: 'log' as const, delay: '0d' },
        { id: 'two', channel: 'log' as const, delay: '3d' },
      ],
    };
    await launch(store, fx.ws, { ...base, id: 'abm', name: 'ABM', exit_scope: 'account' });
    await launch(store, fx.ws, { ...base, id: 'solo', name: 'Solo' });
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'test', processEvents });
    clock.set(Date.parse('2027-01-04T09:00:00Z'));
    await worker.tick();

    // u0 (acme) replies to the ABM email, as the inbound listener records it.
    const enrolled = await store.db
      .selectFrom('enrollments')
      .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
      .select([
        'enrollments.id',
        'enrollments.campaign_id',
        'contacts.external_id',
        'contacts.id as contact_id',
      ])
      .where('enrollments.workspace_id', '=', fx.ws)
      .execute();
    const u0abm = enrolled.find((e) => e.external_id === 'u0' && e.campaign_id === 'abm')!;
    const touch = await store.db
      .selectFrom('touches')
      .select(['id', 'step_id'])
      .where('enrollment_id', '=', u0abm.id)
      .where('step_id', '=', 'one')
      .executeTakeFirstOrThrow();
    clock.set(Date.parse('2027-01-05T09:00:00Z'));
    await appendEvents(store.db, [
      {
        workspaceId: fx.ws,
        type: 'replied',
        occurredAt: clock.now(),
        receivedAt: clock.now(),
        messageId: `reply:${touch.id}`,
        contactId: u0abm.contact_id,
        campaignId: 'abm',
        touchId: touch.id,
        stepId: touch.step_id,
        channel: 'email',
      },
    ]);
    // The solo campaign's u1 replies too: only u1's own enrollment in it ends.
    const u1solo = enrolled.find((e) => e.external_id === 'u1' && e.campaign_id === 'solo')!;
    await appendEvents(store.db, [
      {
        workspaceId: fx.ws,
        type: 'replied',
        occurredAt: clock.now(),
        receivedAt: clock.now(),
        messageId: `reply:u1-solo`,
        contactId: u1solo.contact_id,
        campaignId: 'solo',
      },
    ]);
    await worker.tick();

    const states = await store.db
      .selectFrom('enrollments')
      .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
      .select(['enrollments.id', 'enrollments.campaign_id', 'contacts.external_id', 'state', 'exit_reason'])
      .where('enrollments.workspace_id', '=', fx.ws)
      .execute();
    const stateOf = (campaign: string, user: string) =>
      states.find((s) => s.campaign_id === campaign && s.external_id === user);
    for (const u of ['u0', 'u1', 'u2']) {
      expect(stateOf('abm', u)).toMatchObject({ state: 'exited', exit_reason: 'replied' });
    }
    expect(stateOf('abm', 'u3')).toMatchObject({ state: 'active' });
    expect(stateOf('solo', 'u0')).toMatchObject({ state: 'active' });
    expect(stateOf('solo', 'u1')).toMatchObject({ state: 'exited', exit_reason: 'replied' });
    expect(stateOf('solo', 'u2')).toMatchObject({ state: 'active' });

    // Nothing more goes out to the exited: their step-two touches are cancelled; u3's is still planned.
    const pending = await store.db
      .selectFrom('touches')
      .innerJoin('enrollments', 'enrollments.id', 'touches.enrollment_id')
      .select(['enrollments.id', 'touches.status'])
      .where('touches.workspace_id', '=', fx.ws)
      .where('touches.step_id', '=', 'two')
      .execute();
    const exitedIds = new Set(states.filter((s) => s.state === 'exited').map((s) => s.id));
    for (const t of pending) {
      expect(t.status).toBe(exitedIds.has(t.id) ? 'cancelled' : 'planned');
    }
    expect(pending.filter((t) => t.status === 'planned').length).toBe(8 - exitedIds.size);

    // An unsubscribe ends every campaign of the contact.
    const u3 = enrolled.find((e) => e.external_id === 'u3')!;
    await appendEvents(store.db, [
      {
        workspaceId: fx.ws,
        type: 'unsubscribed',
        occurredAt: clock.now(),
        receivedAt: clock.now(),
        messageId: 'unsub:u3',
        contactId: u3.contact_id,
        campaignId: 'abm',
      },
    ]);
    await processEvents(store, clock.now());
    const u3States = await store.db
      .selectFrom('enrollments')
      .select(['state', 'exit_reason'])
      .where('workspace_id', '=', fx.ws)
      .where('contact_id', '=', u3.contact_id)
      .execute();
    expect(u3States).toEqual([
      { state: 'exited', exit_reason: 'unsubscribed' },
      { state: 'exited', exit_reason: 'unsubscribed' },
    ]);
    await fx.app.close();
  });

  it('applies a reply within seconds on the real clock while the worker loop runs', async () => {
    const start = Date.now();
    const fx = await ingestFixture(store, realClock, start);
    used.push(fx.ws);
    await seedContacts(store, fx.ws, 2);
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    await applyCampaign(
      store,
      fx.ws,
      {
        spec: {
          id: 'live',
          name: 'Live',
          objective: 'pipeline',
          goal: { metric: 'conversions', event: 'demo_booked', target: 1, lookback_days: 7 },
          window: { start: minute(start - 120_000), end: minute(start + 7 * 86_400_000), timezone: 'UTC' },
          audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
          channels: ['log'],
          // Any day, any hour (but the last minute of the day), so the test runs whenever it is run.
          send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
          sequence: [
            { id: 'one', channel: 'log', delay: '0d' },
            { id: 'two', channel: 'log', delay: '2d' },
          ],
        },
      },
      start,
    );
    await launchCampaign(store, fx.ws, 'live', Date.now(), engineLaunchHooks);
    const worker = new Worker(store, defaultChannels(store), realClock, {
      workerId: 'live',
      processEvents,
      idleMs: 200,
    });
    worker.start();
    try {
      const until = async (check: () => Promise<boolean>, ms: number) => {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
          if (await check()) return true;
          await new Promise((r) => setTimeout(r, 50));
        }
        return false;
      };
      const sent = () =>
        store.db
          .selectFrom('touches')
          .select('contact_id')
          .where('workspace_id', '=', fx.ws)
          .where('status', '=', 'sent')
          .execute();
      expect(await until(async () => (await sent()).length === 2, 20_000)).toBe(true);
      const [first] = await sent();
      const repliedAt = Date.now();
      await appendEvents(store.db, [
        {
          workspaceId: fx.ws,
          type: 'replied',
          occurredAt: repliedAt,
          receivedAt: repliedAt,
          messageId: `live-reply-${repliedAt}`,
          contactId: first!.contact_id,
          campaignId: 'live',
        },
      ]);
      const exited = () =>
        store.db
          .selectFrom('enrollments')
          .select('exit_reason')
          .where('workspace_id', '=', fx.ws)
          .where('contact_id', '=', first!.contact_id)
          .where('state', '=', 'exited')
          .execute();
      expect(await until(async () => (await exited()).length === 1, 5_000)).toBe(true);
      expect(Date.now() - repliedAt).toBeLessThan(5_000);
      expect((await exited())[0]!.exit_reason).toBe('replied');
    } finally {
      await worker.stop();
      await fx.app.close();
    }
  });
});
