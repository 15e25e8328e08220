// SMS end to end on both stores: the dispatcher sends through the SMS channel to a real HTTP server started
// here that plays the Twilio Messages API (form-encoded POST, basic auth). A contact without consent is
// never sent to; a touch inside quiet hours in the contact's zone waits for their end without using up an
// attempt; a STOP reply (signed like Twilio signs it) withdraws consent and later SMS touches are not sent;
// status callbacks record delivery; other replies count as `replied`; a 500 is retried and a 400 fails for
// good (Twilio's 21610, recipient unsubscribed, also withdraws consent).
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { SmsChannel } from '../../src/channels/sms.channel.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { fromJson } from '../../src/store/json.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import {
  addContact,
  addRunningCampaign,
  ALL_DAY,
  retire,
  setSettings,
  T0,
  touchesOf,
  WINDOW,
  type TestContact,
} from './fixtures.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-for-tests';
const FROM = '+15005550006';
const PUBLIC_URL = 'https://baton.test';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Sent {
  to: string;
  from: string;
  body: string;
  statusCallback: string;
  sid: string;
}

/** Twilio's documented signature (HMAC-SHA1 over URL + sorted name/value pairs), written out independently. */
function twilioSign(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((s, k) => s + k + params[k], url);
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

async function startFakeTwilio(): Promise<{ server: Server; url: string; sent: Sent[]; calls: string[] }> {
  const sent: Sent[] = [];
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`)
        return json(404, { code: 20404, message: 'The requested resource was not found' });
      const auth = Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64');
      if (req.headers.authorization !== `Basic ${auth}`)
        return json(401, { code: 20003, message: 'Authenticate' });
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return json(415, { message: 'form bodies only' });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To') ?? '';
      calls.push(to);
      if (to === '+15005550009' && calls.filter((c) => c === to).length === 1)
        return json(500, { code: 20500, message: 'Internal Server Error' });
      if (to === '+15005550004')
        return json(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' });
      if (to === '+15005550001')
        return json(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.` });
      const sid = `SM${randomBytes(16).toString('hex')}`;
      sent.push({
        to,
        from: form.get('From') ?? '',
        body: form.get('Body') ?? '',
        statusCallback: form.get('StatusCallback') ?? '',
        sid,
      });
      return json(201, { sid, status: 'queued', to, from: form.get('From') });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, calls };
}

