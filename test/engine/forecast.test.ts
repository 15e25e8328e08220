// The forecast on both stores, over the API and through the real CLI: the audience walked through the
// sequence with the engine's planning code, another running campaign's planned touch counted in the caps,
// the later steps of other campaigns' sequences projected as the dispatcher would send them,
// a conditional step counted apart, a touch that no longer fits before the end, and nothing written.
// Expected placements are worked out by hand from the rules (default send window Mon–Fri 09:00–17:00,
// default caps 1 a day and 3 in any 7 days unless a test sets others), not by running the code.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSchema, type CampaignInput } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { forecastCampaign, formatForecast, projectOtherCampaigns } from '../../src/engine/forecast.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import type { Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { openStore } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { apiFor, bearer } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, tempSqliteUrl, type TestStore } from '../support/stores.js';

const MONDAY = Date.parse('2027-01-04T00:00:00Z');
const at = (iso: string): number => Date.parse(iso);

const WINDOW = { start: '2027-01-04T00:00', end: '2027-01-08T17:00', timezone: 'UTC' };
const SPRING: CampaignInput = {
  id: 'spring',
  name: 'Spring',
  objective: 'leads',
  window: WINDOW,
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['email', 'task'],
  sequence: [
    { id: 'intro', channel: 'email', delay: '0d', subject: 'Hi' },
    { id: 'follow', channel: 'email', delay: '1d', subject: 'Again' },
    { id: 'nudge', channel: 'task', delay: '2d', when: { not: { opened: 'intro' } } },
  ],
};
const OTHER: CampaignInput = {
  id: 'other',
  name: 'Other',
  objective: 'leads',
  window: WINDOW,
  channels: ['email'],
  sequence: [{ id: 'hello', channel: 'email', delay: '0d', subject: 'Hello' }],
};

/** Two leads in UTC (`busy` already has another campaign's touch on Monday 09:00) and an unsubscribed one. */
async function seed(store: Store, ws: string): Promise<void> {
  const contact = (email: string, status = 'subscribed') => ({
    id: newId('ct', MONDAY),
    workspace_id: ws,
    email,
    lifecycle_stage: 'lead',
    time_zone: 'UTC',
    subscription_status: status,
    sms_consent: 0,
    attributes: '{}',
    created_at: MONDAY,
    updated_at: MONDAY,
  });
  const free = contact(`free-${ws}@example.test`);
  const busy = contact(`busy-${ws}@example.test`);
  const gone = contact(`gone-${ws}@example.test`, 'unsubscribed');
  await store.db.insertInto('contacts').values([free, busy, gone]).execute();
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, campaignSchema.parse(SPRING), MONDAY);
  const other = campaignSchema.parse(OTHER);
  await repo.insert(ws, other, MONDAY);
  await repo.setStatus(ws, other.id, 'draft', 'running', MONDAY, { launchedAt: MONDAY });
  const rt = buildRuntime(ws, other, 1, workspaceSettings({}));
  const r = await enrollContacts(store, rt, [{ id: busy.id, account_id: null, time_zone: 'UTC' }], MONDAY);
  expect(r.touchesPlanned).toBe(1);
}

/**
 * Other running campaigns with sequences longer than one step. Caps: 1 a day, and 10 in 7 days so only the
 * daily cap is at play. `launch` (two emails a day apart) is forecast for three leads in UTC:
 * `free` (no other campaign), `busy` (in `drip`: three emails a day apart) and `busier` (in `drip` and in
 * `urgent`, one email at priority 80, above drip's 50). The touch queue holds only drip's first step.
 */
