// Fuzzing the public tracking links (/t/o/<token>.gif, /t/c/<token>, GET and POST /u/<token>) through the
// real app: forged, truncated, re-signed and garbage tokens never reach a 500 and never write a row; a
// click never redirects anywhere but an http(s) link stored on the touch.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { signToken } from '../../src/content/tokens.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { expectHandled, garbled, nasty, rowCounts, runs, seedSentTouch } from './fuzz-support.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const SECRET = 'f'.repeat(40);
const LINKS = ['https://example.com/pricing', 'javascript:alert(1)', '//evil.example/x'];
const TABLES = ['events', 'suppressions', 'contacts'] as const;

/** Every byte of the UTF-8 form escaped except unreserved characters (lone surrogates become U+FFFD). */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

describe.each(dialects)('tracking links fuzz on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let touch: string;
  let contact: string;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ws = await newWorkspace(store, T0);
    ({ contact, touch } = await seedSentTouch(store, ws, T0, {
      email: 'fuzz@customer.example',
      details: { email: { links: LINKS } },
    }));
    app = await buildApp(
      {
        store,
        clock: new SimulatedClock(T0 + 3_600_000),
        secret: SECRET,
        publicUrl: 'http://localhost:4400',
      },
      { rateLimit: false },
    );
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  const id = fc.oneof(
    fc.constant('TOUCH'),
    fc.constant('CONTACT'),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    nasty,
  );
  /** Tokens: properly signed ones about real or made-up ids, and forged or mangled ones. */
  const signed = fc
    .record({
      kind: fc.constantFrom('open', 'click', 'unsubscribe', 'post'),
      id,
      other: fc.option(id, { nil: null }),
      index: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -5, max: 2 ** 31 })),
    })
    .map(({ kind, id: raw, other, index }) => {
      const real = (v: string) => (v === 'TOUCH' ? touch : v === 'CONTACT' ? contact : v);
      const a = real(raw);
      const b = other === null ? null : real(other);
      switch (kind) {
        case 'open':
          return signToken(SECRET, { kind: 'open', touchId: a });
        case 'click':
          return signToken(SECRET, { kind: 'click', touchId: a, index });
        case 'unsubscribe':
          return signToken(SECRET, { kind: 'unsubscribe', contactId: a, touchId: b });
        default:
          return signToken(SECRET, { kind: 'post', postId: a });
      }
    });
  const forged = fc.oneof(
    signed.chain((t) => garbled(t)),
    fc.constant(null).map(() => signToken('x'.repeat(40), { kind: 'click', touchId: touch, index: 0 })),
    nasty,
    fc.stringMatching(/^[a-z]\.[A-Za-z0-9_.-]{0,60}$/),
  );
  // Percent-escapes sent as they are, malformed ones included.
  const raw = fc.stringMatching(/^[%A-Fa-f0-9.]{1,30}$/).map((s) => `RAW:${s}`);
  const token = fc.oneof(signed, forged, raw);

  it('answers any token on every tracking path without a 500; only a valid one writes, and a click goes only to a stored http(s) link', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('open', 'click', 'page', 'unsubscribe'),
        token,
        fc.oneof(
          fc.constant('List-Unsubscribe=One-Click'),
          nasty.map((s) => `category=${percentEncode(s)}`),
          nasty,
        ),
        async (path, t, form) => {
          const before = await rowCounts(store, ws, TABLES);
          const enc = t.startsWith('RAW:') ? t.slice(4) : percentEncode(t);
          const r =
            path === 'open'
              ? await app.inject({ method: 'GET', url: `/t/o/${enc}.gif` })
              : path === 'click'
                ? await app.inject({ method: 'GET', url: `/t/c/${enc}` })
                : path === 'page'
                  ? await app.inject({ method: 'GET', url: `/u/${enc}` })
                  : await app.inject({
                      method: 'POST',
                      url: `/u/${enc}`,
                      headers: { 'content-type': 'application/x-www-form-urlencoded' },
                      payload: form,
                    });
          expectHandled(r, [200, 302, 400, 404, 414, 422]);
          if (r.statusCode === 302) expect(r.headers.location).toBe(LINKS[0]);
          if (r.statusCode >= 400) expect(await rowCounts(store, ws, TABLES)).toEqual(before);
        },
      ),
      runs(dialect === 'sqlite' ? 200 : 100),
    );
  });
});
