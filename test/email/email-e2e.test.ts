// Email end to end on both stores, through real SMTP: the dispatcher sends a two-step campaign through the
// email channel to an smtp-server started here; the test reads what arrived (headers, HTML, text,
// List-Unsubscribe, DKIM), replies through nodemailer into Baton's inbound listener (the second step is
// cancelled), unsubscribes one person with the RFC 8058 one-click POST (no campaign reaches them again),
// and checks that tracking only ever redirects to the stored link and ignores tampered tokens.
import { generateKeyPairSync } from 'node:crypto';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { EmailChannel } from '../../src/channels/email.channel.js';
import { startInboundSmtp, type InboundListener } from '../../src/channels/inbound-smtp.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { fromJson } from '../../src/store/json.js';
import { TemplatesRepository } from '../../src/store/templates.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign } from './fixtures.js';
import { verifyDkim } from './dkim.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const T0 = Date.parse('2027-01-04T10:00:00Z'); // a Monday, inside the default send window
const DAY = 86_400_000;
const SECRET = 'test-secret-for-email';
const PUBLIC_URL = 'https://baton.test';

const MJML = `<mjml><mj-head><mj-title>Launch</mj-title></mj-head><mj-body><mj-section><mj-column>
<mj-text><p>Hi {{ contact.first_name | default: "there" }},</p>
<p>The analytics add-on for {{ account.name | default: "your team" }} is live: <a href="https://example.com/launch?ref={{ contact.id }}">see what is new</a>.</p>
<p><a href="https://example.com/pricing?utm_source=newsletter">Pricing</a></p></mj-text>
<mj-text><a href="{{ links.unsubscribe }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

/** A header as it appears in the raw message (unfolded), which is what a mailbox provider reads. */
function rawHeader(raw: Buffer, name: string): string | undefined {
  const head = raw
    .toString('latin1')
    .split('\r\n\r\n')[0]!
    .replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

const window = { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' };

describe.each(dialects)('email end to end on %s', (dialect) => {
  let store: TestStore;
  let smtp: TestSmtp;
  let inbound: InboundListener;
  let app: FastifyInstance;
  let channel: EmailChannel;
  let dispatcher: Dispatcher;
  const clock = new SimulatedClock(T0);
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    store = await openTestStore(dialect);
    smtp = await startSmtp();
    inbound = await startInboundSmtp(store, clock, { port: 0, host: '127.0.0.1' });
    app = await buildApp({ store, clock, secret: SECRET, publicUrl: PUBLIC_URL });
    channel = new EmailChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, poolSize: 2 });
    dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'w1',
      retryBaseMs: 60_000,
    });
  });
  afterAll(async () => {
    await channel.close();
    await app.close();
    await inbound.close();
    await smtp.close();
    await store.dispose();
  });

  async function setup() {
    const ws = await newWorkspace(store);
    await new EmailSendersRepository(store).upsert(
      ws,
      {
        email: 'ana@mail.example.org',
        name: 'Ana from Baton',
        postal_address: '12 Harbour Street, Portsmouth PO1 2AB, United Kingdom',
        smtp_url: smtp.url,
        dkim_selector: 's1',
        dkim_private_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      T0,
    );
    await new TemplatesRepository(store).upsert(
      ws,
      { id: 'templates/launch.mjml', kind: 'mjml', source: MJML },
      T0,
    );
    return ws;
  }

  async function eventsOf(ws: string, type?: string) {
    let q = store.db.selectFrom('events').selectAll().where('workspace_id', '=', ws);
    if (type) q = q.where('type', '=', type);
    return q.execute();
  }

  it('sends a two-step campaign, reads replies, honours one-click unsubscribe, tracks safely', async () => {
    const ws = await setup();
    const ada = await addContact(store, ws, 'Ada');
    const bob = await addContact(store, ws, 'Bob');
    const cyd = await addContact(store, ws, 'Cyd');
    const rt = await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Analytics launch',
      objective: 'launch',
      window,
      channels: ['email'],
      utm: { source: 'baton', medium: 'email', campaign: 'q1-launch' },
      sequence: [
        {
          id: 'intro',
          channel: 'email',
          subject: '{{ contact.first_name }}, the analytics add-on is here',
          preheader: 'Three dashboards in one view',
          template: 'templates/launch.mjml',
        },
        {
          id: 'followup',
          channel: 'email',
          delay: '2d',
          subject: 'Following up, {{ contact.first_name }}',
          body: 'Hi {{ contact.first_name }}, did you see https://example.com/launch ?',
        },
      ],
    });
    await enrollContacts(store, rt, [ada, bob, cyd], T0);
    const before = smtp.received.length;
    const stats = await dispatcher.drain(T0);
    expect(stats.sent).toBe(3);
    const mine = smtp.received.slice(before);
    expect(mine).toHaveLength(3);

    const touches = await store.db
      .selectFrom('touches')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'intro')
      .execute();
    const touchOf = (contactId: string) => touches.find((t) => t.contact_id === contactId)!;

    // What arrived for Ada: identity, deterministic Message-ID, one-click unsubscribe, HTML + text, DKIM.
    const adaRaw = mine.find((r) => r.to[0] === ada.email)!;
    const mail = await simpleParser(adaRaw.raw);
    const adaTouch = touchOf(ada.id);
    expect(mail.messageId).toBe(`<${adaTouch.id}@mail.example.org>`);
    expect(adaTouch.message_id).toBe(mail.messageId);
    expect(mail.subject).toBe('Ada, the analytics add-on is here');
    expect(mail.from?.value[0]).toEqual({ address: 'ana@mail.example.org', name: 'Ana from Baton' });
    const listUnsub = String(rawHeader(adaRaw.raw, 'List-Unsubscribe'));
    expect(listUnsub).toMatch(/^<https:\/\/baton\.test\/u\/u\.[^>]+>$/);
    expect(rawHeader(adaRaw.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.html).toContain('Hi Ada,');
    expect(mail.html).toContain('Three dashboards in one view');
    expect(mail.html).toContain('12 Harbour Street, Portsmouth PO1 2AB, United Kingdom');
    expect(mail.html).not.toContain('https://example.com/launch');
    expect(mail.html).toMatch(/src="https:\/\/baton\.test\/t\/o\/o\.[^"]+\.gif"/);
    expect(mail.text).toContain('Hi Ada,');
    expect(mail.text).toMatch(/see what is new \[https:\/\/baton\.test\/t\/c\/c\.[^\]]+\]/);
    expect(mail.text).toContain('12 Harbour Street');
    const dkim = verifyDkim(adaRaw.raw, keys.publicKey);
    expect(dkim).toMatchObject({ ok: true, domain: 'mail.example.org' });
    // Tampering with one byte of the body breaks the signature (the verifier can fail).
    const tampered = Buffer.from(adaRaw.raw.toString('latin1').replace('Hi Ada,', 'Hi Eve,'), 'latin1');
    expect(verifyDkim(tampered, keys.publicKey).ok).toBe(false);

    // Click: 302 to the stored link with the campaign's UTM (a link's own utm_source is kept).
    const html = String(mail.html);
    const clicks = [...html.matchAll(/href="https:\/\/baton\.test(\/t\/c\/[^"]+)"/g)].map((m) => m[1]!);
    expect(clicks).toHaveLength(2);
    clock.set(T0 + 60_000);
    const r1 = await app.inject({
      method: 'GET',
      url: clicks[0]!,
      headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Firefox/130' },
    });
    expect(r1.statusCode).toBe(302);
    expect(r1.headers.location).toBe(
      `https://example.com/launch?ref=${ada.id}&utm_source=baton&utm_medium=email&utm_campaign=q1-launch&utm_content=intro`,
    );
    const r2 = await app.inject({ method: 'GET', url: clicks[1]! });
    expect(r2.headers.location).toBe(
      'https://example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=q1-launch&utm_content=intro',
    );
    // The same click twice counts once.
    await app.inject({
      method: 'GET',
      url: clicks[0]!,
      headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Firefox/130' },
    });
    expect((await eventsOf(ws, 'clicked')).filter((e) => e.contact_id === ada.id)).toHaveLength(2);

    // Opens: a person, then Apple Mail Privacy Protection's prefetch (flagged machine). Gmail's proxy is not
    // a prefetcher: it fetches when the person opens, so its fetch is a person's open (machine-opens.ts).
    const pixel = /src="https:\/\/baton\.test(\/t\/o\/[^"]+)"/.exec(html)![1]!;
    // A HEAD request (link checkers) answers but records nothing.
    expect((await app.inject({ method: 'HEAD', url: pixel })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: clicks[0]! })).statusCode).toBe(302);
    const o1 = await app.inject({
      method: 'GET',
      url: pixel,
      headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Thunderbird/128' },
    });
    expect(o1.statusCode).toBe(200);
    expect(o1.headers['content-type']).toBe('image/gif');
    await app.inject({
      method: 'GET',
      url: pixel,
      // MPP's fetcher sends a bare "Mozilla/5.0".
      headers: { 'user-agent': 'Mozilla/5.0' },
    });
    const opens = (await eventsOf(ws, 'opened')).filter((e) => e.contact_id === ada.id);
    expect(
      opens.map((e) => fromJson<{ machine: boolean }>(e.properties, { machine: false }).machine).sort(),
    ).toEqual([false, true]);
    expect(
      opens.every((e) => e.campaign_id === 'launch' && e.step_id === 'intro' && e.touch_id === adaTouch.id),
    ).toBe(true);

    expect((await eventsOf(ws, 'clicked')).filter((e) => e.contact_id === ada.id)).toHaveLength(2);
    // Tampered tokens: 404, nothing recorded; a forged index never redirects anywhere.
    const eventCount = (await eventsOf(ws)).length;
    const forged = clicks[0]!.replace(/\.0\./, '.1.');
    for (const url of [
      forged,
      clicks[0]!.slice(0, -2) + 'xx',
      pixel.replace('.gif', 'A.gif'),
      '/t/c/c.tch_00000000000000000000000000.0.AAAAAAAAAAAAAAAAAAAAAA',
      `${listUnsub.slice(1, -1).replace(PUBLIC_URL, '').slice(0, -3)}abc`,
    ]) {
      const r = await app.inject({ method: url.startsWith('/u/') ? 'POST' : 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.headers.location).toBeUndefined();
    }
    const redirect = await app.inject({
      method: 'GET',
      url: `/t/c/${encodeURIComponent('https://evil.example')}`,
    });
    expect(redirect.statusCode).toBe(404);
    expect((await eventsOf(ws)).length).toBe(eventCount);
    expect(
      (
        await store.db
          .selectFrom('contacts')
          .select('subscription_status')
          .where('id', '=', ada.id)
          .executeTakeFirst()
      )?.subscription_status,
    ).toBe('subscribed');

    // Ada replies through an ordinary SMTP client into Baton's inbound listener.
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: inbound.port,
      secure: false,
      ignoreTLS: true,
    });
    clock.set(T0 + 3_600_000);
    await client.sendMail({
      from: ada.email,
      to: 'ana@mail.example.org',
      subject: `Re: ${mail.subject}`,
      text: 'Sounds good, can we talk on Thursday?',
      inReplyTo: mail.messageId,
      references: [mail.messageId!],
    });
    // An out-of-office answer from Cyd is recorded as such, and does not end Cyd's sequence.
    const cydMail = await simpleParser(mine.find((r) => r.to[0] === cyd.email)!.raw);
    await client.sendMail({
      from: cyd.email,
      to: 'ana@mail.example.org',
      subject: `Automatic reply: ${cydMail.subject}`,
      text: 'I am out of the office until Monday.',
      inReplyTo: cydMail.messageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    client.close();
    const replied = await eventsOf(ws, 'replied');
    expect(replied).toHaveLength(1);
    expect(replied[0]).toMatchObject({
      contact_id: ada.id,
      campaign_id: 'launch',
      touch_id: adaTouch.id,
      step_id: 'intro',
      channel: 'email',
    });
    expect((await eventsOf(ws, 'auto_replied')).map((e) => e.contact_id)).toEqual([cyd.id]);
    const adaFollowup = await store.db
      .selectFrom('touches')
      .select(['status', 'reason'])
      .where('contact_id', '=', ada.id)
      .where('step_id', '=', 'followup')
      .executeTakeFirstOrThrow();
    expect(adaFollowup).toEqual({ status: 'cancelled', reason: 'exited:replied' });

    // Bob: one-click unsubscribe (RFC 8058), exactly as a mailbox provider posts it.
    const bobRaw = mine.find((r) => r.to[0] === bob.email)!.raw;
    const bobUnsub = String(rawHeader(bobRaw, 'List-Unsubscribe')).slice(1, -1).replace(PUBLIC_URL, '');
    const page = await app.inject({ method: 'GET', url: bobUnsub });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Unsubscribe from all email');
    expect(
      (
        await store.db
          .selectFrom('contacts')
          .select('subscription_status')
          .where('id', '=', bob.id)
          .executeTakeFirst()
      )?.subscription_status,
    ).toBe('subscribed');
    const post = await app.inject({
      method: 'POST',
      url: bobUnsub,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(post.statusCode).toBe(200);
    const bobRow = await store.db
      .selectFrom('contacts')
      .select('subscription_status')
      .where('id', '=', bob.id)
      .executeTakeFirstOrThrow();
    expect(bobRow.subscription_status).toBe('unsubscribed');
    expect(
      await store.db
        .selectFrom('suppressions')
        .select('reason')
        .where('workspace_id', '=', ws)
        .where('value', '=', bob.email)
        .executeTakeFirst(),
    ).toEqual({ reason: 'unsubscribe' });
    expect((await eventsOf(ws, 'unsubscribed')).map((e) => [e.contact_id, e.campaign_id])).toEqual([
      [bob.id, 'launch'],
    ]);

    // A second campaign enrolls everyone; two days later only Cyd hears from either campaign.
    const other = await addRunningCampaign(store, ws, {
      id: 'webinar',
      name: 'Webinar invite',
      objective: 'leads',
      window,
      channels: ['email'],
      sequence: [{ id: 'invite', channel: 'email', subject: 'Join us', body: 'Join us on Friday.' }],
    });
    await enrollContacts(store, other, [bob], T0 + 2 * DAY);
    const mark = smtp.received.length;
    for (let t = T0 + 2 * DAY; t <= T0 + 4 * DAY; t += 3_600_000) await dispatcher.drain(t);
    const later = smtp.received.slice(mark);
    expect(later.map((r) => r.to[0])).toEqual([cyd.email]);
    const followup = await simpleParser(later[0]!.raw);
    expect(followup.subject).toBe('Following up, Cyd');
    expect(followup.html).toBeFalsy();
    expect(followup.text).toMatch(/^Hi Cyd, did you see https:\/\/baton\.test\/t\/c\/c\.\S+ \?/);
    const bobTouches = await store.db
      .selectFrom('touches')
      .select(['campaign_id', 'status'])
      .where('contact_id', '=', bob.id)
      .where('status', '=', 'sent')
      .execute();
    expect(bobTouches).toEqual([{ campaign_id: 'launch', status: 'sent' }]);
  });

  it('retries a 451 and sends once; a 550 is a hard bounce that suppresses the address', async () => {
    const ws = await setup();
    const dee = await addContact(store, ws, 'Dee');
    const eli = await addContact(store, ws, 'Eli');
    const rt = await addRunningCampaign(store, ws, {
      id: 'nurture',
      name: 'Nurture',
      objective: 'leads',
      window,
      channels: ['email'],
      sequence: [
        {
          id: 'one',
          channel: 'email',
          subject: 'Hello {{ contact.first_name }}',
          template: 'templates/launch.mjml',
        },
      ],
    });
    await enrollContacts(store, rt, [dee], T0);
    const mark = smtp.received.length;
    smtp.script.push(451);
    const first = await dispatcher.drain(T0);
    expect(first).toMatchObject({ sent: 0, retried: 1 });
    expect(smtp.received.length).toBe(mark);
    const second = await dispatcher.drain(T0 + 10 * 60_000);
    expect(second).toMatchObject({ sent: 1 });
    expect(smtp.received.slice(mark).map((r) => r.to[0])).toEqual([dee.email]);
    await dispatcher.drain(T0 + 30 * 60_000);
    expect(smtp.received.length).toBe(mark + 1);
    expect((await eventsOf(ws, 'sent')).map((e) => e.contact_id)).toEqual([dee.id]);

    await enrollContacts(store, rt, [eli], T0 + 40 * 60_000);
    smtp.script.push(550);
    const third = await dispatcher.drain(T0 + 40 * 60_000);
    expect(third).toMatchObject({ sent: 0, failed: 1 });
    const bounced = await eventsOf(ws, 'bounced');
    expect(
      bounced.map((e) => [e.contact_id, fromJson<{ bounce?: string }>(e.properties, {}).bounce]),
    ).toEqual([[eli.id, 'hard']]);
    const eliRow = await store.db
      .selectFrom('contacts')
      .select('subscription_status')
      .where('id', '=', eli.id)
      .executeTakeFirstOrThrow();
    expect(eliRow.subscription_status).toBe('bounced');
    const sup = await store.db
      .selectFrom('suppressions')
      .select('reason')
      .where('workspace_id', '=', ws)
      .where('value', '=', eli.email)
      .executeTakeFirst();
    expect(sup).toEqual({ reason: 'hard_bounce' });
  });
});
