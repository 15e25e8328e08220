// Accounts with stage criteria of their own, on both stores: with `account_stage: own` an account reaches
// Decision when an opportunity is opened on it (a CRM deal with no contact) and Customer when the deal is
// won, whatever its contacts do, and its history names the deal event with cause `account_criteria`; an
// account attribute moves an account on the next pass; with `furthest` the account takes the further of
// its contacts' stage and its own; bad account criteria are refused naming the field, and nothing changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { importDeals } from '../../src/store/journey/deals-import.js';
import { getJourney, setJourney } from '../../src/store/journey/journey-map.repository.js';
import { ListsRepository } from '../../src/store/lists.repository.js';
import { ingestFixture } from '../ingest/ingest-support.js';
import { ownStore } from '../ops/ops-support.js';
import { dialects, newWorkspace, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-04-05T09:00:00Z');
const DAY = 86_400_000;

describe.each(dialects)('account stage criteria (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    // A database of its own: each journey pass sweeps every workspace at its own `now`, so another
    // file's pass at a later time would move this file's contacts out of their windows mid-test.
    const own = await ownStore(dialect);
    store = { ...own.store, dispose: own.dispose };
  });
  afterAll(() => store.dispose());

  const stageOf = async (ws: string, kind: string, id: string) =>
    (
      await store.db
        .selectFrom('journey_stages')
        .select('stage')
        .where('workspace_id', '=', ws)
        .where('subject_kind', '=', kind)
        .where('subject_id', '=', id)
        .executeTakeFirst()
    )?.stage ?? null;
  const history = (ws: string, id: string) =>
    store.db
      .selectFrom('journey_stage_changes')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('subject_id', '=', id)
      .orderBy('changed_at')
      .orderBy('id')
      .execute();
  const eventId = async (ws: string, messageId: string) =>
    (
      await store.db
        .selectFrom('events')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('message_id', '=', messageId)
        .executeTakeFirstOrThrow()
    ).id;

  it('moves an account on its own deals (own criteria), naming the deal event', async () => {
    const ws = await newWorkspace(store, T0);
    const accounts = new AccountsRepository(store);
    const acme = await accounts.create(ws, { domain: 'acme.example', name: 'Acme' }, T0);
    const globex = await accounts.create(ws, { domain: 'globex.example', name: 'Globex' }, T0);
    const contacts = new ContactsRepository(store);
    const ana = await contacts.create(ws, { email: 'ana@acme.example', account_id: acme.id }, T0);

    const set = await setJourney(store, ws, { preset: 'default', account_stage: 'own' }, T0);
    expect(set.journey.map.account_stage).toBe('own');
    // Own criteria: both accounts (with or without contacts) start in the first stage.
    expect(await stageOf(ws, 'account', acme.id)).toBe('awareness');
    expect(await stageOf(ws, 'account', globex.id)).toBe('awareness');

    // An opportunity from the CRM export: an account-level event with no contact.
    const opened = T0 + 2 * DAY;
    await importDeals(
      store,
      ws,
      `type,amount,occurred_at,account_id,deal_id\nOpportunity Created,30000,${new Date(opened).toISOString()},${acme.id},OPP-1\n`,
      T0 + 2 * DAY,
    );
    await processEvents(store, T0 + 2 * DAY + 1000);
    expect(await stageOf(ws, 'account', acme.id)).toBe('decision');
    expect(await stageOf(ws, 'account', globex.id)).toBe('awareness');
    // The contact did nothing: own criteria move the account, not its people.
    expect(await stageOf(ws, 'contact', ana.id)).toBe('awareness');
    const opp = await eventId(ws, 'deal:OPP-1:Opportunity Created');
    expect((await history(ws, acme.id)).map((h) => [h.from_stage, h.to_stage, h.cause, h.event_id])).toEqual([
      [null, 'awareness', 'journey_changed', null],
      ['awareness', 'decision', 'account_criteria', opp],
    ]);
    expect(Number((await history(ws, acme.id))[1]!.changed_at)).toBe(opened);

    // The deal is won through the event API by a contact of the account: Customer.
    const won = T0 + 9 * DAY;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'Deal Won',
        occurredAt: won,
        receivedAt: won,
        contactId: ana.id,
        messageId: `${ws}-won`,
        properties: { amount: 30_000, deal_id: 'OPP-1' },
      },
    ]);
    await processEvents(store, won + 1000);
    expect(await stageOf(ws, 'account', acme.id)).toBe('customer');
    expect((await history(ws, acme.id)).at(-1)).toMatchObject({
      from_stage: 'decision',
      to_stage: 'customer',
      cause: 'account_criteria',
      event_id: await eventId(ws, `${ws}-won`),
      event_type: 'Deal Won',
    });
    // Ana's own criteria (Deal Won is a Customer criterion for contacts too) moved her as well.
    expect(await stageOf(ws, 'contact', ana.id)).toBe('customer');
    // A second pass records nothing.
    await processEvents(store, won + 2000);
    expect(await history(ws, acme.id)).toHaveLength(3);
  });

  it('moves an account when its attributes meet a stage, and takes the further of both with `furthest`', async () => {
    const ws = await newWorkspace(store, T0);
    const accounts = new AccountsRepository(store);
    const acme = await accounts.create(ws, { domain: 'acme.example', name: 'Acme' }, T0);
    const initech = await accounts.create(ws, { domain: 'initech.example', name: 'Initech' }, T0);
    const contacts = new ContactsRepository(store);
    const bo = await contacts.create(ws, { email: 'bo@initech.example', account_id: initech.id }, T0);
    await setJourney(
      store,
      ws,
      {
        account_stage: 'furthest',
        stages: [
          { id: 'known', name: 'Known' },
          { id: 'engaged', name: 'Engaged', criteria: { event: 'pricing_page_viewed', within_days: 30 } },
          {
            id: 'target',
            name: 'Target account',
            account_criteria: {
              all: [
                { attribute: 'industry', op: 'eq', value: 'software' },
                { attribute: 'attributes.tier', op: 'in', value: ['A', 'B'] },
              ],
            },
          },
          {
            id: 'buying',
            name: 'Buying',
            account_criteria: {
              event: 'Opportunity Created',
              where: [{ property: 'amount', op: 'gte', value: 10000 }],
            },
          },
        ],
      },
      T0,
    );
    // `furthest`: an account without contacts has no contact stage and its own criteria hold for none
    // beyond the first stage.
    expect(await stageOf(ws, 'account', acme.id)).toBe('known');
    expect(await stageOf(ws, 'account', initech.id)).toBe('known');

    // Acme's CRM fields change: it becomes a target account on the next pass (the accounts cursor).
    await accounts.update(ws, acme.id, { industry: 'software', attributes: { tier: 'A' } }, T0 + DAY);
    await processEvents(store, T0 + DAY + 1000);
    expect(await stageOf(ws, 'account', acme.id)).toBe('target');
    expect((await history(ws, acme.id)).at(-1)).toMatchObject({
      from_stage: 'known',
      to_stage: 'target',
      cause: 'account_criteria',
      event_id: null,
    });

    // Bo views pricing: Initech follows its contact to Engaged (cause contact).
    const viewed = T0 + 2 * DAY;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'pricing_page_viewed',
        occurredAt: viewed,
        receivedAt: viewed,
        contactId: bo.id,
        messageId: `${ws}-view`,
      },
    ]);
    await processEvents(store, viewed + 1000);
    expect(await stageOf(ws, 'contact', bo.id)).toBe('engaged');
    expect(await stageOf(ws, 'account', initech.id)).toBe('engaged');
    expect((await history(ws, initech.id)).at(-1)).toMatchObject({
      to_stage: 'engaged',
      cause: 'contact',
      event_id: await eventId(ws, `${ws}-view`),
    });

    // A small opportunity does not meet Buying's amount; a large one does.
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'Opportunity Created',
        occurredAt: viewed + DAY,
        receivedAt: viewed + DAY,
        accountId: initech.id,
        messageId: `${ws}-small`,
        properties: { amount: 900 },
      },
    ]);
    await processEvents(store, viewed + DAY + 1000);
    expect(await stageOf(ws, 'account', initech.id)).toBe('engaged');
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'Opportunity Created',
        occurredAt: viewed + 2 * DAY,
        receivedAt: viewed + 2 * DAY,
        accountId: initech.id,
        messageId: `${ws}-large`,
        properties: { amount: 25_000 },
      },
    ]);
    await processEvents(store, viewed + 2 * DAY + 1000);
    expect(await stageOf(ws, 'account', initech.id)).toBe('buying');
    expect((await history(ws, initech.id)).at(-1)).toMatchObject({
      from_stage: 'engaged',
      to_stage: 'buying',
      cause: 'account_criteria',
      event_id: await eventId(ws, `${ws}-large`),
    });
    // Its contact stays where its own criteria put it.
    expect(await stageOf(ws, 'contact', bo.id)).toBe('engaged');
  });

  it('refuses bad account criteria naming the field, and keeps the old map', async () => {
    const ws = await newWorkspace(store, T0);
    await setJourney(store, ws, { preset: 'aida' }, T0);
    const people = await new ListsRepository(store).create(ws, { name: 'VIP people', kind: 'contact' }, T0);
    const refused = async (input: unknown) => {
      const err = await setJourney(store, ws, input, T0 + DAY).then(
        () => null,
        (e: unknown) => e as { code: string; details: { issues: Array<{ path: string; message: string }> } },
      );
      expect(err?.code).toBe('invalid_input');
      return err!.details.issues;
    };
    const two = (account_criteria: unknown) => ({
      account_stage: 'own',
      stages: [
        { id: 'known', name: 'Known' },
        { id: 'hot', name: 'Hot', account_criteria },
      ],
    });

    const unknownField = await refused(two({ attribute: 'revenue_band', op: 'eq', value: 'x' }));
    expect(unknownField[0]!.path).toBe('stages.1.account_criteria.attribute');
    expect(unknownField[0]!.message).toMatch(
      /^"revenue_band" is not a known field; use one of account\.external_id/,
    );

    const badOp = await refused(two({ attribute: 'size', op: 'contains', value: 'x' }));
    expect(badOp[0]!.path).toBe('stages.1.account_criteria.op');

    const segment = await refused(two({ any: [{ segment: 'anything' }] }));
    expect(segment[0]).toMatchObject({ path: 'stages.1.account_criteria.any.0.segment' });
    expect(segment[0]!.message).toMatch(/cannot use a saved segment/);

    const contactList = await refused(two({ list: people.name }));
    expect(contactList[0]).toMatchObject({ path: 'stages.1.account_criteria.list' });
    expect(contactList[0]!.message).toMatch(/holds contacts/);

    const noCriteria = await refused({
      account_stage: 'furthest',
      stages: [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B', criteria: { event: 'x' } },
      ],
    });
    expect(noCriteria).toEqual([expect.objectContaining({ path: 'account_stage' })]);

    const badMode = await refused({ preset: 'default', account_stage: 'sideways' });
    expect(badMode[0]!.path).toBe('account_stage');

    const j = await getJourney(store, ws);
    expect(j.journey.map.preset).toBe('aida');
    expect(j.journey.map.account_stage).toBe('contacts');
    expect(j.updatedAt).toBe(T0);
  });

  it('takes account criteria through PUT /api/v1/journey/stages and names a bad field in the body', async () => {
    const clock = new SimulatedClock(T0);
    const fx = await ingestFixture(store, clock, T0);
    const { key } = await new ApiKeysRepository(store).create(
      fx.ws,
      { kind: 'api', scopes: ['read', 'write'] },
      T0,
    );
    const auth = { authorization: `Bearer ${key}` };
    const put = (payload: unknown) =>
      fx.app.inject({
        method: 'PUT',
        url: '/api/v1/journey/stages',
        headers: auth,
        payload: payload as object,
      });

    const bad = await put({
      account_stage: 'own',
      stages: [
        { id: 'known', name: 'Known' },
        { id: 'hot', name: 'Hot', account_criteria: { attribute: 'industry', op: 'gt', value: 3 } },
      ],
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0].path).toBe('body.stages.1.account_criteria.op');
    const mode = await put({ preset: 'default', account_stage: 'sideways' });
    expect(mode.statusCode).toBe(422);
    expect(mode.json().error.details.issues[0].path).toBe('body.account_stage');
    expect(
      (await fx.app.inject({ method: 'GET', url: '/api/v1/journey/stages', headers: auth })).json().enabled,
    ).toBe(false);

    const ok = await put({ preset: 'default', account_stage: 'furthest' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ enabled: true, account_stage: 'furthest' });
    expect(ok.json().stages[3]).toMatchObject({ id: 'customer', account_criteria: { event: 'Deal Won' } });
    await fx.app.close();
  });
});
