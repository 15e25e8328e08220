// Fuzzing the inbound mail parser: replies, auto-replies and delivery reports with headers and bodies
// mangled, and raw bytes, through `processInbound` on both dialects. It returns an outcome for every
// message (it never throws), and a message it ignores writes nothing. A real SMTP listener refuses a
// message over its size limit.
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processInbound, startInboundSmtp } from '../../src/channels/inbound-smtp.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { garbled, nasty, rowCounts, runs, seedSentTouch } from './fuzz-support.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const TABLES = ['events', 'suppressions', 'enrollments'] as const;

function reply(messageId: string): string {
  return [
    'From: Ada <ada@customer.example>',
    'To: team@mail.example.org',
    'Subject: Re: Your pipeline',
    `In-Reply-To: ${messageId}`,
    `References: <other@x> ${messageId}`,
    'Message-ID: <r1@customer.example>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Sounds good, let us talk.',
    '',
  ].join('\r\n');
}

function dsn(touchId: string): string {
  return [
    'From: MAILER-DAEMON@mx.example',
    'To: bounces@mail.example.org',
    'Subject: Undelivered Mail',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example',
    '',
    'Final-Recipient: rfc822; ada@customer.example',
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 no such user',
    '--b1',
    'Content-Type: message/rfc822',
    '',
    `Message-ID: <${touchId}@mail.example.org>`,
    '--b1--',
    '',
  ].join('\r\n');
}

describe.each(dialects)('inbound mail fuzz on %s', (dialect) => {
  let store: TestStore;
  let ws: string;
  let touch: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ws = await newWorkspace(store, T0);
    ({ touch } = await seedSentTouch(store, ws, T0, { email: 'ada@customer.example' }));
  });
  afterAll(() => store.dispose());

  it('turns any message into an outcome without throwing, and an ignored one writes nothing', async () => {
    const message = fc.oneof(
      // Untouched, so every run also reaches the paths that write.
      fc.constant(null).map(() => reply(`<${touch}@mail.example.org>`)),
      fc.constant(null).chain(() => garbled(reply(`<${touch}@mail.example.org>`))),
      fc.constant(null).chain(() => garbled(dsn(touch))),
      fc.constant(null).chain(() => garbled(reply('<tch_0000000000000000000000000@x>'))),
      fc.tuple(nasty, nasty).map(([h, b]) => `Subject: ${h}\r\nIn-Reply-To: ${h}\r\n\r\n${b}`),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(message, async (text) => {
        const before = await rowCounts(store, ws, TABLES);
        const outcome = await processInbound(store, Buffer.from(text, 'latin1'), T0 + 3_600_000, {
          // The null reverse path, so delivery reports count; replies then count by their From address.
          mailFrom: '',
        });
        kinds.add(outcome.kind);
        if (outcome.kind === 'ignored') {
          expect(outcome.reason.length).toBeGreaterThan(3);
          expect(await rowCounts(store, ws, TABLES)).toEqual(before);
        }
      }),
      runs(dialect === 'sqlite' ? 120 : 60),
    );
    // The generator reaches the paths that write, not only the ignored ones.
    expect(kinds.has('ignored')).toBe(true);
    expect([...kinds].some((k) => k !== 'ignored')).toBe(true);
  });
});

describe('inbound SMTP size limit', () => {
  it('refuses a message over 10 MB with 552 and records nothing', async () => {
    const store = await openTestStore('sqlite');
    const seen: unknown[] = [];
    const listener = await startInboundSmtp(store, new SimulatedClock(T0), {
      port: 0,
      host: '127.0.0.1',
      onMessage: (o) => seen.push(o),
    });
    try {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: listener.port,
        secure: false,
        ignoreTLS: true,
      });
      const big = 'x'.repeat(11 * 1024 * 1024);
      await expect(
        transport.sendMail({
          from: 'a@customer.example',
          to: 'team@mail.example.org',
          subject: 'big',
          text: big,
        }),
      ).rejects.toThrow(/552|size|too large/i);
      expect(seen).toEqual([]);
      transport.close();
    } finally {
      await listener.close();
      await store.dispose();
    }
  });
});
