// The email API on both stores: senders (secrets never read back, warm-up shown), the template render
// preview for a contact, and the inbound parser on real messages: RFC 3464 bounces (hard and soft),
// auto-replies, and mail that answers nothing Baton sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { processInbound } from '../../src/channels/inbound-smtp.js';
import { TemplatesRepository } from '../../src/store/templates.repository.js';
import { newId } from '../../src/store/ids.js';
import { fromJson } from '../../src/store/json.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(options).compile().build();
}

/** An RFC 3464 report as a receiving MTA writes it (RFC 3464 §6 example, adapted). */
function dsn(touchMessageId: string, to: string, action: string, status: string, diagnostic: string): string {
  return [
    'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.customer.example>',
    'To: ana@mail.example.org',
    'Subject: Delivery Status Notification (Failure)',
    'Message-ID: <dsn-1@mx.customer.example>',
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
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    '--RPT',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Ana <ana@mail.example.org>',
    `To: ${to}`,
    'Subject: Your pipeline',
    `Message-ID: ${touchMessageId}`,
    '',
    '--RPT--',
    '',
  ].join('\r\n');
}

describe.each(dialects)('email API and inbound parsing on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  async function contact(ws: string, first: string, attributes: Record<string, unknown> = {}) {
    const id = newId('ct', T0);
    const email = `${first.toLowerCase()}.${id.slice(-5).toLowerCase()}@customer.example`;
    await store.db
      .insertInto('contacts')
      .values({
        id,
        workspace_id: ws,
        email,
        first_name: first,
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: JSON.stringify(attributes),
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    return { id, email };
  }

  /** A sent email touch in an active enrollment, as the dispatcher leaves it. */
  async function sentTouch(ws: string, contactId: string) {
    const enrollment = newId('enr', T0);
    const touch = newId('tch', T0);
    await store.db
      .insertInto('enrollments')
      .values({
        id: enrollment,
        workspace_id: ws,
        campaign_id: 'launch',
        contact_id: contactId,
        account_id: null,
        cycle: 0,
        arm: 'treatment',
        variants: '{}',
        state: 'active',
        exit_reason: null,
        enrolled_at: T0,
        exited_at: null,
      })
      .execute();
    const messageId = `<${touch}@mail.example.org>`;
    await store.db
      .insertInto('touches')
      .values({
        id: touch,
        workspace_id: ws,
        enrollment_id: enrollment,
        campaign_id: 'launch',
        contact_id: contactId,
        step_id: 'intro',
        step_index: 0,
        channel: 'email',
        variant_id: null,
        priority: 50,
        status: 'sent',
        due_at: T0,
        lease_until: null,
        claimed_by: null,
        attempts: 1,
        deferrals: 0,
        planned_at: T0,
        sent_at: T0,
        reason: null,
        message_id: messageId,
        details: '{}',
      })
      .execute();
    return { touch, enrollment, messageId };
  }

  it('keeps senders with their postal address and never returns their secrets', async () => {
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['read', 'write']);
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/v1/senders',
      headers: { authorization: auth },
      payload: { email: 'ana@mail.example.org', postal_address: '' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('postal_address');
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/senders',
      headers: { authorization: auth },
      payload: {
        email: 'ana@mail.example.org',
        postal_address: '12 Harbour Street, Portsmouth PO1 2AB',
        smtp_url: 'smtp://ana:hunter2@smtp.example.org:587',
        daily_limit: 1000,
        warmup_days: 10,
        warmup_start: 10,
      },
    });
    expect(put.statusCode).toBe(200);
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/senders',
      headers: { authorization: auth },
    });
    const body = list.json() as { data: Array<Record<string, unknown>> };
    expect(body.data).toHaveLength(1);
    // Day 0 of a 10-day ramp from 10 to 1000 per day.
    expect(body.data[0]).toMatchObject({ smtp_host: 'smtp.example.org', daily_limit_today: 10, dkim: false });
    expect(list.body).not.toContain('hunter2');
  });

  it('renders a template for a contact: Liquid, UTM, footer and a generated text part; strict names the gap', async () => {
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['read', 'write']);
    await new TemplatesRepository(store).upsert(
      ws,
      {
        id: 'templates/intro.mjml',
        kind: 'mjml',
        source:
          '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ contact.first_name }}, your {{ contact.plan }} plan. <a href="https://example.com/p">Plans</a> <a href="{{ links.unsubscribe }}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>',
      },
      T0,
    );
    const c = await contact(ws, 'Ada', { plan: 'pro' });
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/templates/${encodeURIComponent('templates/intro.mjml')}/render`,
      headers: { authorization: auth },
      payload: { contact_id: c.id, subject: 'For {{ contact.first_name }}' },
    });
    expect(r.statusCode).toBe(200);
    const out = r.json() as { subject: string; html: string; text: string; links: string[] };
    expect(out.subject).toBe('For Ada');
    expect(out.html).toContain('Hi Ada, your pro plan.');
    expect(out.text).toContain('Hi Ada, your pro plan.');
    expect(out.links).toEqual([
      'https://example.com/p?utm_source=baton&utm_medium=email&utm_campaign=preview',
    ]);
    // The preview's unsubscribe link is inert (no signed token), see test/email/email-preview.test.ts.
    expect(out.html).toContain('http://localhost:4400/u/preview');
    const other = await contact(ws, 'Bo');
    const strict = await app.inject({
      method: 'POST',
      url: `/api/v1/templates/${encodeURIComponent('templates/intro.mjml')}/render`,
      headers: { authorization: auth },
      payload: { contact_id: other.id, strict: true },
    });
    expect(strict.statusCode).toBe(422);
    expect(strict.body).toContain('plan');
    const missing = await app.inject({
      method: 'POST',
      url: `/api/v1/templates/nope.mjml/render`,
      headers: { authorization: auth },
      payload: { contact_id: c.id },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('renders unsaved step content for a contact: the inline body with Liquid and UTM, or a template; names the gaps', async () => {
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['read']);
    const c = await contact(ws, 'Ada', { plan: 'pro' });
    const render = (payload: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/content/render',
        headers: { authorization: auth },
        payload,
      });
    const r = await render({
      contact_id: c.id,
      step_id: 'invite',
      subject: '{{ contact.first_name }}, join us',
      body: 'Hi {{ contact.first_name }} on {{ contact.plan }}: https://example.com/w',
    });
    expect(r.statusCode).toBe(200);
    const out = r.json() as { subject: string; html: string | null; text: string; links: string[] };
    expect(out.subject).toBe('Ada, join us');
    expect(out.html).toBeNull();
    expect(out.text).toContain('Hi Ada on pro: ');
    expect(out.links).toEqual([
      'https://example.com/w?utm_source=baton&utm_medium=email&utm_campaign=preview&utm_content=invite',
    ]);
    expect(out.text).toContain('Unsubscribe: http://localhost:4400/u/');
    const transactional = await render({ contact_id: c.id, body: 'Receipt', purpose: 'transactional' });
    expect(transactional.statusCode).toBe(200);
    expect((transactional.json() as { text: string }).text).not.toContain('Unsubscribe');

    await new TemplatesRepository(store).upsert(
      ws,
      { id: 'templates/hello.liquid', kind: 'liquid', source: '<p>Hello {{ contact.first_name }}</p>' },
      T0,
    );
    const t = await render({ contact_id: c.id, template: 'templates/hello.liquid' });
    expect(t.statusCode).toBe(200);
    expect((t.json() as { html: string }).html).toContain('<p>Hello Ada</p>');

    const nothing = await render({ contact_id: c.id });
    expect(nothing.statusCode).toBe(422);
    expect(nothing.json()).toMatchObject({ error: { details: { issues: [{ path: 'body.body' }] } } });
    const stranger = await render({ contact_id: 'ct_nobody', body: 'Hi' });
    expect(stranger.statusCode).toBe(404);
    const noScope = await app.inject({
      method: 'POST',
      url: '/api/v1/content/render',
      headers: { authorization: await bearer(store, ws, ['ingest']) },
      payload: { contact_id: c.id, body: 'Hi' },
    });
    expect(noScope.statusCode).toBe(403);
  });

  it('turns delivery reports into hard and soft bounces of the right touch, and auto-replies into no reply', async () => {
    const ws = await newWorkspace(store);
    const hard = await contact(ws, 'Hal');
    const soft = await contact(ws, 'Sol');
    const away = await contact(ws, 'Ava');
    const th = await sentTouch(ws, hard.id);
    const ts = await sentTouch(ws, soft.id);
    const ta = await sentTouch(ws, away.id);

    const h = await processInbound(
      store,
      Buffer.from(dsn(th.messageId, hard.email, 'failed', '5.1.1', '550 5.1.1 user unknown')),
      T0 + 1000,
      { mailFrom: '' },
    );
    expect(h).toEqual({ kind: 'bounced', touchId: th.touch, bounce: 'hard' });
    // The same report twice counts once.
    await processInbound(
      store,
      Buffer.from(dsn(th.messageId, hard.email, 'failed', '5.1.1', '550 5.1.1 user unknown')),
      T0 + 2000,
      { mailFrom: '' },
    );
    const s = await processInbound(
      store,
      Buffer.from(dsn(ts.messageId, soft.email, 'delayed', '4.2.2', '452 4.2.2 mailbox full')),
      T0 + 1000,
      { mailFrom: '' },
    );
    expect(s).toEqual({ kind: 'bounced', touchId: ts.touch, bounce: 'soft' });
    const bounces = await store.db
      .selectFrom('events')
      .select(['contact_id', 'touch_id', 'properties'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'bounced')
      .execute();
    expect(
      bounces
        .map((b) => [
          b.contact_id,
          b.touch_id,
          fromJson<{ bounce: string }>(b.properties, { bounce: '' }).bounce,
        ])
        .sort(),
    ).toEqual(
      [
        [hard.id, th.touch, 'hard'],
        [soft.id, ts.touch, 'soft'],
      ].sort(),
    );
    const statuses = await store.db
      .selectFrom('contacts')
      .select(['id', 'subscription_status'])
      .where('id', 'in', [hard.id, soft.id])
      .execute();
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.subscription_status]))).toEqual({
      [hard.id]: 'bounced',
      [soft.id]: 'subscribed',
    });
    const sup = await store.db
      .selectFrom('suppressions')
      .select(['value', 'reason'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(sup).toEqual([{ value: hard.email, reason: 'hard_bounce' }]);
    const enr = await store.db
      .selectFrom('enrollments')
      .select(['id', 'state', 'exit_reason'])
      .where('id', 'in', [th.enrollment, ts.enrollment])
      .execute();
    expect(Object.fromEntries(enr.map((e) => [e.id, [e.state, e.exit_reason]]))).toEqual({
      [th.enrollment]: ['exited', 'bounced'],
      [ts.enrollment]: ['active', null],
    });

    const ooo = await compose({
      from: away.email,
      to: 'ana@mail.example.org',
      subject: 'Out of Office: Your pipeline',
      text: 'Back on Monday.',
      inReplyTo: ta.messageId,
      references: [ta.messageId],
    });
    expect(await processInbound(store, ooo, T0 + 5000, { mailFrom: away.email })).toEqual({
      kind: 'auto_replied',
      touchId: ta.touch,
    });
    const awayEnrollment = await store.db
      .selectFrom('enrollments')
      .select('state')
      .where('id', '=', ta.enrollment)
      .executeTakeFirstOrThrow();
    expect(awayEnrollment.state).toBe('active');

    // A reply naming a Message-ID that Baton never stored (a guessed touch id) is ignored.
    const forged = await compose({
      from: away.email,
      to: 'ana@mail.example.org',
      subject: 'Re: hi',
      text: 'hi',
      inReplyTo: `<${ta.touch}@attacker.example>`,
    });
    expect((await processInbound(store, forged, T0 + 6000, { mailFrom: away.email })).kind).toBe('ignored');
    const replied = await store.db
      .selectFrom('events')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('type', '=', 'replied')
      .execute();
    expect(replied).toEqual([]);
  });
});