async function seedSequences(store: Store, ws: string): Promise<void> {
  await new WorkspacesRepository(store).updateSettings(ws, { caps: { per_day: 1, per_7_days: 10 } });
  const contact = (name: string) => ({
    id: newId('ct', MONDAY),
    workspace_id: ws,
    email: `${name}-${ws}@example.test`,
    lifecycle_stage: 'lead',
    time_zone: 'UTC',
    subscription_status: 'subscribed',
    sms_consent: 0,
    attributes: '{}',
    created_at: MONDAY,
    updated_at: MONDAY,
  });
  const [free, busy, busier] = [contact('free'), contact('busy'), contact('busier')];
  await store.db.insertInto('contacts').values([free, busy, busier]).execute();
  const repo = new CampaignsRepository(store);
  await repo.insert(
    ws,
    campaignSchema.parse({
      ...SPRING,
      id: 'launch',
      name: 'Launch',
      channels: ['email'],
      sequence: [
        { id: 'intro', channel: 'email', delay: '0d', subject: 'Hi' },
        { id: 'follow', channel: 'email', delay: '1d', subject: 'Again' },
      ],
    }),
    MONDAY,
  );
  const settings = workspaceSettings({ caps: { per_day: 1, per_7_days: 10 } });
  const run = async (input: CampaignInput, who: Array<{ id: string }>): Promise<void> => {
    const spec = campaignSchema.parse(input);
    await repo.insert(ws, spec, MONDAY);
    await repo.setStatus(ws, spec.id, 'draft', 'running', MONDAY, { launchedAt: MONDAY });
    const rt = buildRuntime(ws, spec, 1, settings);
    const contacts = who.map((c) => ({ id: c.id, account_id: null, time_zone: 'UTC' }));
    expect((await enrollContacts(store, rt, contacts, MONDAY)).touchesPlanned).toBe(who.length);
  };
  await run({ ...OTHER, id: 'urgent', name: 'Urgent', priority: 80 }, [busier]);
  await run(
    {
      ...OTHER,
      id: 'drip',
      name: 'Drip',
      sequence: [
        { id: 'a', channel: 'email', delay: '0d', subject: 'A' },
        { id: 'b', channel: 'email', delay: '1d', subject: 'B' },
        { id: 'c', channel: 'email', delay: '1d', subject: 'C' },
      ],
    },
    [busy, busier],
  );
}

async function rowCounts(store: Store): Promise<number[]> {
  const out: number[] = [];
  for (const table of ['touches', 'enrollments', 'events', 'channel_log'] as const) {
    const r = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    out.push(Number(r.n));
  }
  return out;
}

