// Approvals and the audit trail over the real app on both dialects: with approvals required, a marketer's
// launch, pause and end wait for a second marketer or admin (never the requester, never an analyst);
// admins act directly; every kind of change leaves an audit entry, and GET /audit filters and pages them.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { TemplatesRepository } from '../../src/store/templates.repository.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const SPEC = {
  id: 'spring',
  name: 'Spring push',
  objective: 'leads',
  goal: { metric: 'conversions', event: 'demo_booked', target: 3, lookback_days: 30 },
  window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['email'],
  sequence: [{ id: 'intro', channel: 'email', subject: 'Hello', template: 'templates/intro.liquid' }],
};
const password = 'correct horse battery';

interface Caller {
  id: string;
  headers: Record<string, string>;
}

describe.each(dialects)('approvals and audit on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;
  const as: Record<string, Caller> = {};

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  async function user(name: string, role: Role): Promise<Caller> {
    const email = `${name}-${ws}@example.com`.toLowerCase();
    const u = await new UsersRepository(store).create(ws, { email, password, role }, T0);
    const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
    expect(res.statusCode).toBe(200);
    const raw = res.headers['set-cookie'] as string[];
    const cookie = raw.map((c) => c.split(';')[0]).join('; ');
    return { id: u.id, headers: { cookie, 'x-csrf-token': res.json().csrf_token as string } };
  }

  beforeEach(async () => {
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
    as.amy = await user('amy', 'marketer');
    as.ben = await user('ben', 'marketer');
    as.ann = await user('ann', 'analyst');
    as.ada = await user('ada', 'admin');
    await new TemplatesRepository(store).upsert(
      ws,
      { id: 'templates/intro.liquid', kind: 'liquid', source: 'Hi {{ links.unsubscribe }}' },
      T0,
    );
    for (const i of [1, 2]) {
      await new ContactsRepository(store).create(
        ws,
        { email: `c${i}-${ws}@example.test`, lifecycle_stage: 'lead' },
        T0,
      );
    }
  });

  const call = (
    who: Caller | string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: typeof who === 'string' ? { authorization: who } : who.headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  const requireApprovals = (required_for: string[]) =>
    new WorkspacesRepository(store).updateSettings(ws, { approvals: { required_for } });

  const status = async () => (await call(admin, 'GET', '/campaigns/spring')).json().status as string;

  it('a marketer launch waits; the requester and an analyst cannot approve; a second marketer launches it', async () => {
    await requireApprovals(['launch', 'pause', 'end']);
    expect((await call(as.amy!, 'POST', '/campaigns', SPEC)).statusCode).toBe(201);

    const asked = await call(as.amy!, 'POST', '/campaigns/spring/launch');
    expect(asked.statusCode).toBe(202);
    const approval = asked.json().approval;
    expect(approval).toMatchObject({
      action: 'launch',
      status: 'pending',
      requested_by: as.amy!.id,
      requested_role: 'marketer',
    });
    expect(await status()).toBe('draft');
    expect((await call(as.amy!, 'POST', '/campaigns/spring/launch')).json().error.code).toBe('conflict');

    const self = await call(as.amy!, 'POST', `/approvals/${approval.id}/approve`);
    expect(self.statusCode, self.body).toBe(403);
    expect(self.json().error.message).toMatch(/second person/);
    const analyst = await call(as.ann!, 'POST', `/approvals/${approval.id}/approve`);
    expect(analyst.statusCode).toBe(403);
    expect(analyst.json().error.details).toMatchObject({ role: 'analyst' });
    expect(await status()).toBe('draft');

    const pending = await call(as.ann!, 'GET', '/approvals?status=pending');
    expect(pending.json().data.map((a: { id: string }) => a.id)).toEqual([approval.id]);

    const ok = await call(as.ben!, 'POST', `/approvals/${approval.id}/approve`, { note: 'looks right' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'approved', decided_by: as.ben!.id, note: 'looks right' });
    expect(['scheduled', 'running']).toContain(await status());
    expect((await call(as.ben!, 'POST', `/approvals/${approval.id}/approve`)).statusCode).toBe(409);

    const audit = (await call(admin, 'GET', `/audit?target=spring`)).json().data;
    const launch = audit.find((e: { action: string }) => e.action === 'campaign.launch');
    expect(launch).toMatchObject({
      actor: { type: 'user', id: as.ben!.id, role: 'marketer' },
      details: { approval_id: approval.id, requested_by: as.amy!.id },
    });
    const approvals = (await call(admin, 'GET', `/audit?target=${approval.id}`)).json().data;
    expect(approvals.map((e: { action: string }) => e.action)).toEqual([
      'approval.approve',
      'approval.request',
    ]);

    // Pause by a marketer waits too; the requester may withdraw it.
    const pause = await call(as.ben!, 'POST', '/campaigns/spring/pause');
    expect(pause.statusCode).toBe(202);
    const withdrawn = await call(as.ben!, 'POST', `/approvals/${pause.json().approval.id}/reject`);
    expect(withdrawn.json().status).toBe('rejected');
    expect(['scheduled', 'running']).toContain(await status());
  });

  it('admins act without approval; without the setting marketers act directly', async () => {
    await call(as.amy!, 'POST', '/campaigns', SPEC);
    expect((await call(as.amy!, 'POST', '/campaigns/spring/launch')).statusCode).toBe(200);
    await requireApprovals(['pause']);
    expect((await call(as.amy!, 'POST', '/campaigns/spring/pause')).statusCode).toBe(202);
    expect((await call(as.ada!, 'POST', '/campaigns/spring/pause')).statusCode).toBe(200);
    expect(await status()).toBe('paused');
    // Resume never needs approval; end is not in the list.
    expect((await call(as.amy!, 'POST', '/campaigns/spring/resume')).statusCode).toBe(200);
    expect((await call(as.amy!, 'POST', '/campaigns/spring/end')).statusCode).toBe(200);
  });

  it('an approved move that can no longer happen fails the approval with the reason', async () => {
    await requireApprovals(['end']);
    await call(as.amy!, 'POST', '/campaigns', SPEC);
    const asked = (await call(as.amy!, 'POST', '/campaigns/spring/end')).json().approval;
    expect((await call(admin, 'POST', '/campaigns/spring/end')).statusCode).toBe(200);
    const res = await call(as.ben!, 'POST', `/approvals/${asked.id}/approve`);
    expect(res.statusCode).toBe(409);
    const after = (await call(as.ben!, 'GET', `/approvals/${asked.id}`)).json();
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(/cancelled/);
  });

  it('audits edits with their diff, each move, deletion, and filters by actor, action, since and cursor', async () => {
    await call(as.amy!, 'POST', '/campaigns', SPEC);
    await call(as.amy!, 'PUT', '/campaigns/spring', { ...SPEC, name: 'Spring push 2' });
    await call(as.amy!, 'PUT', '/campaigns/spring', { ...SPEC, name: 'Spring push 2' }); // unchanged: no entry
    await call(as.ben!, 'POST', '/campaigns/spring/launch');
    await call(as.ben!, 'POST', '/campaigns/spring/pause');
    await call(as.ben!, 'POST', '/campaigns/spring/resume');
    await call(admin, 'POST', '/campaigns/spring/end');
    await call(as.amy!, 'POST', '/campaigns', { ...SPEC, id: 'draft-only' });
    expect((await call(as.amy!, 'DELETE', '/campaigns/draft-only')).statusCode).toBe(204);

    const all = (await call(admin, 'GET', '/audit?action=campaign.')).json();
    expect(all.data.map((e: { action: string }) => e.action)).toEqual([
      'campaign.delete',
      'campaign.create',
      'campaign.end',
      'campaign.resume',
      'campaign.pause',
      'campaign.launch',
      'campaign.update',
      'campaign.create',
    ]);
    const update = all.data.find((e: { action: string }) => e.action === 'campaign.update');
    expect(update).toMatchObject({
      actor: { type: 'user', id: as.amy!.id, role: 'marketer' },
      target: { type: 'campaign', id: 'spring' },
      details: { revision: 2, diff: [{ path: 'name', before: 'Spring push', after: 'Spring push 2' }] },
    });
    expect(all.data.find((e: { action: string }) => e.action === 'campaign.end').actor.type).toBe('key');

    const bens = (await call(admin, 'GET', `/audit?actor=${as.ben!.id}&action=campaign.`)).json().data;
    expect(bens.map((e: { action: string }) => e.action)).toEqual([
      'campaign.resume',
      'campaign.pause',
      'campaign.launch',
    ]);
    expect((await call(admin, 'GET', '/audit?action=campaign.pause')).json().data).toHaveLength(1);
    expect((await call(admin, 'GET', `/audit?since=${new Date(T0 + 1).toISOString()}`)).json().data).toEqual(
      [],
    );

    const page1 = (await call(admin, 'GET', '/audit?action=campaign.&limit=3')).json();
    const page2 = (
      await call(admin, 'GET', `/audit?action=campaign.&limit=3&cursor=${page1.next_cursor}`)
    ).json();
    expect([...page1.data, ...page2.data].map((e: { seq: number }) => e.seq)).toEqual(
      all.data.slice(0, 6).map((e: { seq: number }) => e.seq),
    );
    const forged = await call(admin, 'GET', '/audit?cursor=nonsense');
    expect(forged.statusCode).toBe(422);
    expect(forged.json().error.details.issues[0].path).toBe('querystring.cursor');

    // Sign-ins were audited too; only admins read the trail.
    expect((await call(admin, 'GET', '/audit?action=user.sign_in')).json().data).toHaveLength(4);
    expect((await call(as.amy!, 'GET', '/audit')).statusCode).toBe(403);
    expect((await call(as.ada!, 'GET', '/audit')).statusCode).toBe(200);
    expect(
      (await call(await bearer(store, ws, ['read', 'write', 'launch']), 'GET', '/audit')).statusCode,
    ).toBe(403);
  });

  it('audits contact and account deletions with the deleting key', async () => {
    const contact = await new ContactsRepository(store).create(ws, { email: `gone-${ws}@example.test` }, T0);
    const account = (await call(admin, 'POST', '/accounts', { domain: 'gone.example' })).json();
    expect((await call(admin, 'DELETE', `/contacts/${contact.id}`)).statusCode).toBe(204);
    expect((await call(admin, 'DELETE', `/accounts/${account.id}`)).statusCode).toBe(204);
    const entries = (await call(admin, 'GET', '/audit?limit=2')).json().data;
    expect(entries.map((e: { action: string; target: unknown }) => [e.action, e.target])).toEqual([
      ['account.delete', { type: 'account', id: account.id }],
      ['contact.delete', { type: 'contact', id: contact.id }],
    ]);
    expect(entries[0].actor.type).toBe('key');
  });
});
