// Campaign audiences on both dialects: ABM limits, exclusions, suppressions, per-channel reachability,
// and the preview's counts, breakdowns and sample.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewAudience, resolveAudience } from '../src/store/audience.js';
import { ListsRepository } from '../src/store/lists.repository.js';
import { SegmentsRepository } from '../src/store/segments.repository.js';
import { SuppressionsRepository } from '../src/store/suppressions.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { NOW, insertAccounts, insertContacts } from './segments-fixtures.js';

function issuesOf(e: unknown): Array<{ path: string; message: string }> {
  return (e as { details?: { issues?: Array<{ path: string; message: string }> } }).details?.issues ?? [];
}

describe.each(dialects)('audiences on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  it('limited to a target-account list, only ever sees those accounts’ contacts', async () => {
    const ws = await newWorkspace(store);
    const accountIds = await insertAccounts(
      store,
      ws,
      Array.from({ length: 6 }, (_, i) => ({ domain: `a${i}.com`, name: `A${i}`, industry: 'SaaS' })),
    );
    const contacts = Array.from({ length: 60 }, (_, i) => ({
      email: `p${i}@a${i % 7}.com`,
      lifecycle_stage: i % 3 === 0 ? 'lead' : 'mql',
      // every 7th contact has no account
      account_id: i % 7 === 6 ? null : accountIds[i % 7]!,
    }));
    const contactIds = await insertContacts(store, ws, contacts);
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'targets', kind: 'account' }, NOW);
    await lists.addMembers(ws, 'targets', [accountIds[1]!, accountIds[4]!], NOW);
    const spec = {
      segment: { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
      accounts: { list: 'targets' },
    };

    const res = await resolveAudience(store, ws, spec, { now: NOW });
    const allowed = new Set([accountIds[1], accountIds[4]]);
    const expected = contactIds.filter((_, i) => allowed.has(contacts[i]!.account_id ?? undefined));
    expect(res.contactIds).toEqual([...expected].sort());
    // i % 7 = 1 → 9 contacts, i % 7 = 4 → 8 contacts
    expect(res.contactIds.length).toBe(17);
    // Contacts without an account do not match `account.industry eq SaaS`, so 60 − 8 matched.
    expect(res.matched).toBe(52);
    expect(res.removed).toEqual([{ reason: 'outside_target_accounts', count: 52 - 17 }]);

    const preview = await previewAudience(store, ws, spec, { now: NOW });
    expect(preview.count).toBe(17);
    expect(preview.accounts.reached).toBe(2);
    expect(preview.accounts.target).toEqual({ total: 2, reached: 2 });
    expect(preview.accounts.top.map((a) => [a.account_id, a.count])).toEqual([
      [accountIds[1], 9],
      [accountIds[4], 8],
    ]);
    expect(preview.sample.every((c) => allowed.has(c.account_id ?? undefined))).toBe(true);

    // A contact list is not a target-account list.
    await lists.create(ws, { name: 'people', kind: 'contact' }, NOW);
    const err = await resolveAudience(
      store,
      ws,
      { ...spec, accounts: { list: 'people' } },
      { now: NOW },
    ).catch((e: unknown) => e);
    expect(issuesOf(err)[0]?.path).toBe('accounts.list');
  });

  it('removes exclusions, suppressions and unreachable contacts, each under its first reason', async () => {
    const ws = await newWorkspace(store);
    const [ok, noEmail, unsub, bounced, supEmail, supDomain, excluded, alsoExcludedAndSuppressed] =
      await insertContacts(store, ws, [
        { email: 'ok@fine.com', phone: '+15550001', sms_consent: true, lifecycle_stage: 'lead' },
        { external_id: 'x1', phone: '+15550002', lifecycle_stage: 'lead' },
        { email: 'u@fine.com', subscription_status: 'unsubscribed', lifecycle_stage: 'lead' },
        { email: 'b@fine.com', subscription_status: 'bounced', lifecycle_stage: 'lead' },
        { email: 'Sup@Fine.com', lifecycle_stage: 'lead' },
        { email: 'anyone@blocked.org', lifecycle_stage: 'mql' },
        { email: 'cust@fine.com', lifecycle_stage: 'mql' },
        { email: 'cust@blocked.org', lifecycle_stage: 'mql' },
      ]);
    await insertContacts(store, ws, [{ email: 'outside@fine.com', lifecycle_stage: 'customer' }]);
    const sup = new SuppressionsRepository(store);
    await sup.add(ws, { value: 'sup@fine.com', reason: 'complaint' }, NOW);
    await sup.add(ws, { value: 'https://www.Blocked.org/', reason: 'manual' }, NOW);
    expect(await sup.isSuppressed(ws, 'x@blocked.org')).toBe(true);
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'customers', kind: 'contact' }, NOW);
    await lists.addMembers(ws, 'customers', [excluded!, alsoExcludedAndSuppressed!], NOW);
    const spec = {
      segment: { attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] },
      exclude: [{ list: 'customers' }],
    };

    const email = await resolveAudience(store, ws, spec, { now: NOW, channel: 'email' });
    expect(email.contactIds).toEqual([ok]);
    expect(email.matched).toBe(8);
    expect(email.removed).toEqual([
      { reason: 'excluded', count: 2 },
      { reason: 'no_email', count: 1 },
      { reason: 'unsubscribed', count: 1 },
      { reason: 'bounced', count: 1 },
      { reason: 'suppressed', count: 2 },
    ]);
    expect(new Set([noEmail, unsub, bounced, supEmail, supDomain]).size).toBe(5);

    const sms = await resolveAudience(store, ws, spec, { now: NOW, channel: 'sms' });
    expect(sms.contactIds).toEqual([ok]);
    // The suppression list holds people back on SMS too, and counts before the missing phone: Sup@ and
    // anyone@blocked.org are `suppressed`, u@ and b@ have no phone, x1 has no SMS consent.
    expect(sms.removed).toEqual([
      { reason: 'excluded', count: 2 },
      { reason: 'suppressed', count: 2 },
      { reason: 'no_phone', count: 2 },
      { reason: 'no_sms_consent', count: 1 },
    ]);

    const preview = await previewAudience(store, ws, spec, { now: NOW, channel: 'email' });
    expect(preview.count).toBe(1);
    expect(preview.matched).toBe(8);
    // Reachable by email in the workspace: ok@, cust@fine.com (excluded here, yet reachable) and outside@.
    expect(preview.reachable).toBe(3);
    expect(preview.share).toBeCloseTo(1 / 3, 12);
    expect(preview.removed).toEqual(email.removed);
  });

  it('previews counts per lifecycle stage and account, and a sample of 20 in id order', async () => {
    const ws = await newWorkspace(store);
    const [acme, globex] = await insertAccounts(store, ws, [
      { domain: 'acme.com', name: 'Acme' },
      { domain: 'globex.io', name: 'Globex' },
    ]);
    const ids = await insertContacts(
      store,
      ws,
      Array.from({ length: 30 }, (_, i) => ({
        email: `p${i}@acme.com`,
        lifecycle_stage: i < 12 ? 'lead' : i < 27 ? 'mql' : null,
        account_id: i < 20 ? acme! : i < 25 ? globex! : null,
      })),
    );
    const segments = new SegmentsRepository(store);
    const saved = await segments.create(
      ws,
      { name: 'everyone with email', rule: { attribute: 'email', op: 'exists' } },
      NOW,
    );
    const preview = await previewAudience(store, ws, { segment_id: saved.id }, { now: NOW });
    expect(preview.count).toBe(30);
    expect(preview.share).toBe(1);
    expect(preview.by_lifecycle_stage).toEqual([
      { stage: 'mql', count: 15 },
      { stage: 'lead', count: 12 },
      { stage: null, count: 3 },
    ]);
    expect(preview.accounts).toEqual({
      reached: 2,
      without_account: 5,
      top: [
        { account_id: acme, name: 'Acme', domain: 'acme.com', count: 20 },
        { account_id: globex, name: 'Globex', domain: 'globex.io', count: 5 },
      ],
    });
    expect(preview.sample.map((s) => s.id)).toEqual([...ids].sort().slice(0, 20));
    expect(preview.sample[0]).toHaveProperty('email');
  });

  it('keeps the suppression list normalised and refuses values that are neither emails nor domains', async () => {
    const ws = await newWorkspace(store);
    const sup = new SuppressionsRepository(store);
    const first = await sup.add(ws, { value: ' Bob@Example.COM ', reason: 'hard_bounce' }, NOW);
    expect(first).toMatchObject({ kind: 'email', value: 'bob@example.com', reason: 'hard_bounce' });
    // Adding it again keeps the first reason.
    expect((await sup.add(ws, { value: 'bob@example.com', reason: 'manual' }, NOW)).reason).toBe(
      'hard_bounce',
    );
    expect(await sup.isSuppressed(ws, 'BOB@example.com')).toBe(true);
    expect(await sup.isSuppressed(ws, 'alice@example.com')).toBe(false);
    await expect(sup.add(ws, { value: 'not a thing', reason: 'manual' }, NOW)).rejects.toThrow(
      /neither an email/,
    );
    expect(await sup.remove(ws, 'bob@example.com')).toBe(true);
    expect(await sup.list(ws)).toEqual([]);
    const other = await newWorkspace(store);
    await sup.add(other, { value: 'example.com', reason: 'manual' }, NOW);
    expect(await sup.isSuppressed(ws, 'bob@example.com')).toBe(false);
  });

  it('deletes a list with its memberships', async () => {
    const ws = await newWorkspace(store);
    const [a] = await insertContacts(store, ws, [{ email: 'a@x.com' }]);
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'l', kind: 'contact' }, NOW);
    await lists.addMembers(ws, 'l', [a!], NOW);
    await expect(lists.create(ws, { name: 'l', kind: 'account' }, NOW)).rejects.toThrow(/already exists/);
    await lists.delete(ws, 'l');
    expect(await lists.find(ws, 'l')).toBeUndefined();
    const left = await store.db
      .selectFrom('list_members')
      .select('member_id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(left).toEqual([]);
  });

  it('rejects bad specs with the JSON path and what is allowed', async () => {
    const ws = await newWorkspace(store);
    const bad = async (spec: unknown): Promise<Array<{ path: string; message: string }>> =>
      issuesOf(await resolveAudience(store, ws, spec, { now: NOW }).catch((e: unknown) => e));
    expect((await bad({ segment: { attribute: 'email', op: 'exists' }, segment_id: 'x' }))[0]?.path).toBe(
      'segment_id',
    );
    expect((await bad({ segment_id: 'ghost' }))[0]).toMatchObject({ path: 'segment_id' });
    expect((await bad({ exclude: [{ segment_id: 'ghost' }] }))[0]?.path).toBe('exclude.0.segment');
    expect((await bad({ exclude: [{ list: 'nope' }] }))[0]?.path).toBe('exclude.0.list');
    expect((await bad({ accounts: { list: 'nope' } }))[0]?.path).toBe('accounts.list');
    expect((await bad({ segment: { any: [] } }))[0]).toEqual({
      path: 'segment.any',
      message: '`any` takes a non-empty list of rules',
    });
    expect((await bad({ sgment: {} }))[0]?.path).toBe('');
  });
});