describe.each(dialects)('forecast on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('plans the audience against the other campaigns, counts caps, conditions and the end, writes nothing', async () => {
    const ws = await newWorkspace(store);
    await seed(store, ws);
    const before = await rowCounts(store);
    const f = await forecastCampaign(store, ws, 'spring', { from: MONDAY });
    expect(await rowCounts(store)).toEqual(before);

    expect(f.audience).toEqual({ contacts: 2, holdout: 0, treatment: 2 });
    expect(f.otherCampaignTouches).toBe(1);
    // free: intro Mon 09:00, follow Tue 09:00, nudge (if) Thu 09:00 — the third touch in 7 days is allowed.
    // busy: Monday is taken by `other` → intro Tue 09:00 (pushed 24 h), follow Wed 09:00, nudge Fri would be
    // the 4th touch in 7 days → next allowed Mon 11th 09:00, after the end (Fri 8th 17:00): window_closed.
    expect(f.days).toEqual([
      { date: '2027-01-04', channels: { email: 1 }, total: 1, conditional: {} },
      { date: '2027-01-05', channels: { email: 2 }, total: 2, conditional: {} },
      { date: '2027-01-06', channels: { email: 1 }, total: 1, conditional: {} },
      { date: '2027-01-07', channels: {}, total: 0, conditional: { task: 1 } },
    ]);
    expect(f.peak).toEqual({ date: '2027-01-05', touches: 2 });
    expect(f.totals).toEqual({ touches: 4, conditional: 1, windowClosed: 1 });
    expect(f.capped).toEqual({ people: 1, touches: 1, medianPushHours: 24, maxPushHours: 24 });
    expect(f.windowClosed).toEqual({ people: 1, touches: 1 });
    expect(f.steps).toEqual([
      { id: 'intro', channel: 'email', conditional: false, planned: 2, pushed: 1, windowClosed: 0 },
      { id: 'follow', channel: 'email', conditional: false, planned: 2, pushed: 0, windowClosed: 0 },
      { id: 'nudge', channel: 'task', conditional: true, planned: 1, pushed: 0, windowClosed: 1 },
    ]);
    expect(f.lastTouchAt).toBe(at('2027-01-07T09:00:00Z'));
    expect(f.end).toBe(at('2027-01-08T17:00:00Z'));

    const text = formatForecast(f);
    expect(text).toContain('Pushed by caps: 1 people, 1 touches, median 24 h, max 24 h');
    expect(text).toMatch(/2027-01-05\s+2\s+0\s+2\s+0/);
  });

  it("counts the later steps of other campaigns' sequences, not only the touch the queue holds", async () => {
    const ws = await newWorkspace(store);
    await seedSequences(store, ws);
    const before = await rowCounts(store);
    const f = await forecastCampaign(store, ws, 'launch', { from: MONDAY });
    expect(await rowCounts(store)).toEqual(before);

    // The queue holds 3 touches (drip's `a` for busy and busier, urgent's for busier), all Monday 09:00.
    // Played out as the dispatcher would, with 1 a day: busy gets drip Mon, Tue, Wed 09:00 (each step 1 d
    // after the previous send); busier gets urgent Mon 09:00 (priority 80 goes first), drip `a` deferred to
    // Tue 09:00, then `b` Wed and `c` Thu: 3 + 4 = 7 touches of other campaigns.
    // launch: free intro Mon 09:00, follow Tue 09:00. busy intro Thu 09:00 (pushed 72 h), follow Fri 09:00.
    // busier intro Fri 09:00 (pushed 96 h); its follow would be Sat → Mon 11th 09:00, after the end:
    // window_closed. Counting only the queued touches would push busy and busier by 24 h each instead.
    expect(f.otherCampaignTouches).toBe(7);
    expect(f.days).toEqual([
      { date: '2027-01-04', channels: { email: 1 }, total: 1, conditional: {} },
      { date: '2027-01-05', channels: { email: 1 }, total: 1, conditional: {} },
      { date: '2027-01-07', channels: { email: 1 }, total: 1, conditional: {} },
      { date: '2027-01-08', channels: { email: 2 }, total: 2, conditional: {} },
    ]);
    expect(f.peak).toEqual({ date: '2027-01-08', touches: 2 });
    expect(f.totals).toEqual({ touches: 5, conditional: 0, windowClosed: 1 });
    expect(f.capped).toEqual({ people: 2, touches: 2, medianPushHours: 84, maxPushHours: 96 });
    expect(f.windowClosed).toEqual({ people: 1, touches: 1 });
    expect(f.steps).toEqual([
      { id: 'intro', channel: 'email', conditional: false, planned: 3, pushed: 2, windowClosed: 0 },
      { id: 'follow', channel: 'email', conditional: false, planned: 2, pushed: 0, windowClosed: 1 },
    ]);
    expect(f.lastTouchAt).toBe(at('2027-01-08T09:00:00Z'));
  });

  it('serves GET /api/v1/campaigns/:id/forecast from the clock, and 404 for an unknown campaign', async () => {
    const ws = await newWorkspace(store);
    await seed(store, ws);
    const auth = await bearer(store, ws, ['read']);
    // The API clock stands at Monday 12:00: free goes at 12:00 each day; busy's Monday is taken, so its
    // intro goes Tuesday 09:00, 21 h after the 12:00 slot it wanted.
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/campaigns/spring/forecast',
      headers: { authorization: auth },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.start).toBe('2027-01-04T12:00:00.000Z');
    expect(body.totals).toEqual({ touches: 4, conditional: 1, window_closed: 1 });
    expect(body.capped).toEqual({ people: 1, touches: 1, median_push_hours: 21, max_push_hours: 21 });
    expect(body.last_touch_at).toBe('2027-01-07T12:00:00.000Z');
    const missing = await app.inject({
      method: 'GET',
      url: '/api/v1/campaigns/nope/forecast',
      headers: { authorization: auth },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });
});

