// Two workers (two email channels and dispatchers, each with its own connection pool) sending from one
// sender at once, on both stores, through a real SMTP server: together they never send more than the
// sender's hourly rate or its warmed-up daily limit, because each reserves its sends in the store first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { EmailChannel } from '../../src/channels/email.channel.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { openStore, type Store } from '../../src/store/db.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign } from './fixtures.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const HOUR = 3_600_000;

describe.each(dialects)('sender limits shared by two workers on %s', (dialect) => {
  let own: OwnStore;
  let store: TestStore;
  let second: Store;
  let smtp: TestSmtp;
  beforeAll(async () => {
    own = await ownStore(dialect);
    store = { ...own.store, dispose: own.dispose };
    // A second pool on PostgreSQL. SQLite's workers are separate processes (BEGIN IMMEDIATE serialises
    // them); two connections in one thread would block each other, so there the workers share one.
    second = dialect === 'postgres' ? openStore(own.url, { poolSize: 4 }) : own.store;
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    if (second !== own.store) await second.close();
    await own.dispose();
  });

  async function setUp(sender: {
    hourly_rate?: number;
    daily_limit?: number;
    warmup_days?: number;
    warmup_start?: number;
  }) {
    const ws = await newWorkspace(store);
    const senders = new EmailSendersRepository(store);
    const s = await senders.upsert(
      ws,
      {
        email: 'news@brand.example',
        postal_address: '1 Main Street, Springfield',
        smtp_url: smtp.url,
        ...sender,
      },
      T0,
    );
    const contacts = [];
    for (let i = 0; i < 24; i++) contacts.push(await addContact(store, ws, `P${i}`));
    const rt = await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Launch',
      objective: 'leads',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [{ id: 'one', channel: 'email', subject: 'Hi', body: 'Hello.' }],
    });
    await enrollContacts(store, rt, contacts, T0);
    // Small batches, so both workers claim touches of this campaign in turn and send at the same time.
    const workers = [store, second].map((db, k) => {
      const channel = new EmailChannel(db, { secret: 's', publicUrl: 'https://b.test' });
      const dispatcher = new Dispatcher(db, new ChannelRegistry().register(channel), {
        workerId: `w${k}`,
        batchSize: 4,
      });
      return { channel, dispatcher };
    });
    const emails = new Set(contacts.map((c) => c.email));
    /** Messages the SMTP server received for this workspace's contacts (other tests' touches may be due too). */
    const received = () => smtp.received.filter((r) => emails.has(r.to[0]!)).length;
    return { ws, senders, senderId: s.id, workers, received };
  }

  async function sentFrom(ws: string): Promise<number> {
    const rows = await store.db
      .selectFrom('events')
      .select('touch_id')
      .where('workspace_id', '=', ws)
      .where('type', '=', 'sent')
      .execute();
    return rows.length;
  }

  it('holds the hourly rate across workers sending at once, and sends the rest the next hour', async () => {
    const { ws, senders, senderId, workers, received } = await setUp({ hourly_rate: 6 });
    const stats = await Promise.all(workers.map((w) => w.dispatcher.drain(T0)));
    // Both workers took part, and together they sent exactly the hour's six.
    expect(stats.every((s) => s.sent + s.retried > 0)).toBe(true);
    expect(stats.reduce((n, s) => n + s.sent, 0)).toBe(6);
    expect(received()).toBe(6);
    expect(await sentFrom(ws)).toBe(6);
    expect((await senders.usage(ws, [senderId], T0)).get(senderId)).toEqual({ hour: 6, day: 6 });
    // Held-back touches never used up an attempt.
    const planned = await store.db
      .selectFrom('touches')
      .select('attempts')
      .where('workspace_id', '=', ws)
      .where('status', '=', 'planned')
      .execute();
    expect(planned).toHaveLength(18);
    for (const t of planned) expect(t.attempts).toBe(0);
    // The next hour: six more, still shared.
    await Promise.all(workers.map((w) => w.dispatcher.drain(T0 + 1.5 * HOUR)));
    expect(received()).toBe(12);
    expect(await sentFrom(ws)).toBe(12);
    for (const w of workers) await w.channel.close();
  });

  it("holds a warming-up sender's daily limit across workers", async () => {
    // Day one of a 10-day warm-up starting at 5 a day: the limit today is 5.
    const { ws, workers, received } = await setUp({ daily_limit: 1000, warmup_days: 10, warmup_start: 5 });
    await Promise.all(workers.map((w) => w.dispatcher.drain(T0)));
    await Promise.all(workers.map((w) => w.dispatcher.drain(T0 + 2 * HOUR)));
    expect(received()).toBe(5);
    expect(await sentFrom(ws)).toBe(5);
    for (const w of workers) await w.channel.close();
  });
});
