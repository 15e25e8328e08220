// Who the inbound listener believes, through a real SMTP client (nodemailer) into the real listener on both
// stores: a reply counts only from the touch's contact (envelope sender or From address, any case), and a
// delivery report only with the null reverse path (MAIL FROM:<>) that RFC 5321 §4.5.5 and RFC 3464 §2
// require of a DSN. A forged reply or bounce writes nothing and leaves the enrollment running.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startInboundSmtp,
  type InboundListener,
  type InboundOutcome,
} from '../../src/channels/inbound-smtp.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { seedSentTouch } from '../fuzz/fuzz-support.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const SENDER = 'team@mail.example.org';

/** An RFC 3464 failure report about the touch, as a receiving MTA writes it (RFC 3464 §6, adapted). */
function dsn(touchId: string, to: string): string {
  return [
    'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.customer.example>',
    `To: ${SENDER}`,
    'Subject: Delivery Status Notification (Failure)',
    `Message-ID: <dsn-${touchId}@mx.customer.example>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="RPT"',
    '',
    '--RPT',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `Your message to ${to} could not be delivered.`,
    '',
    '--RPT',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.customer.example',
    '',
    `Final-Recipient: rfc822; ${to}`,
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
    '',
    '--RPT',
    'Content-Type: text/rfc822-headers',
    '',
    `From: Team <${SENDER}>`,
    `To: ${to}`,
    'Subject: Your pipeline',
    `Message-ID: <${touchId}@mail.example.org>`,
    '',
    '--RPT--',
    '',
  ].join('\r\n');
}

describe.each(dialects)('inbound mail trust on %s', (dialect) => {
  let store: TestStore;
  let inbound: InboundListener;
  const outcomes: InboundOutcome[] = [];
  const clock = new SimulatedClock(T0 + 3_600_000);
  let client: ReturnType<typeof nodemailer.createTransport>;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    inbound = await startInboundSmtp(store, clock, {
      port: 0,
      host: '127.0.0.1',
      onMessage: (o) => outcomes.push(o),
    });
    client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: inbound.port,
      secure: false,
      ignoreTLS: true,
    });
  });
  afterAll(async () => {
    client.close();
    await inbound.close();
    await store.dispose();
  });

  async function sent(email: string) {
    const ws = await newWorkspace(store, T0);
    const { contact, touch } = await seedSentTouch(store, ws, T0, { email });
    return { ws, contact, touch, messageId: `<${touch}@mail.example.org>` };
  }
  const eventsOf = (ws: string, type: string) =>
    store.db
      .selectFrom('events')
      .select(['contact_id', 'touch_id'])
      .where('workspace_id', '=', ws)
      .where('type', '=', type)
      .execute();
  const stateOf = async (ws: string, contact: string) =>
    (
      await store.db
        .selectFrom('enrollments')
        .select(['state', 'exit_reason'])
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contact)
        .executeTakeFirstOrThrow()
    ).state;
  const statusOf = async (ws: string, contact: string) =>
    (
      await store.db
        .selectFrom('contacts')
        .select('subscription_status')
        .where('workspace_id', '=', ws)
        .where('id', '=', contact)
        .executeTakeFirstOrThrow()
    ).subscription_status;
  const suppressed = (ws: string, email: string) =>
    store.db
      .selectFrom('suppressions')
      .select('reason')
      .where('workspace_id', '=', ws)
      .where('value', '=', email)
      .execute();

  it('ignores a reply from another address: no replied event, the enrollment stays active', async () => {
    const t = await sent('ada@customer.example');
    const before = outcomes.length;
    await client.sendMail({
      from: 'mallory@attacker.example',
      to: SENDER,
      subject: 'Re: Your pipeline',
      text: 'Stop sending me this.',
      inReplyTo: t.messageId,
      references: [t.messageId],
    });
    expect(outcomes.slice(before)).toEqual([
      { kind: 'ignored', reason: "a reply from an address other than the contact's" },
    ]);
    expect(await eventsOf(t.ws, 'replied')).toEqual([]);
    expect(await stateOf(t.ws, t.contact)).toBe('active');
  });

  it("ignores a forged From when the envelope sender is not the contact's either", async () => {
    const t = await sent('bea@customer.example');
    await client.sendMail({
      from: 'mallory@attacker.example',
      to: SENDER,
      subject: 'Automatic reply: Your pipeline',
      text: 'Away.',
      inReplyTo: t.messageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    expect(await eventsOf(t.ws, 'auto_replied')).toEqual([]);
  });

  it("records a reply from the contact's address in another case, and ends the enrollment", async () => {
    const t = await sent('cyd@customer.example');
    await client.sendMail({
      from: 'Cyd <CYD@Customer.Example>',
      to: SENDER,
      subject: 'Re: Your pipeline',
      text: 'Sounds good, Thursday?',
      inReplyTo: t.messageId,
      references: [t.messageId],
    });
    expect(await eventsOf(t.ws, 'replied')).toEqual([{ contact_id: t.contact, touch_id: t.touch }]);
    expect(await stateOf(t.ws, t.contact)).toBe('exited');
  });

  it('records a reply whose envelope sender is the contact even when the From header names another address', async () => {
    const t = await sent('dee@customer.example');
    await client.sendMail({
      from: 'Dee via list <list@lists.example>',
      envelope: { from: 'dee@customer.example', to: [SENDER] },
      to: SENDER,
      subject: 'Re: Your pipeline',
      text: 'Yes please.',
      inReplyTo: t.messageId,
    });
    expect(await eventsOf(t.ws, 'replied')).toEqual([{ contact_id: t.contact, touch_id: t.touch }]);
  });

  it('ignores a delivery report with a sender: no bounce, no suppression, the enrollment stays active', async () => {
    const t = await sent('eli@customer.example');
    const before = outcomes.length;
    await client.sendMail({
      envelope: { from: 'mallory@attacker.example', to: [SENDER] },
      raw: dsn(t.touch, 'eli@customer.example'),
    });
    expect(outcomes.slice(before)).toEqual([
      { kind: 'ignored', reason: 'a delivery report with a sender (DSNs have none)' },
    ]);
    expect(await eventsOf(t.ws, 'bounced')).toEqual([]);
    expect(await suppressed(t.ws, 'eli@customer.example')).toEqual([]);
    expect(await statusOf(t.ws, t.contact)).toBe('subscribed');
    expect(await stateOf(t.ws, t.contact)).toBe('active');
  });

  it('records a delivery report sent with the null reverse path as a hard bounce, as before', async () => {
    const t = await sent('fay@customer.example');
    const before = outcomes.length;
    await client.sendMail({
      envelope: { from: '', to: [SENDER] },
      raw: dsn(t.touch, 'fay@customer.example'),
    });
    expect(outcomes.slice(before)).toEqual([{ kind: 'bounced', touchId: t.touch, bounce: 'hard' }]);
    expect(await eventsOf(t.ws, 'bounced')).toEqual([{ contact_id: t.contact, touch_id: t.touch }]);
    expect(await suppressed(t.ws, 'fay@customer.example')).toEqual([{ reason: 'hard_bounce' }]);
    expect(await stateOf(t.ws, t.contact)).toBe('exited');
  });
});
