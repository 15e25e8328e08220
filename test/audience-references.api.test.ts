// Deleting a list or a saved segment something still uses, over HTTP on both dialects: a campaign that may
// still enroll (draft, scheduled, running, paused) or another saved segment holds it, the answer is 409
// naming each user and the field of the reference, and nothing is deleted. Ended campaigns hold nothing.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { CampaignInput, CampaignStatus } from '../src/domain/campaign.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { ApiKeysRepository } from '../src/store/api-keys.repository.js';
import { applyCampaign } from '../src/store/campaigns/index.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';
import { NOW, insertAccounts, insertContacts } from './segments-fixtures.js';

interface ErrorAnswer {
  error: {
    code: string;
    message: string;
    details: {
      issues: Array<{ path: string; message: string }>;
      usedBy: Array<{ type: string; id: string; name: string; status?: string; path: string }>;
    };
  };
}

function campaign(id: string, name: string, audience: CampaignInput['audience']): CampaignInput {
  return {
    id,
    name,
    objective: 'leads',
    window: { start: '2027-02-01T09:00', end: '2027-03-01T17:00', timezone: 'UTC' },
    audience,
    channels: ['log'],
    sequence: [{ id: 'hello', channel: 'log' }],
  };
}

describe.each(dialects)('deleting referenced lists and segments on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let auth: { authorization: string };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    app = await buildApp({
      store,
      clock: new SimulatedClock(NOW),
      secret: 'x'.repeat(40),
      publicUrl: 'http://t',
    });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    const keys = new ApiKeysRepository(store);
    auth = {
      authorization: `Bearer ${(await keys.create(ws, { kind: 'api', scopes: ['admin'] }, NOW)).key}`,
    };
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: auth,
      ...(payload === undefined ? {} : { payload }),
    });
  const newList = async (name: string, kind: 'contact' | 'account' = 'contact'): Promise<string> => {
    const r = await call('POST', '/lists', { name, kind });
    expect(r.statusCode).toBe(201);
    return r.json<{ id: string }>().id;
  };
  const newSegment = async (name: string, rule: unknown): Promise<string> => {
    const r = await call('POST', '/segments', { name, rule });
    expect(r.statusCode).toBe(201);
    return r.json<{ id: string }>().id;
  };
  const setStatus = (id: string, status: CampaignStatus) =>
    store.db
      .updateTable('campaigns')
      .set({ status })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();

  it('refuses to delete a list or segment a draft campaign names, naming the campaign and field', async () => {
    const [ann] = await insertContacts(store, ws, [{ email: 'ann@acme.com', lifecycle_stage: 'customer' }]);
    const customers = await newList('Customers');
    expect((await call('POST', `/lists/${customers}/members`, { ids: [ann] })).statusCode).toBe(200);
    const leads = await newSegment('Leads', { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' });
    await applyCampaign(
      store,
      ws,
      {
        spec: campaign('spring-promo', 'Spring promo', {
          segment_id: leads,
          exclude: [{ list: 'Customers' }],
        }),
      },
      NOW,
    );

    const byList = await call('DELETE', `/lists/${customers}`);
    expect(byList.statusCode).toBe(409);
    const listError = byList.json<ErrorAnswer>().error;
    expect(listError.code).toBe('conflict');
    expect(listError.message).toContain('"Spring promo"');
    expect(listError.message).toContain('audience.exclude.0.list');
    expect(listError.details.usedBy).toEqual([
      {
        type: 'campaign',
        id: 'spring-promo',
        name: 'Spring promo',
        status: 'draft',
        path: 'audience.exclude.0.list',
      },
    ]);
    // The list and its member are still there.
    const kept = await call('GET', `/lists/${customers}`);
    expect(kept.statusCode).toBe(200);
    expect(kept.json<{ member_count: number }>().member_count).toBe(1);

    const bySegment = await call('DELETE', '/segments/Leads');
    expect(bySegment.statusCode).toBe(409);
    expect(bySegment.json<ErrorAnswer>().error.details.usedBy).toEqual([
      {
        type: 'campaign',
        id: 'spring-promo',
        name: 'Spring promo',
        status: 'draft',
        path: 'audience.segment_id',
      },
    ]);
    expect((await call('GET', `/segments/${leads}`)).statusCode).toBe(200);
  });

  it('holds references for draft, scheduled, running and paused campaigns, not for ended ones', async () => {
    const holding: CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused'];
    const ended: CampaignStatus[] = ['completed', 'reviewed', 'cancelled'];
    for (const status of [...holding, ...ended]) {
      const list = await newList(`Partners ${status}`);
      const segment = await newSegment(`Churned ${status}`, {
        attribute: 'lifecycle_stage',
        op: 'eq',
        value: 'churned',
      });
      // The list by id inside an inline rule, the segment as a `{ segment_id }` exclusion.
      const id = `uses-${status}`;
      await applyCampaign(
        store,
        ws,
        {
          spec: campaign(id, `Uses ${status}`, {
            segment: { any: [{ attribute: 'email', op: 'exists' }, { list }] },
            exclude: [{ segment_id: `Churned ${status}` }],
          }),
        },
        NOW,
      );
      await setStatus(id, status);
      const delList = await call('DELETE', `/lists/${list}`);
      const delSegment = await call('DELETE', `/segments/${segment}`);
      if (holding.includes(status)) {
        expect([status, delList.statusCode, delSegment.statusCode]).toEqual([status, 409, 409]);
        expect(delList.json<ErrorAnswer>().error.details.usedBy).toEqual([
          { type: 'campaign', id, name: `Uses ${status}`, status, path: 'audience.segment.any.1.list' },
        ]);
        expect(delSegment.json<ErrorAnswer>().error.details.usedBy).toEqual([
          { type: 'campaign', id, name: `Uses ${status}`, status, path: 'audience.exclude.0.segment_id' },
        ]);
        expect((await call('GET', `/lists/${list}`)).statusCode).toBe(200);
        expect((await call('GET', `/segments/${segment}`)).statusCode).toBe(200);
      } else {
        expect([status, delList.statusCode, delSegment.statusCode]).toEqual([status, 204, 204]);
        expect((await call('GET', `/lists/${list}`)).statusCode).toBe(404);
        expect((await call('GET', `/segments/${segment}`)).statusCode).toBe(404);
      }
    }
  });

  it('refuses to delete a list a saved segment or a target-account limit uses', async () => {
    await insertAccounts(store, ws, [{ domain: 'acme.com', name: 'Acme' }]);
    await newList('VIP list');
    await newSegment('VIP', {
      all: [{ attribute: 'email', op: 'exists' }, { list: 'VIP list' }],
    });
    const vip = await call('DELETE', '/lists/VIP list');
    expect(vip.statusCode).toBe(409);
    expect(vip.json<ErrorAnswer>().error.message).toContain('"VIP"');
    expect(vip.json<ErrorAnswer>().error.details.usedBy).toEqual([
      { type: 'segment', id: expect.any(String), name: 'VIP', path: 'rule.all.1.list' },
    ]);

    const targets = await newList('Q1 targets', 'account');
    await applyCampaign(
      store,
      ws,
      {
        spec: campaign('abm', 'ABM push', {
          segment: { attribute: 'email', op: 'exists' },
          accounts: { list: targets },
        }),
      },
      NOW,
    );
    await setStatus('abm', 'running');
    const abm = await call('DELETE', `/lists/${targets}`);
    expect(abm.statusCode).toBe(409);
    expect(abm.json<ErrorAnswer>().error.details.usedBy).toEqual([
      { type: 'campaign', id: 'abm', name: 'ABM push', status: 'running', path: 'audience.accounts.list' },
    ]);
  });

  it('refuses to rename a segment a campaign names by name, and renames one named by id', async () => {
    const byName = await newSegment('Trial users', {
      attribute: 'lifecycle_stage',
      op: 'eq',
      value: 'trial',
    });
    const byId = await newSegment('Champions', { attribute: 'lifecycle_stage', op: 'eq', value: 'customer' });
    await applyCampaign(
      store,
      ws,
      {
        spec: campaign('nurture', 'Trial nurture', {
          segment_id: 'Trial users',
          exclude: [{ segment_id: byId }],
        }),
      },
      NOW,
    );
    const refused = await call('PATCH', `/segments/${byName}`, { name: 'Trialists' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<ErrorAnswer>().error.details.usedBy).toEqual([
      {
        type: 'campaign',
        id: 'nurture',
        name: 'Trial nurture',
        status: 'draft',
        path: 'audience.segment_id',
      },
    ]);
    expect((await call('GET', `/segments/${byName}`)).json<{ name: string }>().name).toBe('Trial users');

    const renamed = await call('PATCH', `/segments/${byId}`, { name: 'Advocates' });
    expect(renamed.statusCode).toBe(200);
    expect((await call('GET', `/segments/${byId}`)).json<{ name: string }>().name).toBe('Advocates');
  });

  it('deletes a list and a segment nothing uses, even when another workspace uses the same names', async () => {
    const other = await newWorkspace(store);
    await applyCampaign(
      store,
      other,
      {
        spec: campaign('elsewhere', 'Elsewhere', {
          segment_id: 'Old leads',
          exclude: [{ list: 'Old list' }],
        }),
      },
      NOW,
    );
    const list = await newList('Old list');
    const segment = await newSegment('Old leads', { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' });
    expect((await call('DELETE', '/lists/Old list')).statusCode).toBe(204);
    expect((await call('DELETE', '/segments/Old leads')).statusCode).toBe(204);
    expect((await call('GET', `/lists/${list}`)).statusCode).toBe(404);
    expect((await call('GET', `/segments/${segment}`)).statusCode).toBe(404);
  });
});
