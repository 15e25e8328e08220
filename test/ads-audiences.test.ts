// Ads audiences on both stores: `ads` steps put contacts in through the dispatcher; an exit, an
// unsubscribe, an erasure and a suppression take them out (exits only of the audiences that campaign
// filled); full and delta exports are compared byte for byte with files written out by hand from the
// platforms' documented formats, over the repository and over the HTTP API.
//
// Where the hashes come from (none of them from Baton's code):
// - Meta publishes input → normalised → SHA-256 examples in "Customer Information Parameters"
//   (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters,
//   table rows em, ph, fn and country): John_Smith@gmail.com → 62a14e44…f62f, (650)555-1212 → 16505551212
//   → e323ec62…3176, Mary → 6915771b…f4ec, Valéry → valéry → 08e1996b…149c, United States → us →
//   79adb2a2…4621. The same rules apply to customer-file audiences
//   (https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash).
// - Google publishes no example hashes for Customer Match. Its values below were computed with
//   coreutils, `printf '%s' VALUE | sha256sum`, from the normalisation Google documents
//   (https://support.google.com/google-ads/answer/7476159 "Formatting guidelines for uploading hashed
//   data" and the Customer Match template https://g.co/wudy8r "Hashed Formatting Guidelines": lowercase,
//   no spaces, phone in E.164 with `+`; Country and Zip not hashed). So were the Meta values that have no
//   published example (smith, oneil, 33123456789, fr, 94025, 75001 and the example.com addresses).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsChannel } from '../src/channels/ads.channel.js';
import { ChannelRegistry } from '../src/channels/channel.js';
import { unsubscribeContact } from '../src/channels/email/outcomes.js';
import { LogChannel } from '../src/channels/log.channel.js';
import { campaignSchema, type CampaignInput } from '../src/domain/campaign.js';
import { workspaceSettings } from '../src/domain/workspace-settings.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { buildRuntime } from '../src/engine/campaign-runtime.js';
import { Dispatcher } from '../src/engine/dispatcher.js';
import { enrollContacts } from '../src/engine/enroller.js';
import { exitEnrollments } from '../src/engine/exits.js';
import { AdsAudiencesRepository } from '../src/store/ads-audiences.repository.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { ContactsRepository } from '../src/store/contacts.repository.js';
import { SuppressionsRepository } from '../src/store/suppressions.repository.js';
import { apiFor, bearer } from './api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2027-01-04T00:00:00Z'); // a Monday
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Published by Meta (see the header).
const META_EM_JOHN = '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f';
const META_PH_US = 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176';
const META_FN_MARY = '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec';
const META_FN_VALERY = '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c';
const META_COUNTRY_US = '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621';
// Computed with `printf '%s' VALUE | sha256sum` (see the header).
const SHA = {
  'john_smith@gmail.com': META_EM_JOHN,
  '+16505551212': '1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8',
  smith: '6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd',
  '94025': 'b9a9cf3cd3723a2e91b7c23ecf68456e872b6e5d86e5cab7f3d45a7302da32c7',
  'valery.dupont@example.fr': 'a879c8ec30d94fa940e5884e9fc768ab823c9f4fd3b45c1a5bd17ac3d095a71e',
  '+33123456789': '022a2d6f0a45a74fd127cffcc558e0486a29af66d29bb1964cc5b47a75d62a6a',
  '33123456789': 'c473fbda80d42b39ba327f6a8b30fc64390255128a1b9d411179454bb58e5ec7',
  "o'neil": 'eb1aed4f494ca276a88d3161252e48e0fe703f32666fe44fe4652f660b82cda4',
  oneil: '67a42a846e98e3c1a96cd6ba14883a5ea05990cd93964ce8b832aa9497ca785c',
  fr: '67ad8f41a7bb0a18c45f3efd8f6a32bdcd832bcf8f3f2eb44006c03d53076e18',
  '75001': '3f089dbdff98360a35193e7d401b76b21f5c0d5d6fb76a28660aaaed83a4c3e3',
  'c@example.com': '50b313b4b64bd2a2ab9305ad1965147e85239555815da6857bf532010c74b0d6',
  'd@example.com': '5fe5806a804c99a33dd1dfb18fadd87f4ff450027de5515122b850decfd5f9a2',
  'e@example.com': '2457bafa74fb237eccdbaab2629da522182eee979409ff6568f27baa77ed5c10',
  'f@example.com': 'e326a7d90252df80f02b3f3ab17b98e1356db2db1ee20ef75a697322943b9524',
};

