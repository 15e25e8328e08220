// Time windows in stage criteria, on both stores and the simulated clock: the worker's sweep moves a
// contact back out of Consideration when its pricing view ages past the 30 days of the criteria (and its
// account with it, once no contact holds it there), moves a contact forward when a "did not … in N days"
// criterion comes true by itself, lapses an account's own opportunity window, and records each change
// with cause `time_window_elapsed` at the instant the window elapsed. Nothing is re-read before then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { getJourney, setJourney } from '../../src/store/journey/journey-map.repository.js';
import { sweepStageWindows } from '../../src/store/journey/stage-sweep.js';
import { ownStore } from '../ops/ops-support.js';
import { dialects, newWorkspace, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-08-02T09:00:00Z');
const DAY = 86_400_000;

describe.each(dialects)('journey stage time windows (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    // A database of its own: each journey pass sweeps every workspace at its own `now`, so another
    // file's pass at a later time would move this file's contacts out of their windows mid-test.
    const own = await ownStore(dialect);
    store = { ...own.store, dispose: own.dispose };
  });
  afterAll(() => store.dispose());

  const row = async (ws: string, kind: string, id: string) =>
    store.db
      .selectFrom('journey_stages')
      .select(['stage', 'stage_recheck_at'])
      .where('workspace_id', '=', ws)
      .where('subject_kind', '=', kind)
      .where('subject_id', '=', id)
      .executeTakeFirstOrThrow();
  const stageOf = async (ws: string, kind: string, id: string) => (await row(ws, kind, id)).stage;
  const recheckOf = async (ws: string, kind: string, id: string) => {
    const t = (await row(ws, kind, id)).stage_recheck_at;
    return t === null ? null : Number(t);
  };
  const history = async (ws: string, id: string) =>
    (
      await store.db
        .selectFrom('journey_stage_changes')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('subject_id', '=', id)
        .orderBy('changed_at')
        .orderBy('id')
        .execute()
    ).map((h) => ({ from: h.from_stage, to: h.to_stage, cause: h.cause, at: Number(h.changed_at) }));
  const event = (ws: string, contactId: string, type: string, at: number, tag: string) =>
    appendEvents(store.db, [
      { workspaceId: ws, type, occurredAt: at, receivedAt: at, contactId, messageId: `${ws}-${tag}` },
    ]);

  it('moves a contact back out of Consideration when its pricing view ages past 30 days', async () => {
    const ws = await newWorkspace(store, T0);
    const clock = new SimulatedClock(T0);
    const acme = await new AccountsRepository(store).create(ws, { domain: 'acme.example', name: 'Acme' }, T0);
    const contacts = new ContactsRepository(store);
    const ana = await contacts.create(ws, { email: 'ana@acme.example', account_id: acme.id }, T0);
    const bo = await contacts.create(ws, { email: 'bo@acme.example', account_id: acme.id }, T0);
    await setJourney(store, ws, { preset: 'default' }, T0);
    // Nobody has a windowed event yet: nothing to look at again.
    expect(await recheckOf(ws, 'contact', ana.id)).toBeNull();
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'windows', processEvents });

    const t1 = T0 + DAY;
    await event(ws, ana.id, 'pricing_page_viewed', t1, 'ana-1');
    clock.set(t1 + 60_000);
    await worker.tick();
    expect(await stageOf(ws, 'contact', ana.id)).toBe('consideration');
    // The view leaves Consideration's 30-day window just after t1 + 30 days.
    const anaLapse = t1 + 30 * DAY + 1;
    expect(await recheckOf(ws, 'contact', ana.id)).toBe(anaLapse);
    expect(await worker.nextWakeAt(clock.now())).toBeLessThanOrEqual(anaLapse);

    const t2 = t1 + 10 * DAY;
    await event(ws, bo.id, 'pricing_page_viewed', t2, 'bo-1');
    clock.set(t2 + 60_000);
    await worker.tick();
    expect(await stageOf(ws, 'contact', bo.id)).toBe('consideration');
    expect(await stageOf(ws, 'account', acme.id)).toBe('consideration');

    // A day before the window ends: nothing is due, nothing moves.
    clock.set(anaLapse - DAY);
    await worker.tick();
    expect(await stageOf(ws, 'contact', ana.id)).toBe('consideration');
    const journey = (await getJourney(store, ws)).journey;
    expect(await sweepStageWindows(store, ws, journey, anaLapse - 1)).toEqual({
      contacts: 0,
      accounts: 0,
      changes: 0,
    });

    // The window elapses: Ana falls back to Awareness, recorded with the cause and the instant.
    clock.set(anaLapse);
    await worker.tick();
    expect(await stageOf(ws, 'contact', ana.id)).toBe('awareness');
    expect((await history(ws, ana.id)).at(-1)).toEqual({
      from: 'consideration',
      to: 'awareness',
      cause: 'time_window_elapsed',
      at: anaLapse,
    });
    expect(await recheckOf(ws, 'contact', ana.id)).toBeNull();
    // Bo still holds the account in Consideration.
    expect(await stageOf(ws, 'account', acme.id)).toBe('consideration');

    const boLapse = t2 + 30 * DAY + 1;
    clock.set(boLapse);
    await worker.tick();
    expect(await stageOf(ws, 'contact', bo.id)).toBe('awareness');
    expect(await stageOf(ws, 'account', acme.id)).toBe('awareness');
    expect((await history(ws, acme.id)).at(-1)).toEqual({
      from: 'consideration',
      to: 'awareness',
      cause: 'time_window_elapsed',
      at: boLapse,
    });
    // Another tick records nothing.
    clock.set(boLapse + DAY);
    await worker.tick();
    expect(await history(ws, bo.id)).toHaveLength(3);

    // Ana engages again: back in Consideration on the event, as before.
    const t3 = boLapse + 2 * DAY;
    await event(ws, ana.id, 'pricing_page_viewed', t3, 'ana-2');
    clock.set(t3 + 60_000);
    await worker.tick();
    expect((await history(ws, ana.id)).map((h) => [h.from, h.to, h.cause])).toEqual([
      [null, 'awareness', 'journey_changed'],
      ['awareness', 'consideration', 'event'],
      ['consideration', 'awareness', 'time_window_elapsed'],
      ['awareness', 'consideration', 'event'],
    ]);
  });

  it('moves a contact forward when a "did not … in 14 days" criterion comes true by itself', async () => {
    const ws = await newWorkspace(store, T0);
    const contacts = new ContactsRepository(store);
    const cy = await contacts.create(ws, { email: 'cy@initech.example' }, T0);
    await setJourney(
      store,
      ws,
      {
        stages: [
          { id: 'active', name: 'Active' },
          {
            id: 'dormant',
            name: 'Dormant trial',
            criteria: {
              all: [{ event: 'trial_started' }, { event: 'page', did: false, within_days: 14 }],
            },
          },
        ],
      },
      T0,
    );
    const t1 = T0 + DAY;
    await event(ws, cy.id, 'trial_started', t1, 'trial');
    await event(ws, cy.id, 'page', t1 + 3 * DAY, 'page');
    await processEvents(store, t1 + 3 * DAY + 60_000);
    expect(await stageOf(ws, 'contact', cy.id)).toBe('active');
    const quietFrom = t1 + 3 * DAY + 14 * DAY + 1;
    expect(await recheckOf(ws, 'contact', cy.id)).toBe(quietFrom);

    await processEvents(store, quietFrom - 1);
    expect(await stageOf(ws, 'contact', cy.id)).toBe('active');
    await processEvents(store, quietFrom);
    expect(await stageOf(ws, 'contact', cy.id)).toBe('dormant');
    expect((await history(ws, cy.id)).at(-1)).toEqual({
      from: 'active',
      to: 'dormant',
      cause: 'time_window_elapsed',
      at: quietFrom,
    });
    // The page view is out of the window now: no due time is left.
    expect(await recheckOf(ws, 'contact', cy.id)).toBeNull();

    // A new view sets a due time again; a new map without windows removes it.
    await event(ws, cy.id, 'page', quietFrom + DAY, 'page-2');
    await processEvents(store, quietFrom + DAY + 60_000);
    expect(await recheckOf(ws, 'contact', cy.id)).toBe(quietFrom + DAY + 14 * DAY + 1);
    await setJourney(
      store,
      ws,
      {
        stages: [
          { id: 'active', name: 'Active' },
          { id: 'trial', name: 'Trial', criteria: { event: 'trial_started' } },
        ],
      },
      quietFrom + 2 * DAY,
    );
    expect(await stageOf(ws, 'contact', cy.id)).toBe('trial');
    expect(await recheckOf(ws, 'contact', cy.id)).toBeNull();
  });

  it("lapses an account's own opportunity window (own criteria)", async () => {
    const ws = await newWorkspace(store, T0);
    const accounts = new AccountsRepository(store);
    const globex = await accounts.create(ws, { domain: 'globex.example', name: 'Globex' }, T0);
    await setJourney(store, ws, { preset: 'default', account_stage: 'own' }, T0);
    const opened = T0 + DAY;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'Opportunity Created',
        occurredAt: opened,
        receivedAt: opened,
        accountId: globex.id,
        messageId: `${ws}-opp`,
        properties: { amount: 40_000 },
      },
    ]);
    await processEvents(store, opened + 60_000);
    expect(await stageOf(ws, 'account', globex.id)).toBe('decision');
    // Decision's account criteria: an opportunity in the last 180 days (and no loss since).
    const lapse = opened + 180 * DAY + 1;
    expect(await recheckOf(ws, 'account', globex.id)).toBe(lapse);
    await processEvents(store, lapse);
    expect(await stageOf(ws, 'account', globex.id)).toBe('awareness');
    expect((await history(ws, globex.id)).map((h) => [h.from, h.to, h.cause, h.at])).toEqual([
      [null, 'awareness', 'journey_changed', T0],
      ['awareness', 'decision', 'account_criteria', opened],
      ['decision', 'awareness', 'time_window_elapsed', lapse],
    ]);
  });
});
