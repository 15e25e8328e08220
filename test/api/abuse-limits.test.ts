// Abuse limits through the real app: rate limits per API key, write key and address on every limited
// surface (429 + Retry-After, on a simulated clock), security headers, and body limits (413, nothing written).
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import type { RateLimits } from '../../src/ops/rate-limit.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const ctxOf = (store: TestStore) => ({
  store,
  clock: new SimulatedClock(T0),
  secret: 's'.repeat(40),
  publicUrl: 'http://localhost:4400',
});
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** A gzip body that inflates to `mib` MiB: a track call whose one property is that long. */
async function gzipBomb(mib: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gz.on('end', resolve));
  gz.write('{"batch":[{"type":"track","userId":"u","event":"Bomb","properties":{"p":"');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  for (let i = 0; i < mib; i++) {
    if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
  }
  gz.end('"}}]}');
  await done;
  return Buffer.concat(out);
}

async function countRows(store: TestStore, table: 'contacts' | 'events', ws: string): Promise<number> {
  const r = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('rate limits', () => {
  let store: TestStore;
  let ws: string;
  let apiKeyA: string;
  let apiKeyB: string;
  let writeKey: string;
  let app: FastifyInstance;
  const limiterClock = new SimulatedClock(T0);
  const limits: RateLimits = {
    api: { perKey: { max: 3, windowMs: 60_000 }, perIp: { max: 5, windowMs: 60_000 } },
    ingest: { perKey: { max: 2, windowMs: 1000 }, perIp: { max: 4, windowMs: 1000 } },
    tracking: { perIp: { max: 3, windowMs: 60_000 } },
    clock: limiterClock,
  };

  beforeAll(async () => {
    store = await openTestStore('sqlite');
    ws = await newWorkspace(store, T0);
    const keys = new ApiKeysRepository(store);
    apiKeyA = `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['read'] }, T0)).key}`;
    apiKeyB = `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['read'] }, T0)).key}`;
    writeKey = (await keys.create(ws, { kind: 'ingest', scopes: ['ingest'] }, T0)).key;
    app = await buildApp(ctxOf(store), { rateLimit: limits });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('limits /api/v1 per API key: 429, Retry-After to the window end, and a message naming the limit', async () => {
    const get = (auth: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: auth, ...from('10.0.0.1') },
      });
    for (let i = 0; i < 3; i++) expect((await get(apiKeyA)).statusCode).toBe(200);
    limiterClock.advance(20_000);
    const r = await get(apiKeyA);
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('40');
    expect(r.json().error).toMatchObject({
      code: 'rate_limited',
      details: { limit: 'api.perKey', max: 3, window_seconds: 60, retry_after_seconds: 40 },
    });
    expect(r.json().error.message).toBe(
      'too many requests from this API key: at most 3 per minute; retry after 40 s',
    );
    // Another key from another address is not held back by the first one's window.
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/contacts',
          headers: { authorization: apiKeyB, ...from('10.0.0.2') },
        })
      ).statusCode,
    ).toBe(200);
    limiterClock.advance(40_000);
    expect((await get(apiKeyA)).statusCode).toBe(200);
  });

  it('limits /api/v1 per address whatever key (or none) a caller sends', async () => {
    limiterClock.advance(60_000);
    const get = (i: number) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: `Bearer made-up-${i}`, ...from('10.0.1.1') },
      });
    for (let i = 0; i < 5; i++) expect((await get(i)).statusCode).toBe(401);
    const r = await get(99);
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('60');
    expect(r.json().error.details.limit).toBe('api.perIp');
    expect(r.json().error.message).toMatch(/this address on the API: at most 5 per minute/);
    // Sign-in has no key: the address limit holds it too.
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: from('10.0.1.1'),
      payload: {},
    });
    expect(signIn.statusCode).toBe(429);
  });

  it('believes X-Forwarded-For only from a private proxy, so a client cannot pick a fresh address', async () => {
    limiterClock.advance(60_000);
    const direct = (i: number) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        remoteAddress: '203.0.113.7',
        headers: { authorization: `Bearer x-${i}`, 'x-forwarded-for': `198.51.100.${i}` },
      });
    for (let i = 0; i < 5; i++) expect((await direct(i)).statusCode).toBe(401);
    expect((await direct(5)).statusCode).toBe(429);
  });

  it('limits ingestion per write key and per address', async () => {
    limiterClock.advance(60_000);
    const before = await countRows(store, 'events', ws);
    const track = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { 'content-type': 'application/json', ...headers },
        payload: { userId: 'u1', event: 'Rate Probe', timestamp: new Date(T0).toISOString() },
      });
    expect((await track({ authorization: basic(writeKey), ...from('10.0.2.1') })).statusCode).toBe(200);
    expect((await track({ authorization: basic(writeKey), ...from('10.0.2.2') })).statusCode).toBe(200);
    const r = await track({ authorization: basic(writeKey), ...from('10.0.2.3') });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.json().error.details.limit).toBe('ingest.perKey');
    expect(r.json().error.message).toMatch(/this write key: at most 2 per second/);
    expect(await countRows(store, 'events', ws)).toBe(before + 2);

    limiterClock.advance(1000);
    // Per address: made-up keys each have their own window, the address does not.
    for (let i = 0; i < 4; i++)
      expect((await track({ authorization: basic(`wk-${i}`), ...from('10.0.2.9') })).statusCode).toBe(401);
    const byIp = await track({ authorization: basic('wk-9'), ...from('10.0.2.9') });
    expect(byIp.statusCode).toBe(429);
    expect(byIp.json().error.details.limit).toBe('ingest.perIp');
    limiterClock.advance(1000);
    expect((await track({ authorization: basic(writeKey), ...from('10.0.2.9') })).statusCode).toBe(200);
  });

  it('limits tracking and unsubscribe links per address', async () => {
    limiterClock.advance(60_000);
    const hit = (url: string) => app.inject({ method: 'GET', url, headers: from('10.0.3.1') });
    expect((await hit('/t/o/nope.gif')).statusCode).toBe(404);
    expect((await hit('/t/c/nope')).statusCode).toBe(404);
    expect((await hit('/u/nope')).statusCode).toBe(404);
    const r = await hit('/t/c/nope');
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('60');
    expect(r.json().error.details.limit).toBe('tracking.perIp');
    // Operations endpoints and the web app are not limited.
    for (let i = 0; i < 5; i++) expect((await hit('/healthz')).statusCode).toBe(200);
  });
});