// One line per person, as each platform's file holds it.
const GOOGLE_HEADER = 'Email,Phone,First Name,Last Name,Country,Zip';
const META_HEADER = 'EMAIL,PHONE,FN,LN,COUNTRY,ZIP';
const GOOGLE = {
  a: `${SHA['john_smith@gmail.com']},${SHA['+16505551212']},${META_FN_MARY},${SHA.smith},us,94025`,
  b: `${SHA['valery.dupont@example.fr']},${SHA['+33123456789']},${META_FN_VALERY},${SHA["o'neil"]},fr,75001`,
  c: `${SHA['c@example.com']},,,,,`,
  d: `${SHA['d@example.com']},,,,,`,
  e: `${SHA['e@example.com']},,,,,`,
  f: `${SHA['f@example.com']},,,,,`,
};
const META = {
  a: `${META_EM_JOHN},${META_PH_US},${META_FN_MARY},${SHA.smith},${META_COUNTRY_US},${SHA['94025']}`,
  b: `${SHA['valery.dupont@example.fr']},${SHA['33123456789']},${META_FN_VALERY},${SHA.oneil},${SHA.fr},${SHA['75001']}`,
  c: `${SHA['c@example.com']},,,,,`,
  d: `${SHA['d@example.com']},,,,,`,
  e: `${SHA['e@example.com']},,,,,`,
  f: `${SHA['f@example.com']},,,,,`,
};
const file = (header: string, lines: string[]): string => `${[header, ...lines].join('\n')}\n`;

