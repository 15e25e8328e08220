// Fuzzing segment rules: any JSON as a rule, and well-formed trees with odd fields, operators and values,
// through the pure checker, the SQL compiler on both dialects (previewing against contacts with attributes
// of every JSON type) and the HTTP API. Nothing answers 500 or throws anything but a BatonError; a rule
// refused on save writes no segment.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { checkRule, OPERATORS } from '../../src/domain/segment.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { previewAudience } from '../../src/store/audience.js';
import { DAY, NOW, insertAccounts, insertContacts, insertEvents } from '../segments-fixtures.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { batonOrValue, expectHandled, json, mutated, nasty, rowCounts, runs } from './fuzz-support.js';

const FIELDS = [
  'email',
  'lifecycle_stage',
  'created_at',
  'first_name',
  'time_zone',
  'subscription_status',
  'attributes.score',
  'attributes.plan',
  'attributes.tags',
  'attributes.deep.er',
  'attributes.flag',
  'attributes.missing',
  'account.industry',
  'account.size',
  'account.attributes.tier',
  'account.domain',
];

const scalar = fc.oneof(
  nasty,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constantFrom('2027-01-01', '2027-01-01T00:00:00Z', '30', '-1', '1e3'),
);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(null), json);

const condition = fc.oneof(
  fc.record(
    {
      attribute: fc.oneof(fc.constantFrom(...FIELDS), nasty, fc.constant('attributes.')),
      op: fc.oneof(fc.constantFrom(...OPERATORS), nasty),
      value,
    },
    { requiredKeys: ['attribute', 'op'] },
  ),
  fc.record(
    {
      event: fc.oneof(fc.constantFrom('viewed', 'booked'), nasty),
      did: fc.oneof(fc.boolean(), json),
      count_gte: fc.oneof(fc.integer({ min: -2, max: 5 }), json),
      count_lte: fc.oneof(fc.integer({ min: -2, max: 5 }), json),
      within_days: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.double(), json),
      between: fc.record({ from: value, to: value }),
      where: fc.array(
        fc.record({
          property: fc.oneof(fc.constantFrom('plan', 'value', 'a.b'), nasty),
          op: fc.constantFrom(...OPERATORS),
          value,
        }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ['event'] },
  ),
  fc.record({ list: fc.oneof(fc.constantFrom('customers', 'targets'), nasty) }),
  fc.record({ segment: fc.oneof(fc.constantFrom('self', 'other'), nasty) }),
);

const rule: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    condition,
    fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node;

const realistic = {
  all: [
    { attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] },
    { attribute: 'attributes.score', op: 'gte', value: 10 },
    { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
    { event: 'viewed', within_days: 60, count_gte: 1, where: [{ property: 'plan', op: 'eq', value: 'pro' }] },
    { not: { attribute: 'email', op: 'contains', value: 'test' } },
  ],
};
// The realistic rule as it is too, so every run reaches the compiler and the database.
const anyRule = fc.oneof(rule, mutated(realistic), json, fc.constant(realistic));

describe('segment rule checker', () => {
  it('returns a typed rule or issues with a path and a reason for any JSON, and never throws', () => {
    fc.assert(
      fc.property(anyRule, (raw) => {
        const { rule: checked, issues } = checkRule(raw);
        if (!checked) {
          expect(issues.length).toBeGreaterThan(0);
          for (const i of issues) expect(i.message.length).toBeGreaterThan(3);
        }
      }),
      runs(800),
    );
  });
});

describe.each(dialects)('segment rules against the store on %s', (dialect) => {
  let store: TestStore;
  let ws: string;
  let app: FastifyInstance;
  let auth: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ws = await newWorkspace(store, NOW);
    const [acc] = await insertAccounts(store, ws, [
      { industry: 'SaaS', size: 40, domain: 'acme.com', attributes: { tier: 1 } },
    ]);
    const ids = await insertContacts(store, ws, [
      {
        email: 'a@acme.com',
        lifecycle_stage: 'lead',
        account_id: acc,
        attributes: { score: 12, plan: 'pro', tags: ['x', 'y'], deep: { er: true }, flag: false },
      },
      {
        email: 'b@x.org',
        lifecycle_stage: 'mql',
        attributes: { score: '12', plan: null, tags: 'x', deep: 'not-an-object', flag: 'yes' },
      },
      {
        email: null,
        lifecycle_stage: null,
        attributes: { score: 1e300, plan: { nested: 1 }, tags: [], deep: { er: [1] } },
      },
      { email: 'Ünï@cødé.example', attributes: { score: -0.5, plan: 'Ω≈ç√', flag: null } },
    ]);
    await insertEvents(store, ws, [
      {
        contact_id: ids[0]!,
        type: 'viewed',
        occurred_at: NOW - DAY,
        properties: { plan: 'pro', value: 3, a: { b: 1 } },
      },
      { contact_id: ids[1]!, type: 'viewed', occurred_at: NOW - 90 * DAY, properties: { plan: 7 } },
      { contact_id: ids[2]!, type: 'booked', occurred_at: NOW, properties: { value: 'ten' } },
    ]);
    const { key } = await new ApiKeysRepository(store).create(
      ws,
      { kind: 'api', scopes: ['read', 'write'] },
      NOW,
    );
    auth = `Bearer ${key}`;
    app = await buildApp(
      { store, clock: new SimulatedClock(NOW), secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
      { rateLimit: false },
    );
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('previews any rule the checker accepts without a database error, and refuses the others with a BatonError', async () => {
    let compiled = 0;
    await fc.assert(
      fc.asyncProperty(anyRule, fc.constantFrom('email', 'sms', 'none'), async (raw, channel) => {
        const r = await batonOrValue(() =>
          previewAudience(store, ws, { segment: raw }, { now: NOW, channel: channel as 'email' }),
        );
        if (r.ok) {
          compiled++;
          expect(r.value.count).toBeLessThanOrEqual(4);
        }
      }),
      runs(dialect === 'sqlite' ? 300 : 150),
    );
    // The generator must reach the compiler, not only the checker's refusals.
    expect(compiled).toBeGreaterThan(3);
  });

  it('answers preview and save of any rule without a 500, and a refused save writes no segment', async () => {
    await fc.assert(
      fc.asyncProperty(anyRule, nasty, fc.boolean(), async (raw, name, save) => {
        const before = await rowCounts(store, ws, ['segments'] as const);
        const r = await app.inject({
          method: 'POST',
          url: save ? '/api/v1/segments' : '/api/v1/segments/preview',
          headers: { authorization: auth },
          payload: save ? { name: `${name}-${Math.random()}`, rule: raw } : { segment: raw },
        });
        expectHandled(r, save ? [201, 400, 404, 409, 422] : [200, 400, 404, 422]);
        const after = await rowCounts(store, ws, ['segments'] as const);
        expect(after.segments).toBe(before.segments + (r.statusCode === 201 ? 1 : 0));
      }),
      runs(dialect === 'sqlite' ? 120 : 60),
    );
  });
});
