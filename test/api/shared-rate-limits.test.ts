// Rate limits shared across processes: two app instances, each with its own connection pool on the same
// PostgreSQL database (as two `baton serve` processes behind a balancer), count against one budget — the
// request after the shared budget gets 429 with Retry-After from either instance, and the window ends for
// both. The counting itself (fixed windows, sweeping) runs on both dialects.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { rateLimitStoreFor, rateLimitsFromEnv, type RateLimits } from '../../src/ops/rate-limit.js';
import { countHit, sweepHits } from '../../src/ops/rate-limit-store.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const ctxOf = (store: TestStore) => ({
  store,
  clock: new SimulatedClock(T0),
  secret: 's'.repeat(40),
  publicUrl: 'http://localhost:4400',
});
// A documentation address (RFC 5737 TEST-NET-2) per run: the PostgreSQL database is shared by test files.
const address = () => `198.51.100.${1 + Math.floor(Math.random() * 254)}`;

describe('rate limits shared by two app instances on one PostgreSQL database', () => {
  let storeA: TestStore;
  let storeB: TestStore;
  let appA: FastifyInstance;
  let appB: FastifyInstance;
  let key: string;
  // A window far from the other tests' clocks, so their rows never fall in this one's.
  const clock = new SimulatedClock(T0 + Math.floor(Math.random() * 1e9) * 1000);
  const limits: RateLimits = {
    api: { perKey: { max: 4, windowMs: 60_000 }, perIp: { max: 100, windowMs: 60_000 } },
    ingest: { perKey: false, perIp: false },
    tracking: { perIp: { max: 3, windowMs: 60_000 } },
    clock,
    store: 'database',
  };

  beforeAll(async () => {
    storeA = await openTestStore('postgres');
    storeB = await openTestStore('postgres');
    const ws = await newWorkspace(storeA, T0);
    key = `Bearer ${(await new ApiKeysRepository(storeA).create(ws, { kind: 'api', scopes: ['read'] }, T0)).key}`;
    appA = await buildApp(ctxOf(storeA), { rateLimit: limits });
    appB = await buildApp(ctxOf(storeB), { rateLimit: limits });
  });
  afterAll(async () => {
    await appA.close();
    await appB.close();
    await storeA.dispose();
    await storeB.dispose();
  });

  it('lets the key through 4 times across both instances, then answers 429 with Retry-After on both', async () => {
    const ip = address();
    const get = (app: FastifyInstance) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/contacts',
        headers: { authorization: key, 'x-forwarded-for': ip },
      });
    // Alternating: each instance alone has seen only 2, under its limit of 4.
    for (const app of [appA, appB, appA, appB]) expect((await get(app)).statusCode).toBe(200);
    clock.advance(15_000);
    for (const app of [appA, appB]) {
      const r = await get(app);
      expect(r.statusCode).toBe(429);
      expect(r.headers['retry-after']).toBe('45');
      expect(r.json().error.details).toMatchObject({ limit: 'api.perKey', max: 4, retry_after_seconds: 45 });
    }
    // The shared window ends for both at once.
    clock.advance(45_000);
    expect((await get(appB)).statusCode).toBe(200);
    expect((await get(appA)).statusCode).toBe(200);
  });

  it('shares the per-address limit of tracking links, counting concurrent requests exactly', async () => {
    const ip = address();
    const hit = (app: FastifyInstance) =>
      app.inject({ method: 'GET', url: '/t/c/nope', headers: { 'x-forwarded-for': ip } });
    // Six requests at once, three per instance, on separate connections: exactly three get through.
    const codes = (await Promise.all([appA, appB, appA, appB, appA, appB].map(hit))).map((r) => r.statusCode);
    expect(codes.filter((c) => c === 404)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(3);
  });

  it('BATON_RATE_LIMIT=off turns the shared limits off too', async () => {
    const ip = address();
    const hit = (app: FastifyInstance) =>
      app.inject({ method: 'GET', url: '/t/c/nope', headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 3; i++) await hit(appA);
    expect((await hit(appB)).statusCode).toBe(429);
    const env = { BATON_RATE_LIMIT: 'off' };
    const off = await buildApp(ctxOf(storeB), { rateLimit: rateLimitsFromEnv(env) });
    try {
      for (let i = 0; i < 5; i++) expect((await hit(off)).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('the serve store choice', () => {
  it('counts in the database on PostgreSQL and in memory on SQLite (one process owns the file)', () => {
    expect(rateLimitStoreFor('postgres')).toBe('database');
    expect(rateLimitStoreFor('sqlite')).toBe('memory');
  });
});

describe.each(dialects)('database rate-limit counters on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(async () => {
    await store.dispose();
  });

  it('counts in a fixed window from the first request, starts again after it, and sweeps ended windows', async () => {
    const k = `test.limit:${Math.random()}`;
    const t = T0 + Math.floor(Math.random() * 1e9) * 1000;
    expect(await countHit(store.db, k, 10_000, t)).toEqual({ current: 1, expiresAt: t + 10_000 });
    expect(await countHit(store.db, k, 10_000, t + 4000)).toEqual({ current: 2, expiresAt: t + 10_000 });
    expect(await countHit(store.db, k, 10_000, t + 9999)).toEqual({ current: 3, expiresAt: t + 10_000 });
    // The window [t, t + 10 s) has ended: a new one starts at this request.
    expect(await countHit(store.db, k, 10_000, t + 10_000)).toEqual({ current: 1, expiresAt: t + 20_000 });
    const other = `${k}:other`;
    await countHit(store.db, other, 1000, t);
    expect(await sweepHits(store.db, t + 1000)).toBeGreaterThanOrEqual(1);
    const left = await store.db
      .selectFrom('rate_limit_hits')
      .select('key')
      .where('key', 'in', [k, other])
      .execute();
    expect(left.map((r) => r.key)).toEqual([k]);
  });
});
