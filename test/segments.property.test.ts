// Property test: random rule trees over random contacts, accounts and events. The compiled SQL on each
// dialect must select exactly the contacts a small in-memory evaluator (written here, independent of the
// compiler) selects.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAudience } from '../src/store/audience.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { DAY, NOW, insertAccounts, insertContacts, insertEvents } from './segments-fixtures.js';

interface Acc {
  industry: string | null;
  size: number | null;
}
interface Con {
  email: string | null;
  lifecycle_stage: string | null;
  account: number | null;
  created_at: number;
  attributes: Record<string, unknown>;
}
interface Evt {
  contact: number;
  type: string;
  daysAgo: number;
  source?: string;
}
interface World {
  accounts: Acc[];
  contacts: Con[];
  events: Evt[];
}

const STAGES = ['lead', 'mql', 'customer'];
const PLANS = ['free', 'pro', 'Enterprise'];
const INDUSTRIES = ['SaaS', 'Retail'];
const SOURCES = ['ads', 'webinar'];
const TYPES = ['viewed', 'booked'];

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arb, { nil: undefined, freq: 3 });

const world: fc.Arbitrary<World> = fc
  .record({
    accounts: fc.array(
      fc.record({
        industry: fc.option(fc.constantFrom(...INDUSTRIES), { nil: null }),
        size: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    contacts: fc.array(
      fc.record({
        email: fc.option(fc.constantFrom('a@x.com', 'bo@y.org', 'Al@z.io', 'c@x.com'), { nil: null }),
        lifecycle_stage: fc.option(fc.constantFrom(...STAGES), { nil: null }),
        account: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
        created_at: fc.integer({ min: -100, max: 5 }).map((d) => NOW + d * DAY),
        attributes: fc
          .record({
            score: optional(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant('50'))),
            plan: optional(fc.oneof(fc.constantFrom(...PLANS), fc.constant(null))),
            beta: optional(fc.boolean()),
            seen: optional(fc.integer({ min: 0, max: 60 }).map((d) => new Date(NOW - d * DAY).toISOString())),
          })
          .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    events: fc.array(
      fc.record({
        contact: fc.integer({ min: 0, max: 11 }),
        type: fc.constantFrom(...TYPES),
        daysAgo: fc.integer({ min: -2, max: 60 }),
        source: optional(fc.constantFrom(...SOURCES)),
      }),
      { maxLength: 30 },
    ),
  })
  .map((w) => ({
    ...w,
    contacts: w.contacts.map((c) => ({
      ...c,
      account: c.account !== null && c.account < w.accounts.length ? c.account : null,
    })),
    events: w.events.filter((e) => e.contact < w.contacts.length),
  }));

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    attribute: fc.constant('lifecycle_stage'),
    op: fc.constantFrom('eq', 'neq'),
    value: fc.constantFrom(...STAGES),
  }),
  fc.record({
    attribute: fc.constant('lifecycle_stage'),
    op: fc.constantFrom('in', 'not_in'),
    value: fc.subarray(STAGES, { minLength: 1 }),
  }),
  fc.record({
    attribute: fc.constantFrom('lifecycle_stage', 'email', 'attributes.plan', 'attributes.score'),
    op: fc.constant('exists'),
    value: fc.boolean(),
  }),
  fc.record({
    attribute: fc.constant('email'),
    op: fc.constantFrom('contains', 'starts_with'),
    value: fc.constantFrom('a', 'AL', 'x.com', 'b'),
  }),
  fc.record({
    attribute: fc.constant('attributes.score'),
    op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'),
    value: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({
    attribute: fc.constant('attributes.score'),
    op: fc.constantFrom('eq', 'neq'),
    value: fc.constant('50'),
  }),
  fc.record({
    attribute: fc.constant('attributes.plan'),
    op: fc.constantFrom('in', 'not_in'),
    value: fc.subarray(PLANS, { minLength: 1 }),
  }),
  fc.record({
    attribute: fc.constant('attributes.plan'),
    op: fc.constantFrom('contains', 'starts_with'),
    value: fc.constantFrom('e', 'PR', 'ent'),
  }),
  fc.record({
    attribute: fc.constant('attributes.beta'),
    op: fc.constantFrom('eq', 'neq'),
    value: fc.boolean(),
  }),
  fc.record({
    attribute: fc.constant('attributes.seen'),
    op: fc.constantFrom('gt', 'lt'),
    value: fc.integer({ min: 0, max: 60 }).map((d) => new Date(NOW - d * DAY).toISOString()),
  }),
  fc.record({
    attribute: fc.constantFrom('attributes.seen', 'created_at'),
    op: fc.constant('within_last'),
    value: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({
    attribute: fc.constant('created_at'),
    op: fc.constantFrom('gt', 'gte', 'lt', 'lte'),
    value: fc.integer({ min: -100, max: 5 }).map((d) => new Date(NOW + d * DAY).toISOString()),
  }),
  fc.record({
    attribute: fc.constant('account.industry'),
    op: fc.constantFrom('eq', 'neq'),
    value: fc.constantFrom(...INDUSTRIES),
  }),
  fc.record({ attribute: fc.constant('account.industry'), op: fc.constant('exists'), value: fc.boolean() }),
  fc.record({
    attribute: fc.constant('account.size'),
    op: fc.constantFrom('gt', 'lte'),
    value: fc.integer({ min: 1, max: 1000 }),
  }),
  fc
    .record({
      event: fc.constantFrom(...TYPES),
      mode: fc.constantFrom('gte', 'lte', 'both', 'not', 'plain'),
      a: fc.integer({ min: 1, max: 3 }),
      b: fc.integer({ min: 0, max: 3 }),
      within_days: optional(fc.integer({ min: 1, max: 45 })),
      source: optional(fc.constantFrom(...SOURCES)),
    })
    .map(({ event, mode, a, b, within_days, source }) => ({
      event,
      ...(mode === 'gte' || mode === 'both' ? { count_gte: a } : {}),
      ...(mode === 'lte' ? { count_lte: b } : mode === 'both' ? { count_lte: a + b } : {}),
      ...(mode === 'not' ? { did: false } : {}),
      ...(within_days !== undefined ? { within_days } : {}),
      ...(source !== undefined ? { where: [{ property: 'source', op: 'eq', value: source }] } : {}),
    })),
);

const rule: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node;

// ---- the reference evaluator ------------------------------------------------------------------------

type Raw = Record<string, unknown>;

function valueOf(w: World, c: Con, field: string): unknown {
  if (field.startsWith('account.')) {
    const acc = c.account === null ? undefined : w.accounts[c.account];
    return acc ? (acc[field.slice('account.'.length) as keyof Acc] ?? undefined) : undefined;
  }
  if (field.startsWith('attributes.')) return c.attributes[field.slice('attributes.'.length)] ?? undefined;
  return c[field as keyof Con] ?? undefined;
}

function holds(op: string, x: unknown, v: unknown, isDateField: boolean): boolean {
  // A value of another type than the condition's value counts as missing.
  const sameType = (a: unknown): boolean =>
    a !== undefined && typeof a === typeof (Array.isArray(v) ? v[0] : v);
  switch (op) {
    case 'eq':
      return sameType(x) && x === v;
    case 'neq':
      return !(sameType(x) && x === v);
    case 'in':
      return sameType(x) && (v as unknown[]).includes(x);
    case 'not_in':
      return !(sameType(x) && (v as unknown[]).includes(x));
    case 'contains':
      return typeof x === 'string' && x.toLowerCase().includes((v as string).toLowerCase());
    case 'starts_with':
      return typeof x === 'string' && x.toLowerCase().startsWith((v as string).toLowerCase());
    case 'exists':
      return (x !== undefined) === v;
  }
  // Ordered comparisons: built-in dates are epoch ms, JSON dates ISO text, numbers numbers.
  const target = isDateField ? Date.parse(v as string) : v;
  if (typeof x !== typeof target) return false;
  const [a, b] = [x as number | string, target as number | string];
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
  }
  throw new Error(`no reference for ${op}`);
}

function evaluate(w: World, i: number, node: unknown): boolean {
  const n = node as Raw;
  const c = w.contacts[i]!;
  if ('all' in n) return (n.all as unknown[]).every((x) => evaluate(w, i, x));
  if ('any' in n) return (n.any as unknown[]).some((x) => evaluate(w, i, x));
  if ('not' in n) return !evaluate(w, i, n.not);
  if ('event' in n) {
    const count = w.events.filter(
      (e) =>
        e.contact === i &&
        e.type === n.event &&
        (n.within_days === undefined || (e.daysAgo >= 0 && e.daysAgo <= (n.within_days as number))) &&
        (n.where === undefined || e.source === (n.where as Array<{ value: string }>)[0]!.value),
    ).length;
    if (n.did === false) return count === 0;
    const min = (n.count_gte as number | undefined) ?? (n.count_lte !== undefined ? 0 : 1);
    const max = (n.count_lte as number | undefined) ?? Infinity;
    return count >= min && count <= max;
  }
  const field = n.attribute as string;
  const op = n.op as string;
  if (op === 'within_last') {
    const from = NOW - (n.value as number) * DAY;
    const x = valueOf(w, c, field);
    if (field === 'created_at') return (x as number) >= from && (x as number) <= NOW;
    return typeof x === 'string' && x >= new Date(from).toISOString() && x <= new Date(NOW).toISOString();
  }
  return holds(op, valueOf(w, c, field), n.value, field === 'created_at');
}

describe.each(dialects)('compiled segments agree with a reference evaluator on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('for random rules over random data', async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.array(rule, { minLength: 1, maxLength: 6 }), async (w, rules) => {
        const ws = await newWorkspace(store);
        const accountIds = await insertAccounts(
          store,
          ws,
          w.accounts.map((a, i) => ({ ...a, domain: `d${i}.com` })),
        );
        const contactIds = await insertContacts(
          store,
          ws,
          w.contacts.map((c, i) => ({
            id: `c${String(i).padStart(2, '0')}_${ws}`,
            email: c.email === null ? null : `${i}${c.email}`,
            lifecycle_stage: c.lifecycle_stage,
            account_id: c.account === null ? null : accountIds[c.account]!,
            created_at: c.created_at,
            attributes: c.attributes,
          })),
        );
        // The generated emails are prefixed with the index to keep them unique; the evaluator sees the same.
        const seen: World = {
          ...w,
          contacts: w.contacts.map((c, i) => ({ ...c, email: c.email === null ? null : `${i}${c.email}` })),
        };
        await insertEvents(
          store,
          ws,
          w.events.map((e) => ({
            contact_id: contactIds[e.contact]!,
            type: e.type,
            occurred_at: NOW - e.daysAgo * DAY,
            properties: e.source === undefined ? {} : { source: e.source },
          })),
        );
        for (const r of rules) {
          const got = (await resolveAudience(store, ws, { segment: r }, { now: NOW, channel: 'none' }))
            .contactIds;
          const want = contactIds.filter((_, i) => evaluate(seen, i, r));
          expect(got, JSON.stringify(r)).toEqual(want);
        }
      }),
      { numRuns: dialect === 'sqlite' ? 60 : 40 },
    );
  });
});
