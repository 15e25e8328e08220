// The calendar over the real API on both stores: touches grouped per local day of the workspace zone,
// campaign and channel; collisions (one person, one day, two campaigns) counted; cancelled touches and
// touches outside the range left out; the iCalendar export of windows and daily volumes.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const at = (iso: string): number => Date.parse(iso);

function spec(id: string, name: string, channel: 'email' | 'task'): CampaignInput {
  return {
    id,
    name,
    objective: 'leads',
    window: { start: '2027-01-04T00:00', end: '2027-01-30T00:00', timezone: 'America/New_York' },
    channels: [channel],
    sequence: [{ id: 's1', channel, delay: '0d', subject: 'Hi' }],
  };
}

async function touch(
  store: Store,
  ws: string,
  t: { campaign: string; contact: string; channel: string; status: string; due: string; sent?: string },
): Promise<void> {
  await store.db
    .insertInto('touches')
    .values({
      id: newId('tch', T0),
      workspace_id: ws,
      enrollment_id: newId('enr', T0),
      campaign_id: t.campaign,
      contact_id: t.contact,
      step_id: 's1',
      step_index: 0,
      channel: t.channel,
      variant_id: null,
      priority: 50,
      status: t.status,
      due_at: at(t.due),
      lease_until: null,
      claimed_by: null,
      attempts: 0,
      deferrals: 0,
      planned_at: T0,
      sent_at: t.sent === undefined ? null : at(t.sent),
      reason: null,
      message_id: null,
      details: '{}',
    })
    .execute();
}

describe.each(dialects)('calendar on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let auth: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
    ws = await newWorkspace(store);
    await new WorkspacesRepository(store).updateSettings(ws, { time_zone: 'America/New_York' });
    auth = await bearer(store, ws, ['read']);
    const repo = new CampaignsRepository(store);
    for (const [id, name, channel] of [
      ['alpha', 'Alpha', 'email'],
      ['beta', 'Beta', 'task'],
    ] as const) {
      await repo.insert(ws, campaignSchema.parse(spec(id, name, channel)), T0);
      await repo.setStatus(ws, id, 'draft', 'running', T0, { launchedAt: T0 });
    }
    const [a, b, c] = ['ct_a', 'ct_b', 'ct_c'];
    const email = { campaign: 'alpha', channel: 'email' };
    const task = { campaign: 'beta', channel: 'task' };
    // Jan 4 (New York): a is sent alpha at 10:00 and has beta planned at 15:00 — one collision.
    await touch(store, ws, {
      ...email,
      contact: a,
      status: 'sent',
      due: '2027-01-04T14:00Z',
      sent: '2027-01-04T15:00Z',
    });
    await touch(store, ws, { ...task, contact: a, status: 'planned', due: '2027-01-04T20:00Z' });
    await touch(store, ws, { ...task, contact: c, status: 'cancelled', due: '2027-01-04T16:00Z' });
    // Jan 5 (New York): b has alpha at 09:00 and beta at 22:00 (03:00 UTC on the 6th) — one collision;
    // c's alpha touch is in flight (claimed at 11:00).
    await touch(store, ws, { ...email, contact: b, status: 'planned', due: '2027-01-05T14:00Z' });
    await touch(store, ws, { ...task, contact: b, status: 'planned', due: '2027-01-06T03:00Z' });
    await touch(store, ws, {
      ...email,
      contact: c,
      status: 'claimed',
      due: '2027-01-05T15:00Z',
      sent: '2027-01-05T16:00Z',
    });
    // Outside the range.
    await touch(store, ws, { ...email, contact: a, status: 'planned', due: '2027-01-07T14:00Z' });
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  const get = (url: string) =>
    app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: auth } });

  it('counts touches per local day, campaign and channel, and the collisions', async () => {
    const res = await get('/calendar?from=2027-01-04&to=2027-01-05');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.zone).toBe('America/New_York');
    expect(body.from).toBe('2027-01-04T05:00:00.000Z');
    expect(body.to).toBe('2027-01-06T05:00:00.000Z');
    expect(body.days).toEqual([
      {
        date: '2027-01-04',
        planned: 1,
        sent: 1,
        collisions: 1,
        entries: [
          { campaign_id: 'alpha', channel: 'email', planned: 0, sent: 1 },
          { campaign_id: 'beta', channel: 'task', planned: 1, sent: 0 },
        ],
      },
      {
        date: '2027-01-05',
        planned: 3,
        sent: 0,
        collisions: 1,
        entries: [
          { campaign_id: 'alpha', channel: 'email', planned: 2, sent: 0 },
          { campaign_id: 'beta', channel: 'task', planned: 1, sent: 0 },
        ],
      },
    ]);
    expect(body.totals).toEqual({ planned: 4, sent: 1, collisions: 2 });
  });

  it('refuses a range it cannot read, naming the parameter', async () => {
    const bad = await get('/calendar?from=banana');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0].path).toBe('querystring.from');
    const reversed = await get('/calendar?from=2027-01-05&to=2027-01-01');
    expect(reversed.statusCode).toBe(422);
    expect(reversed.json().error.details.issues[0].path).toBe('querystring.to');
    const long = await get('/calendar?from=2027-01-01&to=2029-01-01');
    expect(long.statusCode).toBe(422);
  });

  it('exports campaign windows and daily volumes as iCalendar', async () => {
    const res = await get('/calendar.ics?from=2027-01-04&to=2027-01-05');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/calendar');
    const text = res.body.replace(/\r\n[ \t]/g, '');
    expect(text).toMatch(/^BEGIN:VCALENDAR/);
    expect(text).toContain('UID:campaign-alpha@baton');
    expect(text).toContain('SUMMARY:Alpha (running)');
    expect(text).toContain('SUMMARY:Beta (running)');
    expect(text).toContain('UID:volume-2027-01-04@baton');
    expect(text).toContain('DTSTART;VALUE=DATE:20270104');
    expect(text).toContain('SUMMARY:Baton: 2 touches (1 sent\\, 1 planned)');
    expect(text).toContain('SUMMARY:Baton: 3 touches (0 sent\\, 3 planned)');
    expect(text).toContain('1 people touched by two or more campaigns');
    expect(text.match(/BEGIN:VEVENT/g)).toHaveLength(4);
  });
});
