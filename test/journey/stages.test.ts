// Buyer-journey stages on both stores: a workspace's map puts every contact in its first stage; an event
// that meets a later stage's criteria moves the contact there on the next processor pass, and the history
// names the event; an attribute change moves a contact too; a second pass records nothing; the account
// follows its furthest contact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEvents } from '../../src/engine/event-processor.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { getJourney, setJourney } from '../../src/store/journey/journey-map.repository.js';
import { ownStore } from '../ops/ops-support.js';
import { dialects, newWorkspace, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-03-01T09:00:00Z');
const DAY = 86_400_000;

describe.each(dialects)('journey stages (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    // A database of its own: each journey pass sweeps every workspace at its own `now`, so another
    // file's pass at a later time would move this file's contacts out of their windows mid-test.
    const own = await ownStore(dialect);
    store = { ...own.store, dispose: own.dispose };
  });
  afterAll(async () => {
    await store.dispose();
  });

  const stageOf = async (ws: string, kind: string, id: string) =>
    (
      await store.db
        .selectFrom('journey_stages')
        .select(['stage', 'entered_at'])
        .where('workspace_id', '=', ws)
        .where('subject_kind', '=', kind)
        .where('subject_id', '=', id)
        .executeTakeFirst()
    )?.stage;
  const history = (ws: string, id: string) =>
    store.db
      .selectFrom('journey_stage_changes')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('subject_id', '=', id)
      .orderBy('changed_at')
      .orderBy('id')
      .execute();

  it('moves a contact from Awareness to Consideration when the event arrives, and records why', async () => {
    const ws = await newWorkspace(store, T0);
    const account = await new AccountsRepository(store).create(
      ws,
      { domain: 'acme.example', name: 'Acme' },
      T0,
    );
    const contacts = new ContactsRepository(store);
    const ana = await contacts.create(ws, { email: 'ana@acme.example', account_id: account.id }, T0);
    const bo = await contacts.create(ws, { email: 'bo@acme.example', account_id: account.id }, T0);

    expect((await getJourney(store, ws)).enabled).toBe(false);
    const set = await setJourney(store, ws, { preset: 'default' }, T0);
    expect(set.journey.map.stages.map((s) => s.id)).toEqual([
      'awareness',
      'consideration',
      'decision',
      'customer',
    ]);
    expect(set.evaluation.contactChanges).toBe(2);
    expect(await stageOf(ws, 'contact', ana.id)).toBe('awareness');
    expect(await stageOf(ws, 'account', account.id)).toBe('awareness');

    // A pricing view 40 days old is outside Consideration's 30 days: no move.
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'pricing_page_viewed',
        occurredAt: T0 - 40 * DAY,
        receivedAt: T0 + DAY,
        contactId: ana.id,
        messageId: `${ws}-old`,
      },
    ]);
    await processEvents(store, T0 + DAY);
    expect(await stageOf(ws, 'contact', ana.id)).toBe('awareness');

    const viewedAt = T0 + 2 * DAY;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'page',
        occurredAt: viewedAt - 60_000,
        receivedAt: viewedAt,
        contactId: ana.id,
        messageId: `${ws}-page`,
      },
      {
        workspaceId: ws,
        type: 'pricing_page_viewed',
        occurredAt: viewedAt,
        receivedAt: viewedAt,
        contactId: ana.id,
        messageId: `${ws}-pricing`,
      },
    ]);
    const pricing = await store.db
      .selectFrom('events')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('message_id', '=', `${ws}-pricing`)
      .executeTakeFirstOrThrow();
    await processEvents(store, viewedAt + 60_000);

    expect(await stageOf(ws, 'contact', ana.id)).toBe('consideration');
    expect(await stageOf(ws, 'contact', bo.id)).toBe('awareness');
    const h = await history(ws, ana.id);
    expect(h.map((c) => [c.from_stage, c.to_stage, c.cause])).toEqual([
      [null, 'awareness', 'journey_changed'],
      ['awareness', 'consideration', 'event'],
    ]);
    expect(h[1]!.event_id).toBe(pricing.id);
    expect(h[1]!.event_type).toBe('pricing_page_viewed');
    expect(Number(h[1]!.changed_at)).toBe(viewedAt);
    // The account follows its furthest contact, naming the same event.
    expect(await stageOf(ws, 'account', account.id)).toBe('consideration');
    const ah = await history(ws, account.id);
    expect(ah.at(-1)).toMatchObject({ to_stage: 'consideration', cause: 'contact', event_id: pricing.id });

    // A second pass (and PostgreSQL's re-read margin) records nothing new.
    await processEvents(store, viewedAt + 120_000);
    expect(await history(ws, ana.id)).toHaveLength(2);

    // An attribute change: Bo becomes a customer in the CRM, and moves on the next pass.
    await contacts.update(ws, bo.id, { lifecycle_stage: 'customer' }, viewedAt + DAY);
    await processEvents(store, viewedAt + DAY + 1000);
    expect(await stageOf(ws, 'contact', bo.id)).toBe('customer');
    expect((await history(ws, bo.id)).at(-1)).toMatchObject({
      from_stage: 'awareness',
      to_stage: 'customer',
      cause: 'attributes',
      event_id: null,
    });
    expect(await stageOf(ws, 'account', account.id)).toBe('customer');
  });

  it('refuses a bad map naming the field, and keeps the old one', async () => {
    const ws = await newWorkspace(store, T0);
    await setJourney(store, ws, { preset: 'aida' }, T0);
    await expect(
      setJourney(
        store,
        ws,
        {
          stages: [
            { id: 'seen', name: 'Seen' },
            { id: 'keen', name: 'Keen', criteria: { event: 'x', within_days: -3 } },
          ],
        },
        T0,
      ),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      details: { issues: [expect.objectContaining({ path: 'stages.1.criteria.within_days' })] },
    });
    expect((await getJourney(store, ws)).journey.map.preset).toBe('aida');
  });
});
