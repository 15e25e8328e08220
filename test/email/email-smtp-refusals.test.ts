// What an SMTP refusal does to a contact, on both stores, through real SMTP servers: a relay refusing the
// sender's password (535) or the sender address (553 at MAIL FROM) fails the touch with the cause named and
// leaves the contact subscribed, unsuppressed and in the campaign; only a refused recipient (550 5.1.1 at
// RCPT TO) is a hard bounce.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { EmailChannel } from '../../src/channels/email.channel.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign } from './fixtures.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');

interface Server {
  url: (user?: string, pass?: string) => string;
  delivered: number;
  close(): Promise<void>;
}

/** A real SMTP server with the given hooks; counts the messages it accepts. */
async function startServer(options: Partial<SMTPServerOptions>): Promise<Server> {
  const state = { delivered: 0 };
  const server = new SMTPServer({
    disableReverseLookup: true,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        state.delivered++;
        cb();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: (user, pass) => `smtp://${user ? `${user}:${pass}@` : ''}127.0.0.1:${port}`,
    get delivered() {
      return state.delivered;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const refusal = (message: string, responseCode: number) =>
  Object.assign(new Error(message), { responseCode });

describe.each(dialects)('SMTP refusals on %s', (dialect) => {
  let own: OwnStore;
  let store: TestStore;
  const servers: Server[] = [];
  beforeAll(async () => {
    own = await ownStore(dialect);
    store = { ...own.store, dispose: own.dispose };
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await own.dispose();
  });

  /** One contact in a two-step campaign sent through `smtpUrl`; the first touch is attempted once. */
  async function sendOnce(smtpUrl: string) {
    const ws = await newWorkspace(store);
    const senders = new EmailSendersRepository(store);
    const sender = await senders.upsert(
      ws,
      { email: 'news@brand.example', postal_address: '1 Main Street, Springfield', smtp_url: smtpUrl },
      T0,
    );
    const contact = await addContact(store, ws, 'Pat');
    const rt = await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Launch',
      objective: 'leads',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      sequence: [
        { id: 'one', channel: 'email', subject: 'Hi', body: 'Hello.' },
        { id: 'two', channel: 'email', delay: '3d', subject: 'Again', body: 'Hello again.' },
      ],
    });
    await enrollContacts(store, rt, [contact], T0);
    const channel = new EmailChannel(store, { secret: 's', publicUrl: 'https://b.test' });
    const dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), { workerId: 'w' });
    const stats = await dispatcher.drain(T0);
    await channel.close();

    const db = store.db;
    const touch = await db
      .selectFrom('touches')
      .select(['status', 'reason'])
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'one')
      .executeTakeFirstOrThrow();
    const status = (
      await db
        .selectFrom('contacts')
        .select('subscription_status')
        .where('id', '=', contact.id)
        .executeTakeFirstOrThrow()
    ).subscription_status;
    const suppressions = await db
      .selectFrom('suppressions')
      .select(['value', 'reason'])
      .where('workspace_id', '=', ws)
      .execute();
    const events = (
      await db.selectFrom('events').select('type').where('workspace_id', '=', ws).execute()
    ).map((e) => e.type);
    const enrollment = await db
      .selectFrom('enrollments')
      .select(['state', 'exit_reason'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    const next = await db
      .selectFrom('touches')
      .select('status')
      .where('workspace_id', '=', ws)
      .where('step_id', '=', 'two')
      .executeTakeFirst();
    const usage = await senders.usage(ws, [sender.id], T0);
    return {
      stats,
      touch,
      status,
      suppressions,
      events,
      enrollment,
      next,
      contact,
      usage: usage.get(sender.id)!,
    };
  }

  /** The contact is untouched by a refusal that is about the sender, and the campaign goes on. */
  function expectContactUntouched(r: Awaited<ReturnType<typeof sendOnce>>) {
    expect(r.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(r.touch.status).toBe('failed');
    expect(r.status).toBe('subscribed');
    expect(r.suppressions).toEqual([]);
    expect(r.events).toContain('failed');
    expect(r.events).not.toContain('bounced');
    expect(r.enrollment.state).toBe('active');
    expect(r.enrollment.exit_reason).toBeNull();
    expect(r.next?.status).toBe('planned');
    // Nothing left: the reserved send is given back to the sender's hourly and daily counts.
    expect(r.usage).toEqual({ hour: 0, day: 0 });
  }

  it('a relay refusing the password (535) fails the touch and leaves the contact subscribed', async () => {
    const server = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === 'baton' && auth.password === 'right') return cb(null, { user: 'baton' });
        cb(refusal('Invalid username or password', 535));
      },
    });
    servers.push(server);
    const r = await sendOnce(server.url('baton', 'wrong'));
    expectContactUntouched(r);
    expect(r.touch.reason).toMatch(/^535 /);
    expect(r.touch.reason).toContain('credentials');
    expect(server.delivered).toBe(0);
    // The same relay with the right password delivers: the refusal above was the password's.
    const ok = await sendOnce(server.url('baton', 'right'));
    expect(ok.stats).toMatchObject({ sent: 1, failed: 0 });
    expect(server.delivered).toBe(1);
  });

  it('a server refusing the sender address (553 at MAIL FROM) fails the touch and leaves the contact subscribed', async () => {
    const server = await startServer({
      onMailFrom(_address, _session, cb) {
        // A 5.1.x status names an address, but at MAIL FROM it is the sender's, not the recipient's.
        cb(refusal('5.1.8 Sender domain not allowed', 553));
      },
    });
    servers.push(server);
    const r = await sendOnce(server.url());
    expectContactUntouched(r);
    expect(r.touch.reason).toMatch(/^553 /);
    expect(r.touch.reason).toContain('sender address');
    expect(server.delivered).toBe(0);
  });

  it('a server refusing the recipient (550 5.1.1 at RCPT TO) is a hard bounce: suppressed, bounced, exited', async () => {
    const server = await startServer({
      onRcptTo(_address, _session, cb) {
        cb(refusal('5.1.1 No such user here', 550));
      },
    });
    servers.push(server);
    const r = await sendOnce(server.url());
    expect(r.stats).toMatchObject({ sent: 0, failed: 1 });
    expect(r.touch.status).toBe('failed');
    expect(r.touch.reason).toContain('550 5.1.1');
    expect(r.status).toBe('bounced');
    expect(r.suppressions).toEqual([{ value: r.contact.email, reason: 'hard_bounce' }]);
    expect(r.events).toContain('bounced');
    expect(r.enrollment).toEqual({ state: 'exited', exit_reason: 'bounced' });
    expect(r.next).toBeUndefined();
    // The receiver saw the attempt: it counts toward the sender's limits.
    expect(r.usage).toEqual({ hour: 1, day: 1 });
  });
});