describe('projectOtherCampaigns', () => {
  const settings = workspaceSettings({ caps: { per_day: 1, per_7_days: 10 } });
  const runtime = (input: Partial<CampaignInput>) =>
    buildRuntime('ws', campaignSchema.parse({ ...OTHER, ...input }), 1, settings);
  const x = runtime({
    id: 'x',
    channels: ['email', 'sms'],
    sequence: [
      { id: 's0', channel: 'email', delay: '0d', subject: 'S0' },
      { id: 's1', channel: 'sms', delay: '1d', body: 'S1' },
      { id: 's2', channel: 'email', delay: '1d', subject: 'S2' },
      { id: 's3', channel: 'email', delay: '1d', subject: 'S3', when: { opened: 's0' } },
      { id: 's4', channel: 'email', delay: '1d', subject: 'S4' },
    ],
  });
  const y = runtime({ id: 'y' });

  it('plays the sequences out from the queued touches with the caps, reach, conditions and the end', () => {
    const contact = {
      time_zone: 'UTC',
      email: 'a@example.test',
      phone: null,
      subscription_status: 'subscribed',
      sms_consent: 0,
    };
    const got = projectOtherCampaigns(
      contact,
      [],
      [
        // x's s0 is being sent (claimed Monday 10:00); y's only step is due Wednesday 10:00; a touch of a
        // step x no longer has is dropped, as the dispatcher cancels it.
        { rt: x, stepIndex: 0, stepId: 's0', claimed: true, at: at('2027-01-04T10:00:00Z') },
        { rt: y, stepIndex: 0, stepId: 'hello', claimed: false, at: at('2027-01-06T10:00:00Z') },
        { rt: x, stepIndex: 1, stepId: 'gone', claimed: false, at: at('2027-01-05T10:00:00Z') },
      ],
      x.caps,
      'UTC',
    );
    // x: s0 Mon 10:00; s1 (sms) due Tue 10:00, no phone → skipped, s2 planned 1 d later: Wed 10:00. y is due
    // at the same instant with the same priority: x goes first (campaign id order) and y is deferred by the
    // daily cap to Thu 09:00. s3 (conditional, assumed sent) due Thu 10:00 finds Thursday taken → Fri 09:00.
    // s4 would be Sat → Mon 11th 09:00, after the end (Fri 17:00): the sequence ends there.
    expect(got.map((t) => [new Date(t.at).toISOString(), t.campaignId]).sort()).toEqual([
      ['2027-01-04T10:00:00.000Z', 'x'],
      ['2027-01-06T10:00:00.000Z', 'x'],
      ['2027-01-07T09:00:00.000Z', 'y'],
      ['2027-01-08T09:00:00.000Z', 'x'],
    ]);
  });
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('baton forecast (CLI)', () => {
  const tmp = tempSqliteUrl();
  beforeAll(async () => {
    const store = openStore(tmp.url);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, MONDAY);
    await seed(store, ws);
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  const baton = async (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, BATON_DB: tmp.url },
    });

  it('prints the table and the JSON', async () => {
    const text = await baton(['forecast', 'spring', '--from', '2027-01-04T00:00:00Z']);
    expect(text.stdout).toContain('Audience 2 (holdout 0, treatment 2)');
    expect(text.stdout).toContain('After the end (window_closed): 1 touches, 1 people');
    expect(text.stdout).toMatch(/nudge \(if\)\s+task\s+1\s+0\s+1/);
    const json = await baton(['forecast', 'spring', '--from', '2027-01-04T00:00:00Z', '--json']);
    const body = JSON.parse(json.stdout);
    expect(body.peak).toEqual({ date: '2027-01-05', touches: 2 });
    expect(body.last_touch_at).toBe('2027-01-07T09:00:00.000Z');
    expect(Math.abs(body.capped.max_push_hours - 24)).toBeLessThan(1e-9);
  }, 120_000);
});