describe('security headers', () => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
    app = await buildApp(ctxOf(store), { rateLimit: false });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('sends the CSP, no-sniff, frame and referrer headers on API answers, and no HSTS over plain HTTP', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['referrer-policy']).toBe('same-origin');
    expect(r.headers['strict-transport-security']).toBeUndefined();
    const err = await app.inject({ method: 'GET', url: '/api/v1/contacts' });
    expect(err.statusCode).toBe(401);
    expect(err.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends HSTS when a trusted proxy says the request came over HTTPS, and only then', async () => {
    const https = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(https.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const spoofed = await app.inject({
      method: 'GET',
      url: '/healthz',
      remoteAddress: '203.0.113.7',
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });

  it('lets mail clients of other origins load the tracking pixel', async () => {
    const r = await app.inject({ method: 'GET', url: '/t/o/nope.gif' });
    expect(r.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const api = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(api.headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});

describe.each(dialects)('body limits on %s', (dialect) => {
  let store: TestStore;
  let ws: string;
  let app: FastifyInstance;
  let bearer: string;
  let writeKey: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ws = await newWorkspace(store, T0);
    const keys = new ApiKeysRepository(store);
    bearer = `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['write', 'read'] }, T0)).key}`;
    writeKey = (await keys.create(ws, { kind: 'ingest', scopes: ['ingest'] }, T0)).key;
    app = await buildApp(ctxOf(store), { rateLimit: false });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('refuses an API body over 1 MiB with 413 naming the limit, and writes nothing', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'big@example.com', attributes: { pad: 'x'.repeat(1_100_000) } }),
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
    expect(r.json().error.message).toMatch(/larger than 1024 KB/);
    expect(await countRows(store, 'contacts', ws)).toBe(0);
  });

  it('refuses a list CSV upload over the limit', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/lists/targets/import',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      payload: JSON.stringify({ csv: 'domain\n' + 'a.example.com\n'.repeat(80_000) }),
    });
    expect(r.statusCode).toBe(413);
  });

  it('refuses a gzip bomb without inflating it past the limit, and stores nothing', async () => {
    // 256 MiB of one JSON string, compressed as it is produced (the test never holds it either).
    const bomb = await gzipBomb(256);
    expect(bomb.length).toBeLessThan(500 * 1024);
    const rss = process.memoryUsage().rss;
    const r = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: {
        authorization: basic(writeKey),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      payload: bomb,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatchObject({
      code: 'payload_too_large',
      message: 'a call carries at most 500 KB',
    });
    // Inflating the whole bomb would hold 256 MiB at once.
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    expect(await countRows(store, 'events', ws)).toBe(0);
  });

  it('refuses an ingestion call over 500 KB and a single message over 32 KB', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(writeKey), 'content-type': 'application/json' },
      payload: JSON.stringify({
        batch: [{ type: 'track', userId: 'u', event: 'x', properties: { p: 'x'.repeat(600_000) } }],
      }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.message).toBe('a call carries at most 500 KB');
    const one = await app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: basic(writeKey), 'content-type': 'application/json' },
      payload: JSON.stringify({ userId: 'u', event: 'x', properties: { p: 'x'.repeat(40_000) } }),
    });
    expect(one.statusCode).toBe(413);
    expect(one.json().error.message).toBe('a message carries at most 32 KB');
    expect(await countRows(store, 'events', ws)).toBe(0);
  });

  it('refuses an unsubscribe form body over 16 KB', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/u/whatever',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click&pad=' + 'x'.repeat(20_000),
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('payload_too_large');
  });
});
