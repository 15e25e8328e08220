// Fuzzing Segment-compatible ingestion (/v1/track, /v1/batch and the other single-message calls) through
// the real app: any body is answered without a 500; a refused call stores nothing, and an accepted one
// stores at most what it says it stored.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from '../ingest/ingest-support.js';
import { expectHandled, json, mutated, nasty, rowCounts, runs } from './fuzz-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');
const TABLES = ['events', 'contacts', 'accounts', 'contact_identities'] as const;

const track = {
  type: 'track',
  userId: 'user-1',
  anonymousId: 'anon-1',
  event: 'Demo Booked',
  messageId: 'msg-1',
  timestamp: '2027-01-04T11:00:00.000Z',
  sentAt: '2027-01-04T11:00:01.000Z',
  properties: { plan: 'pro', value: 120, nested: { a: [1, 2] } },
  context: { traits: { email: 'a@example.com' }, ip: '10.0.0.1' },
};
const identify = {
  type: 'identify',
  userId: 'user-2',
  traits: { email: 'b@example.com', first_name: 'Bo', timezone: 'Europe/Berlin', company: { name: 'Acme' } },
};
const group = {
  type: 'group',
  userId: 'user-3',
  groupId: 'g-1',
  traits: { domain: 'acme.com', employees: 40 },
};
const alias = { type: 'alias', userId: 'user-4', previousId: 'anon-4' };
const page = {
  type: 'page',
  anonymousId: 'anon-5',
  name: 'Pricing',
  properties: { url: 'https://x.test/p' },
};

const message = fc.oneof(
  mutated(track),
  mutated(identify),
  mutated(group),
  mutated(alias),
  mutated(page),
  json,
);

/** A body as bytes: valid-looking JSON with fields gone wrong, any JSON, or no JSON at all. */
const body = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  fc.array(message, { maxLength: 5 }).map((batch) => JSON.stringify({ batch, sentAt: track.sentAt })),
  mutated({ batch: [track, identify, group] }).map((b) => JSON.stringify(b)),
  json.map((j) => JSON.stringify(j) ?? 'null'),
  nasty,
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe.each(dialects)('ingestion fuzz on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    fx = await ingestFixture(store, new SimulatedClock(NOW), NOW);
  });
  afterAll(async () => {
    await fx.app.close();
    await store.dispose();
  });

  it('answers any body on every call without a 500, and a refused call stores nothing', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', 'batch'), body),
          // Untouched calls too, so every run also reaches the store.
          fc.constant(['batch', JSON.stringify({ batch: [track, identify, group, alias, page] })] as const),
          fc.constant(['track', JSON.stringify(track)] as const),
        ),
        fc.boolean(),
        async ([call, text], gzip) => {
          const before = await rowCounts(store, fx.ws, TABLES);
          const r = await fx.app.inject({
            method: 'POST',
            url: `/v1/${call}`,
            headers: {
              authorization: fx.basic,
              'content-type': 'application/json',
              ...(gzip ? { 'content-encoding': 'gzip' } : {}),
            },
            payload: gzip ? gzipSync(Buffer.from(text, 'utf8')) : text,
          });
          expectHandled(r, [200, 400, 413]);
          const after = await rowCounts(store, fx.ws, TABLES);
          if (r.statusCode !== 200) expect(after).toEqual(before);
          else {
            accepted++;
            const { stored } = r.json() as { stored: number };
            expect(after.events - before.events).toBe(stored);
          }
        },
      ),
      runs(dialect === 'sqlite' ? 150 : 80),
    );
    // Some calls must get through to the store, or the property would only test the refusals.
    expect(accepted).toBeGreaterThan(5);
  });

  it('refuses a corrupted gzip body or an unknown encoding with a 4xx and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.constantFrom('gzip', 'deflate', 'br', 'x-unknown'),
        async (bytes, encoding) => {
          const before = await rowCounts(store, fx.ws, TABLES);
          const r = await fx.app.inject({
            method: 'POST',
            url: '/v1/batch',
            headers: {
              authorization: fx.basic,
              'content-type': 'application/json',
              'content-encoding': encoding,
            },
            payload: Buffer.from(bytes),
          });
          expectHandled(r, [400, 415]);
          expect(await rowCounts(store, fx.ws, TABLES)).toEqual(before);
        },
      ),
      runs(60),
    );
  });
});
