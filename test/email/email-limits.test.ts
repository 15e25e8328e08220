// Sending limits on both stores, through real SMTP: touches rotate across senders within their hourly
// rates and wait for the next hour when every sender is full (without using up retries); a recipient
// domain's hourly limit holds; a provider's 421 slows that domain down instead of failing the touch.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { EmailChannel } from '../../src/channels/email.channel.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign } from './fixtures.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const HOUR = 3_600_000;
const window = { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' };

describe.each(dialects)('email limits on %s', (dialect) => {
  let store: TestStore;
  let smtp: TestSmtp;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    await store.dispose();
  });

  async function campaignFor(ws: string, id: string, count: number) {
    const contacts = [];
    for (let i = 0; i < count; i++) contacts.push(await addContact(store, ws, `P${i}`));
    const rt = await addRunningCampaign(store, ws, {
      id,
      name: id,
      objective: 'leads',
      window,
      channels: ['email'],
      sequence: [{ id: 'one', channel: 'email', subject: 'Hi {{ contact.first_name }}', body: 'Hello.' }],
    });
    await enrollContacts(store, rt, contacts, T0);
    return contacts;
  }

  function channelAndDispatcher(options: Partial<ConstructorParameters<typeof EmailChannel>[1]> = {}) {
    const channel = new EmailChannel(store, { secret: 's', publicUrl: 'https://b.test', ...options });
    const dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), { workerId: 'w' });
    return { channel, dispatcher };
  }

  it('rotates touches across senders under their hourly rates, then waits for the next hour', async () => {
    const ws = await newWorkspace(store);
    const senders = new EmailSendersRepository(store);
    for (const [email, hourly_rate] of [
      ['a@one.example', 1],
      ['b@two.example', 2],
    ] as const) {
      await senders.upsert(
        ws,
        { email, hourly_rate, postal_address: '1 Main Street, Springfield', smtp_url: smtp.url },
        T0,
      );
    }
    const contacts = await campaignFor(ws, 'rotate', 4);
    const { channel, dispatcher } = channelAndDispatcher();
    const mark = smtp.received.length;
    const first = await dispatcher.drain(T0);
    expect(first).toMatchObject({ sent: 3, retried: 1 });
    const arrived = await Promise.all(smtp.received.slice(mark).map((r) => simpleParser(r.raw)));
    expect(arrived.map((m) => m.from?.value[0]?.address).sort()).toEqual([
      'a@one.example',
      'b@two.example',
      'b@two.example',
    ]);
    // Each Message-ID is on its sender's domain.
    for (const m of arrived)
      expect(m.messageId?.split('@')[1]).toBe(`${m.from?.value[0]?.address?.split('@')[1]}>`);
    const waiting = await store.db
      .selectFrom('touches')
      .select(['contact_id', 'status', 'attempts', 'due_at', 'reason'])
      .where('workspace_id', '=', ws)
      .where('status', '=', 'planned')
      .execute();
    expect(waiting).toHaveLength(1);
    // The held-back touch never reached SMTP: its claim is not an attempt, and it waits about an hour.
    expect(waiting[0]!.attempts).toBe(0);
    expect(Number(waiting[0]!.due_at)).toBeGreaterThanOrEqual(T0 + 0.8 * HOUR);
    expect(waiting[0]!.reason).toContain('hourly rate');
    expect(await dispatcher.drain(T0 + 1.5 * HOUR)).toMatchObject({ sent: 1 });
    expect(smtp.received.length).toBe(mark + 4);
    expect(new Set(smtp.received.slice(mark).map((r) => r.to[0]))).toEqual(
      new Set(contacts.map((c) => c.email)),
    );
    const usage = await senders.usage(
      ws,
      (await senders.list(ws)).map((s) => s.id),
      T0 + 1.5 * HOUR,
    );
    expect([...usage.values()].reduce((n, u) => n + u.day, 0)).toBe(4);
    await channel.close();
  });

  it('holds a recipient domain to its hourly limit and slows it down after a 421', async () => {
    const ws = await newWorkspace(store);
    await new EmailSendersRepository(store).upsert(
      ws,
      { email: 'a@one.example', postal_address: '1 Main Street, Springfield', smtp_url: smtp.url },
      T0,
    );
    await campaignFor(ws, 'domains', 3);
    const { channel, dispatcher } = channelAndDispatcher({
      domainHourlyLimits: { 'customer.example': 2 },
      poolSize: 1,
    });
    const mark = smtp.received.length;
    smtp.script.push(421);
    const first = await dispatcher.drain(T0);
    // Two may go this hour; the first answer is a 421, the third waits for the next hour. Nothing fails.
    expect(first).toMatchObject({ sent: 1, retried: 2, failed: 0 });
    const retried = await store.db
      .selectFrom('touches')
      .select(['reason', 'due_at'])
      .where('workspace_id', '=', ws)
      .where('status', '=', 'planned')
      .execute();
    expect(retried.some((t) => t.reason?.includes('421'))).toBe(true);
    // After a 421 the domain pauses for 5 minutes (± the dispatcher's jitter), not the default minute.
    for (const t of retried) expect(Number(t.due_at)).toBeGreaterThanOrEqual(T0 + 4 * 60_000);
    await dispatcher.drain(T0 + 2 * 60_000);
    expect(smtp.received.length - mark).toBe(1);
    // The 421 halved the domain's rate for this hour (2 → 1), so nothing more goes before the next hour.
    await dispatcher.drain(T0 + 30 * 60_000);
    expect(smtp.received.length - mark).toBe(1);
    await dispatcher.drain(T0 + 2 * HOUR);
    expect(smtp.received.length - mark).toBe(3);
    const sent = await store.db
      .selectFrom('events')
      .select('touch_id')
      .where('workspace_id', '=', ws)
      .where('type', '=', 'sent')
      .execute();
    expect(new Set(sent.map((e) => e.touch_id)).size).toBe(3);
    expect(sent).toHaveLength(3);
    await channel.close();
  });

  it('lets a contact opt out of one category from the unsubscribe page; other email still reaches them', async () => {
    const ws = await newWorkspace(store);
    await new EmailSendersRepository(store).upsert(
      ws,
      { email: 'a@one.example', postal_address: '1 Main Street, Springfield', smtp_url: smtp.url },
      T0,
    );
    const [pat] = [await addContact(store, ws, 'Pat')];
    const news = await addRunningCampaign(store, ws, {
      id: 'news',
      name: 'News',
      objective: 'awareness',
      window,
      channels: ['email'],
      sequence: [
        { id: 'n1', channel: 'email', category: 'newsletter', subject: 'News 1', body: 'One.' },
        { id: 'n2', channel: 'email', category: 'newsletter', delay: '1d', subject: 'News 2', body: 'Two.' },
      ],
    });
    await enrollContacts(store, news, [pat!], T0);
    const { channel, dispatcher } = channelAndDispatcher();
    const mark = smtp.received.length;
    await dispatcher.drain(T0);
    const raw = smtp.received[mark]!.raw.toString('latin1').replace(/=\r\n/g, '');
    const url = /https:\/\/b\.test(\/u\/[A-Za-z0-9_.-]+)/.exec(raw)![1]!;
    const app = await buildApp({
      store,
      clock: new SimulatedClock(T0 + HOUR),
      secret: 's',
      publicUrl: 'https://b.test',
    });
    const page = await app.inject({ method: 'GET', url });
    expect(page.body).toContain('Only stop “newsletter” emails');
    const post = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'category=newsletter',
    });
    expect(post.statusCode).toBe(200);
    await app.close();
    const status = await store.db
      .selectFrom('contacts')
      .select('subscription_status')
      .where('id', '=', pat!.id)
      .executeTakeFirstOrThrow();
    expect(status.subscription_status).toBe('subscribed');
    // The next newsletter is refused by the channel; a product email still goes.
    const product = await addRunningCampaign(store, ws, {
      id: 'product',
      name: 'Product',
      objective: 'retention',
      window,
      channels: ['email'],
      sequence: [{ id: 'p1', channel: 'email', delay: '2d', subject: 'Product news', body: 'New feature.' }],
    });
    await enrollContacts(store, product, [pat!], T0 + HOUR);
    for (let t = T0 + HOUR; t <= T0 + 4 * 24 * HOUR; t += 4 * HOUR) await dispatcher.drain(t);
    const subjects = await Promise.all(
      smtp.received.slice(mark).map(async (r) => (await simpleParser(r.raw)).subject),
    );
    expect(subjects).toEqual(['News 1', 'Product news']);
    const n2 = await store.db
      .selectFrom('touches')
      .select(['status', 'reason'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'n2')
      .executeTakeFirstOrThrow();
    expect(n2.status).toBe('failed');
    expect(n2.reason).toContain('newsletter');
    await channel.close();
  });

  it('retries after a lost connection with the same sender and Message-ID, and delivers once', async () => {
    const ws = await newWorkspace(store);
    const senders = new EmailSendersRepository(store);
    const sender = { email: 'a@one.example', postal_address: '1 Main Street, Springfield' };
    // Nothing listens on port 1: the connection fails before any SMTP answer.
    await senders.upsert(ws, { ...sender, smtp_url: 'smtp://127.0.0.1:1' }, T0);
    const [sam] = await campaignFor(ws, 'conn', 1);
    const { channel, dispatcher } = channelAndDispatcher();
    const mark = smtp.received.length;
    expect(await dispatcher.drain(T0)).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    const first = await store.db
      .selectFrom('touches')
      .select(['id', 'message_id', 'status'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(first.status).toBe('planned');
    expect(first.message_id).toBe(`<${first.id}@one.example>`);
    await senders.upsert(ws, { ...sender, smtp_url: smtp.url }, T0 + 60_000);
    expect(await dispatcher.drain(T0 + 10 * 60_000)).toMatchObject({ sent: 1 });
    await dispatcher.drain(T0 + 60 * 60_000);
    const arrived = smtp.received.slice(mark);
    expect(arrived.map((r) => r.to[0])).toEqual([sam!.email]);
    expect((await simpleParser(arrived[0]!.raw)).messageId).toBe(first.message_id);
    await channel.close();
  });
});