describe.each(dialects)('SMS channel end to end on %s', (dialect) => {
  let store: TestStore;
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;
  let app: FastifyInstance;
  let channel: SmsChannel;
  let dispatcher: Dispatcher;
  const clock = new SimulatedClock(T0);
  const used: string[] = [];

  beforeAll(async () => {
    store = await openTestStore(dialect);
    twilio = await startFakeTwilio();
    app = await buildApp({
      store,
      clock,
      secret: 'sms-test-secret',
      publicUrl: PUBLIC_URL,
      sms: { authToken: TOKEN },
    });
    channel = new SmsChannel(store, {
      provider: { apiUrl: twilio.url, accountSid: ACCOUNT, authToken: TOKEN, from: FROM },
      publicUrl: PUBLIC_URL,
    });
    dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'sms-test',
      retryBaseMs: 60_000,
    });
  });
  afterEach(async () => {
    for (const ws of used.splice(0)) await retire(store, ws);
  });
  afterAll(async () => {
    await app.close();
    twilio.server.closeAllConnections();
    await new Promise((r) => twilio.server.close(r));
    await store.dispose();
  });

  async function workspace(settings: Record<string, unknown> = {}) {
    const ws = await newWorkspace(store);
    used.push(ws);
    await setSettings(store, ws, settings);
    return ws;
  }

  async function smsCampaign(ws: string, id: string, contacts: TestContact[], body: string, now = T0) {
    const rt = await addRunningCampaign(
      store,
      ws,
      {
        id,
        name: `SMS ${id}`,
        objective: 'custom',
        window: WINDOW,
        channels: ['sms'],
        sequence: [{ id: 'text', channel: 'sms', send_window: ALL_DAY, body }],
      },
      now,
    );
    await enrollContacts(store, rt, contacts, now);
  }

  const sentTo = (phone: string) => twilio.sent.filter((s) => s.to === phone);

  function post(
    url: string,
    params: Record<string, string>,
    signature = twilioSign(`${PUBLIC_URL}${url}`, params),
  ) {
    return app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(params).toString(),
    });
  }

  it('sends to consented contacts in E.164 only, and records delivery from the signed status callback', async () => {
    const ws = await workspace({ sms: { from: '+15005550007' } });
    const ada = await addContact(store, ws, 'Ada', { phone: '+44 7700 900123', smsConsent: true });
    const bob = await addContact(store, ws, 'Bob', { phone: '+44 7700 900456', smsConsent: false });
    const cyd = await addContact(store, ws, 'Cyd', { phone: '07700 900789', smsConsent: true });
    await smsCampaign(
      ws,
      'promo',
      [ada, bob, cyd],
      'Hi {{ contact.first_name }}, your {{ contact.plan }} trial ends Friday. Reply STOP to opt out.',
    );
    await dispatcher.drain(T0);

    const touches = await touchesOf(store, ws);
    const of = (c: TestContact) => touches.find((t) => t.contact_id === c.id)!;
    expect(sentTo('+447700900123')).toHaveLength(1);
    const msg = sentTo('+447700900123')[0]!;
    expect(msg.from).toBe('+15005550007');
    expect(msg.body).toBe('Hi Ada, your pro trial ends Friday. Reply STOP to opt out.');
    expect(msg.statusCallback).toBe(`${PUBLIC_URL}/sms/status/${of(ada).id}`);
    expect(of(ada).status).toBe('sent');
    expect(of(ada).message_id).toBe(msg.sid);

    // No consent: skipped at claim, nothing reaches the provider.
    expect(of(bob).status).toBe('skipped');
    expect(of(bob).reason).toBe('no_sms_consent');
    expect(sentTo('+447700900456')).toHaveLength(0);
    // A number without a country code cannot be placed: failed with the reason.
    expect(of(cyd).status).toBe('failed');
    expect(of(cyd).reason).toMatch(/the contact's phone has no country code/);
    expect(twilio.sent.filter((s) => s.body.includes('Cyd'))).toHaveLength(0);

    // Status callbacks: a forged one changes nothing, a signed one records delivery once.
    const statusUrl = `/sms/status/${of(ada).id}`;
    const params = { MessageSid: msg.sid, MessageStatus: 'delivered', AccountSid: ACCOUNT };
    expect((await post(statusUrl, params, 'forged')).statusCode).toBe(403);
    expect((await post(statusUrl, { ...params, MessageSid: 'SMnotthisone' })).statusCode).toBe(404);
    expect((await post(statusUrl, params)).statusCode).toBe(204);
    expect((await post(statusUrl, params)).statusCode).toBe(204);
    const delivered = await store.db
      .selectFrom('events')
      .select(['type', 'touch_id', 'channel'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'delivered')
      .execute();
    expect(delivered).toEqual([{ type: 'delivered', touch_id: of(ada).id, channel: 'sms' }]);
    const after = (await touchesOf(store, ws)).find((t) => t.id === of(ada).id)!;
    expect(fromJson<{ sms: { status: string } }>(after.details, { sms: { status: '' } }).sms.status).toBe(
      'delivered',
    );
  });

  it('re-reads consent at send time: a contact who withdrew after the claim is not sent to', async () => {
    const ws = await workspace();
    const ada = await addContact(store, ws, 'Ada', { phone: '+447700900111', smsConsent: false });
    const [r] = await channel.send([
      {
        workspaceId: ws,
        touchId: 'tch_manual',
        idempotencyKey: 'tch_manual',
        campaignId: 'promo',
        stepId: 'text',
        variantId: null,
        channel: 'sms',
        contact: { ...ada, first_name: 'Ada', last_name: null, attributes: {} },
        content: { body: 'Hello' },
        now: T0,
      },
    ]);
    expect(r).toEqual({
      status: 'failed',
      error: 'the contact has not consented to SMS (sms_consent is off)',
    });
    expect(sentTo('+447700900111')).toHaveLength(0);
  });

  it('holds touches inside quiet hours in the contact’s zone until they end, without using up attempts', async () => {
    const ws = await workspace({ sms: { quiet_hours: { start: '21:00', end: '08:00' } } });
    // 10:00 UTC is 05:00 in New York (EST, UTC−5): quiet until 08:00 EST = 13:00 UTC. Eight people, so the
    // dispatcher's per-touch jitter (±20%, fixed per touch while its attempts stay refunded) brings some
    // back before the end (held again) and some after.
    const phones = Array.from({ length: 8 }, (_, i) => `+1212555013${i}`);
    const people = [];
    for (const [i, phone] of phones.entries()) {
      people.push(
        await addContact(store, ws, `Nia${i}`, { phone, smsConsent: true, timeZone: 'America/New_York' }),
      );
    }
    await smsCampaign(ws, 'quiet', people, 'Good morning {{ contact.first_name }}');
    await dispatcher.drain(T0);
    const quietEnd = Date.parse('2026-01-05T13:00:00Z');
    let touches = await touchesOf(store, ws);
    for (const t of touches) {
      expect(t.status).toBe('planned');
      expect(t.reason).toBe('retry:quiet hours in America/New_York (21:00–08:00)');
      expect(t.attempts).toBe(0);
      // retryAfterMs is the wait to the end of quiet hours, with the dispatcher's ±20% jitter.
      expect(Number(t.due_at)).toBeGreaterThanOrEqual(T0 + 0.8 * (quietEnd - T0) - 1);
      expect(Number(t.due_at)).toBeLessThanOrEqual(T0 + 1.2 * (quietEnd - T0) + 1);
    }
    expect(phones.flatMap(sentTo)).toHaveLength(0);

    // Step through the touches' due times: a try still inside quiet hours is held once more at most (the wait
    // asked for in their last hour outlasts the −20% jitter); the first try after 08:00 local goes out.
    let rounds = 0;
    for (; rounds < 2 * phones.length && touches.some((t) => t.status === 'planned'); rounds++) {
      await dispatcher.drain(
        Math.min(...touches.filter((t) => t.status === 'planned').map((t) => Number(t.due_at))),
      );
      touches = await touchesOf(store, ws);
    }
    for (const t of touches) {
      expect(t.status).toBe('sent');
      expect(t.attempts).toBe(1);
      expect(Number(t.sent_at)).toBeGreaterThanOrEqual(quietEnd);
      // No later than the first wait's +20%: 36 minutes after quiet hours end.
      expect(Number(t.sent_at)).toBeLessThanOrEqual(quietEnd + 0.2 * (quietEnd - T0) + 1);
    }
    for (const phone of phones) expect(sentTo(phone)).toHaveLength(1);
  });

  it('STOP withdraws SMS consent (a forged reply does not), later SMS touches are not sent, START restores it', async () => {
    const ws = await workspace();
    const ada = await addContact(store, ws, 'Ada', { phone: '+44 7700 900222', smsConsent: true });
    await smsCampaign(ws, 'first', [ada], 'First message');
    await dispatcher.drain(T0);
    expect(sentTo('+447700900222')).toHaveLength(1);

    const inbound = `/sms/inbound/${ws}`;
    // A reply that is not a keyword counts as `replied` on the contact's latest SMS touch.
    const first = (await touchesOf(store, ws))[0]!;
    const reply = {
      MessageSid: 'SMreply0000',
      AccountSid: ACCOUNT,
      From: '+447700900222',
      To: FROM,
      Body: 'Sounds good, call me',
    };
    expect((await post(inbound, reply)).statusCode).toBe(200);
    const replied = await store.db
      .selectFrom('events')
      .select(['type', 'touch_id', 'campaign_id'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'replied')
      .execute();
    expect(replied).toEqual([{ type: 'replied', touch_id: first.id, campaign_id: 'first' }]);
    const stop = {
      MessageSid: 'SMreply0001',
      AccountSid: ACCOUNT,
      From: '+447700900222',
      To: FROM,
      Body: 'Stop',
    };
    const forged = await post(inbound, stop, twilioSign(`${PUBLIC_URL}/sms/inbound/other`, stop));
    expect(forged.statusCode).toBe(403);
    const consent = async () =>
      Number(
        (
          await store.db
            .selectFrom('contacts')
            .select('sms_consent')
            .where('id', '=', ada.id)
            .executeTakeFirstOrThrow()
        ).sms_consent,
      );
    expect(await consent()).toBe(1);

    const res = await post(inbound, stop);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toContain('<Response></Response>');
    expect(await consent()).toBe(0);
    const optOuts = await store.db
      .selectFrom('events')
      .select(['type', 'contact_id'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'sms_opted_out')
      .execute();
    expect(optOuts).toEqual([{ type: 'sms_opted_out', contact_id: ada.id }]);
    // Email is another matter: SMS STOP leaves the email subscription alone.
    const contact = await store.db
      .selectFrom('contacts')
      .select('subscription_status')
      .where('id', '=', ada.id)
      .executeTakeFirstOrThrow();
    expect(contact.subscription_status).toBe('subscribed');

    const later = T0 + DAY;
    await smsCampaign(ws, 'second', [ada], 'Second message', later);
    await dispatcher.drain(later);
    const second = (await touchesOf(store, ws)).find((t) => t.campaign_id === 'second')!;
    expect(second.status).toBe('skipped');
    expect(second.reason).toBe('no_sms_consent');
    expect(sentTo('+447700900222')).toHaveLength(1);

    const start = { ...stop, MessageSid: 'SMreply0002', Body: 'START' };
    expect((await post(inbound, start)).statusCode).toBe(200);
    expect(await consent()).toBe(1);
  });

  it('retries a provider 500 and then sends; a 400 fails for good with the provider’s error code', async () => {
    const ws = await workspace();
    const flaky = await addContact(store, ws, 'Flo', { phone: '+15005550009', smsConsent: true });
    const invalid = await addContact(store, ws, 'Ivy', { phone: '+15005550001', smsConsent: true });
    const stopped = await addContact(store, ws, 'Sol', { phone: '+15005550004', smsConsent: true });
    await smsCampaign(ws, 'retry', [flaky, invalid, stopped], 'Hello {{ contact.first_name }}');
    await dispatcher.drain(T0);
    let touches = await touchesOf(store, ws);
    const f = () => touches.find((t) => t.contact_id === flaky.id)!;
    const bad = touches.find((t) => t.contact_id === invalid.id)!;
    expect(f().status).toBe('planned');
    expect(f().reason).toBe('retry:SMS provider answered 500 (error 20500): Internal Server Error');
    expect(bad.status).toBe('failed');
    expect(bad.reason).toBe(
      "SMS provider answered 400 (error 21211): The 'To' number +15005550001 is not a valid phone number.",
    );

    // Twilio 21610: the person had replied STOP to this number at the provider; Baton records it too.
    const sol = touches.find((t) => t.contact_id === stopped.id)!;
    expect(sol.status).toBe('failed');
    expect(sol.reason).toMatch(/\(error 21610\)/);
    const solConsent = await store.db
      .selectFrom('contacts')
      .select('sms_consent')
      .where('id', '=', stopped.id)
      .executeTakeFirstOrThrow();
    expect(Number(solConsent.sms_consent)).toBe(0);
    // The number is opted out as if the STOP had come to Baton: a later sync cannot give consent back.
    await store.db.updateTable('contacts').set({ sms_consent: 1 }).where('id', '=', stopped.id).execute();
    const afterSync = await store.db
      .selectFrom('contacts')
      .select('sms_consent')
      .where('id', '=', stopped.id)
      .executeTakeFirstOrThrow();
    expect(Number(afterSync.sms_consent)).toBe(0);

    await dispatcher.drain(Number(f().due_at));
    touches = await touchesOf(store, ws);
    expect(f().status).toBe('sent');
    expect(sentTo('+15005550009')).toHaveLength(1);
    expect(twilio.calls.filter((c) => c === '+15005550009')).toHaveLength(2);
  });
});
