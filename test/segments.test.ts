// Segment rules compiled to SQL: one table of cases per operator and condition kind, run on SQLite and
// PostgreSQL against the same small fixture, plus saved segments, lists and reference checks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../src/domain/errors.js';
import { resolveAudience } from '../src/store/audience.js';
import { ListsRepository } from '../src/store/lists.repository.js';
import { SegmentsRepository } from '../src/store/segments.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { DAY, NOW, insertAccounts, insertContacts, insertEvents } from './segments-fixtures.js';

type Key = 'ann' | 'bob' | 'cat' | 'dan' | 'eve';

/** [name, rule, contacts expected to match] */
const CASES: Array<[string, unknown, Key[]]> = [
  ['eq text', { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }, ['ann', 'eve']],
  [
    'neq text includes missing',
    { attribute: 'lifecycle_stage', op: 'neq', value: 'lead' },
    ['bob', 'cat', 'dan'],
  ],
  ['in', { attribute: 'lifecycle_stage', op: 'in', value: ['mql', 'customer'] }, ['bob', 'cat']],
  [
    'not_in includes missing',
    { attribute: 'lifecycle_stage', op: 'not_in', value: ['lead'] },
    ['bob', 'cat', 'dan'],
  ],
  ['contains ignores case', { attribute: 'title', op: 'contains', value: 'MARKET' }, ['ann']],
  ['starts_with ignores case', { attribute: 'email', op: 'starts_with', value: 'ANN@' }, ['ann']],
  ['exists', { attribute: 'email', op: 'exists' }, ['ann', 'bob', 'dan', 'eve']],
  ['exists false', { attribute: 'email', op: 'exists', value: false }, ['cat']],
  [
    'gt json number skips a numeric string',
    { attribute: 'attributes.score', op: 'gt', value: 75 },
    ['ann', 'eve'],
  ],
  ['gte json number', { attribute: 'attributes.score', op: 'gte', value: 80 }, ['ann', 'eve']],
  ['lt json number', { attribute: 'attributes.score', op: 'lt', value: 50 }, ['bob']],
  ['lte json number', { attribute: 'attributes.score', op: 'lte', value: 40 }, ['bob']],
  ['eq json number', { attribute: 'attributes.score', op: 'eq', value: 80 }, ['ann']],
  ['eq json text does not match a number', { attribute: 'attributes.score', op: 'eq', value: '75' }, ['cat']],
  ['eq json boolean', { attribute: 'attributes.beta', op: 'eq', value: true }, ['ann']],
  [
    'neq json boolean',
    { attribute: 'attributes.beta', op: 'neq', value: true },
    ['bob', 'cat', 'dan', 'eve'],
  ],
  ['in json text', { attribute: 'attributes.plan', op: 'in', value: ['pro', 'free'] }, ['ann', 'bob']],
  ['in json numbers', { attribute: 'attributes.score', op: 'in', value: [40, 80.5] }, ['bob', 'eve']],
  ['nested json path', { attribute: 'attributes.nested.level', op: 'eq', value: 2 }, ['eve']],
  ['json exists (null is not there)', { attribute: 'attributes.plan', op: 'exists' }, ['ann', 'bob']],
  ['gt built-in date', { attribute: 'created_at', op: 'gt', value: '2026-12-01' }, ['ann', 'dan']],
  [
    'lte built-in date-time',
    { attribute: 'created_at', op: 'lte', value: '2026-11-25T12:00:00Z' },
    ['bob', 'cat', 'eve'],
  ],
  ['within_last built-in date', { attribute: 'created_at', op: 'within_last', value: 30 }, ['ann', 'dan']],
  ['gt json date', { attribute: 'attributes.trial_ends', op: 'gt', value: '2027-01-05' }, ['ann']],
  ['lt json date', { attribute: 'attributes.trial_ends', op: 'lt', value: '2027-01-05' }, ['bob']],
  ['within_last json date', { attribute: 'attributes.last_seen', op: 'within_last', value: 7 }, ['ann']],
  ['eq built-in boolean', { attribute: 'sms_consent', op: 'eq', value: true }, ['ann']],
  [
    'neq built-in boolean',
    { attribute: 'sms_consent', op: 'neq', value: true },
    ['bob', 'cat', 'dan', 'eve'],
  ],
  ['account eq', { attribute: 'account.industry', op: 'eq', value: 'SaaS' }, ['ann', 'dan']],
  [
    'account neq includes no account',
    { attribute: 'account.industry', op: 'neq', value: 'SaaS' },
    ['bob', 'cat', 'eve'],
  ],
  ['account gte number', { attribute: 'account.size', op: 'gte', value: 100 }, ['ann', 'dan']],
  ['account in numbers', { attribute: 'account.size', op: 'in', value: [50] }, ['bob']],
  ['account json attribute', { attribute: 'account.attributes.tier', op: 'eq', value: 'gold' }, ['eve']],
  ['account field missing', { attribute: 'account.domain', op: 'exists', value: false }, ['cat']],
  [
    'did at least twice in 30 days',
    { event: 'pricing_page_viewed', count_gte: 2, within_days: 30 },
    ['ann', 'dan'],
  ],
  [
    'did at most once in 30 days',
    { event: 'pricing_page_viewed', count_lte: 1, within_days: 30 },
    ['bob', 'cat', 'eve'],
  ],
  ['did not in 30 days', { event: 'pricing_page_viewed', did: false, within_days: 30 }, ['cat', 'eve']],
  [
    'exactly twice in 30 days',
    { event: 'pricing_page_viewed', count_gte: 2, count_lte: 2, within_days: 30 },
    ['ann'],
  ],
  [
    'did with a property filter',
    { event: 'demo_booked', where: [{ property: 'source', op: 'eq', value: 'webinar' }] },
    ['ann'],
  ],
  [
    'did with a numeric property filter',
    { event: 'demo_booked', where: [{ property: 'value', op: 'gte', value: 100 }] },
    ['eve'],
  ],
  [
    'did between two dates (end day included)',
    { event: 'demo_booked', between: { from: '2026-12-01', to: '2026-12-15' } },
    ['eve'],
  ],
  ['did ever', { event: 'signup' }, ['bob']],
  ['did not ever', { event: 'signup', did: false }, ['ann', 'cat', 'dan', 'eve']],
  [
    'any',
    {
      any: [
        { attribute: 'lifecycle_stage', op: 'eq', value: 'mql' },
        { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
      ],
    },
    ['ann', 'bob', 'dan'],
  ],
  [
    'all',
    {
      all: [
        { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' },
        { attribute: 'attributes.score', op: 'gt', value: 80 },
      ],
    },
    ['eve'],
  ],
  [
    'not (missing counts as not matching)',
    { not: { attribute: 'attributes.score', op: 'gt', value: 75 } },
    ['bob', 'cat', 'dan'],
  ],
  ['not of not', { not: { not: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' } } }, ['ann', 'eve']],
];

describe.each(dialects)('segment rules on %s', (dialect) => {
  let store: TestStore;
  let ws: string;
  let ids: Record<Key, string>;
  let accounts: { acme: string; globex: string; initech: string };

  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  beforeEach(async () => {
    ws = await newWorkspace(store);
    const [acme, globex, initech] = await insertAccounts(store, ws, [
      { domain: 'acme.com', name: 'Acme', industry: 'SaaS', size: 500 },
      { domain: 'globex.io', name: 'Globex', industry: 'Retail', size: 50 },
      { domain: 'initech.com', name: 'Initech', attributes: { tier: 'gold' } },
    ]);
    accounts = { acme: acme!, globex: globex!, initech: initech! };
    const [ann, bob, cat, dan, eve] = await insertContacts(store, ws, [
      {
        email: 'ann@acme.com',
        phone: '+15550100',
        sms_consent: true,
        first_name: 'Ann',
        title: 'VP Marketing',
        lifecycle_stage: 'lead',
        account_id: acme,
        created_at: NOW - 2 * DAY,
        attributes: {
          score: 80,
          plan: 'pro',
          beta: true,
          trial_ends: '2027-01-10',
          last_seen: '2027-01-02T10:00:00.000Z',
        },
      },
      {
        email: 'bob@globex.io',
        title: 'Engineer',
        lifecycle_stage: 'mql',
        account_id: globex,
        created_at: NOW - 40 * DAY,
        attributes: {
          score: 40,
          plan: 'free',
          beta: false,
          trial_ends: '2026-12-20',
          last_seen: '2026-12-01T00:00:00.000Z',
        },
      },
      {
        external_id: 'cat',
        lifecycle_stage: 'customer',
        created_at: NOW - 400 * DAY,
        attributes: { score: '75', plan: null },
      },
      {
        email: 'dan@acme.com',
        account_id: acme,
        subscription_status: 'unsubscribed',
        created_at: NOW - 10 * DAY,
      },
      {
        email: 'eve@initech.com',
        lifecycle_stage: 'lead',
        account_id: initech,
        created_at: NOW - 60 * DAY,
        attributes: { score: 80.5, nested: { level: 2 } },
      },
    ]);
    ids = { ann: ann!, bob: bob!, cat: cat!, dan: dan!, eve: eve! };
    await insertEvents(store, ws, [
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: NOW - 1 * DAY },
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: NOW - 5 * DAY },
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: NOW - 40 * DAY },
      {
        contact_id: ann!,
        type: 'demo_booked',
        occurred_at: NOW - 3 * DAY,
        properties: { source: 'webinar' },
      },
      { contact_id: bob!, type: 'pricing_page_viewed', occurred_at: NOW - 2 * DAY },
      { contact_id: bob!, type: 'signup', occurred_at: NOW - 100 * DAY, properties: { plan: 'free' } },
      { contact_id: dan!, type: 'pricing_page_viewed', occurred_at: NOW - 1 * DAY },
      { contact_id: dan!, type: 'pricing_page_viewed', occurred_at: NOW - 1 * DAY + 1000 },
      { contact_id: dan!, type: 'pricing_page_viewed', occurred_at: NOW - 1 * DAY + 2000 },
      {
        contact_id: eve!,
        type: 'demo_booked',
        occurred_at: NOW - 20 * DAY,
        properties: { source: 'ads', value: 100 },
      },
      // An anonymous event and a future one never match anybody.
      { contact_id: null, type: 'pricing_page_viewed', occurred_at: NOW - DAY },
      { contact_id: cat!, type: 'pricing_page_viewed', occurred_at: NOW + DAY },
    ]);
  });

  const matching = async (rule: unknown): Promise<Key[]> => {
    const res = await resolveAudience(store, ws, { segment: rule }, { now: NOW, channel: 'none' });
    const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k as Key]));
    return res.contactIds.map((id) => byId.get(id)!).sort();
  };

  it.each(CASES)('%s', async (_name, rule, expected) => {
    expect(await matching(rule)).toEqual([...expected].sort());
  });

  it('never sees another workspace', async () => {
    const other = await newWorkspace(store);
    await insertContacts(store, other, [{ email: 'x@acme.com', lifecycle_stage: 'lead' }]);
    expect(await matching({ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' })).toEqual(['ann', 'eve']);
  });

  it('matches membership of contact lists and target-account lists', async () => {
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'vip', kind: 'contact' }, NOW);
    const abm = await lists.create(ws, { name: 'targets', kind: 'account' }, NOW);
    expect(await lists.addMembers(ws, 'vip', [ids.bob, ids.cat, 'con_nope'], NOW)).toEqual({
      changed: 2,
      unknown: ['con_nope'],
    });
    expect(await lists.addDomains(ws, abm.id, ['https://www.Acme.com/', 'nowhere.org'], NOW)).toEqual({
      changed: 1,
      unknown: ['nowhere.org'],
    });
    expect(await matching({ list: 'vip' })).toEqual(['bob', 'cat']);
    expect(await matching({ list: abm.id })).toEqual(['ann', 'dan']);
    expect(await matching({ not: { list: 'targets' } })).toEqual(['bob', 'cat', 'eve']);
    await lists.removeMembers(ws, 'vip', [ids.cat]);
    expect(await matching({ list: 'vip' })).toEqual(['bob']);
    expect((await lists.get(ws, 'targets')).memberCount).toBe(1);
    expect(accounts.acme).toBeTruthy();
  });

  it('inlines saved segments and refuses cycles, naming the path', async () => {
    const segments = new SegmentsRepository(store);
    const leads = await segments.create(
      ws,
      { name: 'leads', rule: { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' } },
      NOW,
    );
    await segments.create(
      ws,
      { name: 'hot leads', rule: { all: [{ segment: leads.id }, { event: 'demo_booked' }] } },
      NOW,
    );
    expect(await matching({ segment: 'hot leads' })).toEqual(['ann', 'eve']);
    expect(await matching({ all: [{ segment: 'leads' }, { not: { segment: 'hot leads' } }] })).toEqual([]);

    const err = await segments
      .update(
        ws,
        'leads',
        { rule: { any: [{ attribute: 'email', op: 'exists' }, { segment: 'hot leads' }] } },
        NOW,
      )
      .catch((e: unknown) => e);
    expect(isBatonError(err) && err.code).toBe('invalid_input');
    const issue = (err as { details: { issues: Array<{ path: string; message: string }> } }).details
      .issues[0]!;
    expect(issue.path).toBe('rule.any.1.segment');
    expect(issue.message).toContain('leads → hot leads → leads');

    const self = await segments
      .create(ws, { name: 'loop', rule: { not: { segment: 'loop' } } }, NOW)
      .catch((e: unknown) => e);
    expect((self as Error).message).toContain('loop → loop');
  });

  it('reports missing lists and segments with their JSON path', async () => {
    const err = await resolveAudience(
      store,
      ws,
      { segment: { all: [{ list: 'nope' }, { any: [{ segment: 'ghost' }] }] } },
      { now: NOW },
    ).catch((e: unknown) => e);
    const issues = (err as { details: { issues: Array<{ path: string; message: string }> } }).details.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['segment.all.0.list', 'segment.all.1.any.0.segment']);
    expect(issues.find((i) => i.path.endsWith('list'))!.message).toContain('"nope"');
  });

  it('refuses to delete a segment another one uses', async () => {
    const segments = new SegmentsRepository(store);
    await segments.create(ws, { name: 'a', rule: { attribute: 'email', op: 'exists' } }, NOW);
    await segments.create(ws, { name: 'b', rule: { segment: 'a' } }, NOW);
    await expect(segments.delete(ws, 'a')).rejects.toThrow(/used by "b"/);
    await segments.delete(ws, 'b');
    await segments.delete(ws, 'a');
    expect(await segments.list(ws)).toEqual([]);
  });
});