async function addContact(
  store: TestStore,
  ws: string,
  id: string,
  c: { email: string; phone?: string; first?: string; last?: string; attributes?: Record<string, unknown> },
) {
  await store.db
    .insertInto('contacts')
    .values({
      id,
      workspace_id: ws,
      email: c.email,
      phone: c.phone ?? null,
      first_name: c.first ?? null,
      last_name: c.last ?? null,
      time_zone: 'UTC',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: JSON.stringify(c.attributes ?? {}),
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  return { id, account_id: null, time_zone: 'UTC' };
}

function adsCampaign(id: string, audience: string): CampaignInput {
  return {
    id,
    name: id,
    objective: 'launch',
    window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
    channels: ['ads', 'log'],
    sequence: [
      { id: 'retarget', channel: 'ads', delay: '0d', audience },
      { id: 'later', channel: 'log', delay: '20d' },
    ],
  };
}

describe.each(dialects)('ads audiences on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  let channels: ChannelRegistry;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
    channels = new ChannelRegistry().register(new AdsChannel(store)).register(new LogChannel(store, 'log'));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('fills audiences through the dispatcher, empties them on exit, unsubscribe, erasure and suppression, and exports both platforms’ files', async () => {
    const ws = await newWorkspace(store);
    const repo = new CampaignsRepository(store);
    const runtime = async (input: CampaignInput) => {
      const spec = campaignSchema.parse(input);
      await repo.insert(ws, spec, T0);
      await repo.setStatus(ws, spec.id, 'draft', 'running', T0, { launchedAt: T0 });
      return buildRuntime(ws, spec, 1, workspaceSettings({}));
    };
    const q1 = await runtime(adsCampaign('q1', 'Q1 retarget'));
    const other = await runtime(adsCampaign('other', 'Lookalike seed'));
    const people = [
      await addContact(store, ws, 'ct_a', {
        email: 'John_Smith@gmail.com',
        phone: '+1 (650) 555-1212',
        first: 'Mary',
        last: 'Smith',
        attributes: { country: 'US', zip: '94025' },
      }),
      await addContact(store, ws, 'ct_b', {
        email: 'valery.dupont@example.fr',
        phone: '0033 1 23 45 67 89',
        first: 'Valéry',
        last: "O'Neil",
        attributes: { country: 'fr', postal_code: '75001' },
      }),
      await addContact(store, ws, 'ct_c', { email: 'c@example.com' }),
      await addContact(store, ws, 'ct_d', { email: 'd@example.com' }),
      await addContact(store, ws, 'ct_e', { email: 'e@example.com' }),
    ];
    await enrollContacts(store, q1, people, T0);
    await enrollContacts(store, other, [people[2]!], T0);
    const dispatcher = new Dispatcher(store, channels, { workerId: 'w1' });
    // C is in both campaigns: the daily cap puts the second ads touch on day 2.
    for (let t = T0; t <= T0 + DAY + 12 * HOUR; t += HOUR) await dispatcher.drain(t);

    const audiences = new AdsAudiencesRepository(store);
    const listed = await audiences.list(ws);
    expect(listed.map((a) => [a.name, a.members, a.removed])).toEqual([
      ['Lookalike seed', 1, 0],
      ['Q1 retarget', 5, 0],
    ]);
    // The ads touches are sent, each naming its audience.
    const touches = await store.db
      .selectFrom('touches')
      .select(['status', 'details'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'retarget')
      .execute();
    expect(touches.map((t) => t.status)).toEqual(Array(6).fill('sent'));

    const t1 = T0 + DAY + 13 * HOUR;
    const google = await audiences.export(ws, 'Q1 retarget', { format: 'google', mode: 'full' }, t1);
    expect(google.mode === 'full' && google.csv).toBe(
      file(GOOGLE_HEADER, [GOOGLE.a, GOOGLE.b, GOOGLE.c, GOOGLE.d, GOOGLE.e]),
    );
    const meta = await audiences.export(ws, 'Q1 retarget', { format: 'meta', mode: 'full' }, t1);
    expect(meta.mode === 'full' && meta.csv).toBe(
      file(META_HEADER, [META.a, META.b, META.c, META.d, META.e]),
    );

    // Day 2: C's enrollment in q1 exits (a conversion), B unsubscribes, D is erased, E is suppressed.
    const t2 = T0 + 2 * DAY;
    const enrollmentOf = async (campaign: string, contact: string) =>
      (
        await store.db
          .selectFrom('enrollments')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('campaign_id', '=', campaign)
          .where('contact_id', '=', contact)
          .executeTakeFirstOrThrow()
      ).id;
    await exitEnrollments(store.db, ws, [await enrollmentOf('q1', 'ct_c')], 'converted', t2);
    await unsubscribeContact(store, ws, 'ct_b', null, t2, { method: 'test' });
    await new ContactsRepository(store).delete(ws, 'ct_d', t2);
    await new SuppressionsRepository(store).add(ws, { value: 'E@example.com', reason: 'manual' }, t2);
    // Day 3: a newcomer enters.
    const f = await addContact(store, ws, 'ct_f', { email: 'f@example.com' });
    await enrollContacts(store, q1, [f], T0 + 3 * DAY);
    for (let t = T0 + 3 * DAY; t <= T0 + 4 * DAY; t += HOUR) await dispatcher.drain(t);

    const reasons = await store.db
      .selectFrom('ads_audience_members')
      .innerJoin('ads_audiences', 'ads_audiences.id', 'ads_audience_members.audience_id')
      .select(['ads_audiences.name', 'contact_id', 'removed_reason'])
      .where('ads_audience_members.workspace_id', '=', ws)
      .orderBy('ads_audiences.name')
      .orderBy('contact_id')
      .execute();
    expect(reasons.map((r) => [r.name, r.contact_id, r.removed_reason])).toEqual([
      // C left q1's audience, not the one the other campaign put them in.
      ['Lookalike seed', 'ct_c', null],
      ['Q1 retarget', 'ct_a', null],
      ['Q1 retarget', 'ct_b', 'unsubscribed'],
      ['Q1 retarget', 'ct_c', 'exited:converted'],
      ['Q1 retarget', 'ct_d', 'erased'],
      ['Q1 retarget', 'ct_e', 'suppressed'],
      ['Q1 retarget', 'ct_f', null],
    ]);

    // The delta since the previous Meta export (t1): F added; B, C, D and E removed (D only as hashes).
    const t4 = T0 + 4 * DAY + HOUR;
    const delta = await audiences.export(ws, 'Q1 retarget', { format: 'meta', mode: 'delta' }, t4);
    expect(delta).toEqual({
      mode: 'delta',
      format: 'meta',
      since: t1,
      until: t4,
      added: { count: 1, csv: file(META_HEADER, [META.f]) },
      removed: { count: 4, csv: file(META_HEADER, [META.b, META.c, META.d, META.e]) },
    });
    // A second delta right after finds nothing new: it starts where the previous export ended.
    const again = await audiences.export(ws, 'Q1 retarget', { format: 'meta', mode: 'delta' }, t4 + HOUR);
    expect(again.mode === 'delta' && [again.since, again.added.count, again.removed.count]).toEqual([
      t4,
      0,
      0,
    ]);

    // Over HTTP: the list, a full Google file, and a Google delta from an explicit time.
    const auth = await bearer(store, ws, ['read']);
    clock.set(Math.max(clock.now(), t4 + 2 * HOUR));
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/audiences',
      headers: { authorization: auth },
    });
    expect(list.statusCode).toBe(200);
    const q1Audience = (
      list.json() as { data: Array<{ id: string; name: string; members: number; removed: number }> }
    ).data.find((a) => a.name === 'Q1 retarget')!;
    expect([q1Audience.members, q1Audience.removed]).toEqual([2, 4]);
    const full = await app.inject({
      method: 'GET',
      url: `/api/v1/audiences/${q1Audience.id}/export?format=google&mode=full`,
      headers: { authorization: auth },
    });
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(full.body).toBe(file(GOOGLE_HEADER, [GOOGLE.a, GOOGLE.f]));
    const since = new Date(T0 + 2 * DAY - HOUR).toISOString();
    const googleDelta = await app.inject({
      method: 'GET',
      url: `/api/v1/audiences/${q1Audience.id}/export?format=google&mode=delta&since=${since}`,
      headers: { authorization: auth },
    });
    expect(googleDelta.statusCode).toBe(200);
    const body = googleDelta.json() as { added: { csv: string }; removed: { csv: string }; upload: string };
    expect(body.added.csv).toBe(file(GOOGLE_HEADER, [GOOGLE.f]));
    expect(body.removed.csv).toBe(file(GOOGLE_HEADER, [GOOGLE.b, GOOGLE.c, GOOGLE.d, GOOGLE.e]));
    expect(body.upload).toMatch(/Remove data/);

    const bad = await app.inject({
      method: 'GET',
      url: `/api/v1/audiences/${q1Audience.id}/export?format=tiktok`,
      headers: { authorization: auth },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.message).toMatch(/format/);
    const missing = await app.inject({
      method: 'GET',
      url: '/api/v1/audiences/nope/export?format=meta',
      headers: { authorization: auth },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('fails an ads step without an audience or without any identifier a platform matches on', async () => {
    const ws = await newWorkspace(store);
    const results = await new AdsChannel(store).send([
      message(ws, 'ct_x', { audience: '' }, { email: 'x@example.com' }),
      message(ws, 'ct_y', { audience: 'A' }, { email: null }),
    ]);
    expect(results).toEqual([
      { status: 'failed', error: 'audience: the ads step names no audience' },
      { status: 'failed', error: 'the contact has no email or phone an ad platform can match' },
    ]);
    expect(await new AdsAudiencesRepository(store).list(ws)).toEqual([]);
  });
});

function message(
  ws: string,
  contactId: string,
  content: Record<string, unknown>,
  contact: { email: string | null },
) {
  return {
    workspaceId: ws,
    touchId: `tch_${contactId}`,
    idempotencyKey: `tch_${contactId}`,
    campaignId: 'c',
    stepId: 's',
    variantId: null,
    channel: 'ads',
    contact: {
      id: contactId,
      email: contact.email,
      phone: null,
      first_name: null,
      last_name: null,
      time_zone: null,
      account_id: null,
      attributes: {},
    },
    content,
    now: T0,
  };
}
