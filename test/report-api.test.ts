// The review loop over the real Fastify app on both dialects: report, learnings (completed → reviewed) and the
// next campaign cloned with the winning variant as the default.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEvents } from '../src/store/events.repository.js';
import { apiFor, bearer } from './api/api-harness.js';
import { reportCampaign, runReportCampaign, T0 } from './report-fixture.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

describe.each(dialects)('report, review and clone API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: Awaited<ReturnType<typeof apiFor>>['clock'];
  let ws: string;
  let admin: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
  });

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, auth = admin) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: auth },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('reports, reviews a completed campaign and clones it with the winner as the default', async () => {
    const run = await runReportCampaign(store, ws);
    // Variant b's contacts click (all but one of them), variant a's only the one click of the fixture: b wins.
    const bContacts = run.treated.map((_, i) => i).filter((i) => run.variantOf(i) === 'b' && i !== 2);
    await appendEvents(
      store.db,
      bContacts.slice(1).map((i) => run.touchEvent('clicked', i)),
    );
    run.clock.set(Date.parse('2027-01-22T17:00:00Z'));
    await run.worker.tick();
    clock.set(Date.parse('2027-01-23T00:00:00Z'));

    const report = await call('GET', `/campaigns/${reportCampaign.id}/report`);
    expect(report.statusCode).toBe(200);
    const body = report.json();
    expect(body.campaign).toMatchObject({ id: 'report-push', status: 'completed', plan: 'frozen' });
    expect(body.asOf).toBe('2027-01-23T00:00:00.000Z');
    expect(body.goal).toMatchObject({ available: true, actual: 2, target: 5, outcome: 'missed' });
    expect(body.experiments[0]).toMatchObject({ step: 'intro', recommendation: 'winner', winner: 'b' });
    expect(body.learnings).toBeNull();

    // Cloning needs a review first.
    const early = await call('POST', `/campaigns/${reportCampaign.id}/clone`, { name: 'Report push 2' });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.message).toMatch(/review/);

    const reader = await bearer(store, ws, ['read']);
    const refused = await call('PUT', `/campaigns/${reportCampaign.id}/review`, { learnings: 'x' }, reader);
    expect(refused.statusCode).toBe(403);

    const learnings = 'Variant b (the short subject) doubled clicks.\nThe nudge added nothing.';
    const review = await call('PUT', `/campaigns/${reportCampaign.id}/review`, { learnings });
    expect(review.statusCode).toBe(200);
    expect(review.json()).toMatchObject({ status: 'reviewed', moved_to_reviewed: true, learnings });
    const again = await call('PUT', `/campaigns/${reportCampaign.id}/review`, {
      learnings: `${learnings}\nPS`,
    });
    expect(again.json()).toMatchObject({ status: 'reviewed', moved_to_reviewed: false });

    const reviewed = (await call('GET', `/campaigns/${reportCampaign.id}/report`)).json();
    expect(reviewed.learnings.text).toBe(`${learnings}\nPS`);

    const clone = await call('POST', `/campaigns/${reportCampaign.id}/clone`, { name: 'Report push 2' });
    expect(clone.statusCode).toBe(201);
    const next = clone.json();
    expect(next).toMatchObject({
      id: 'report-push-2',
      status: 'draft',
      source: 'report-push',
      winners: [{ step: 'intro', variant: 'b' }],
      still_testing: [],
    });
    const intro = next.spec.sequence.find((s: { id: string }) => s.id === 'intro');
    expect(intro.variants).toBeUndefined();
    expect(intro.test).toBeUndefined();
    expect(next.spec.window).toBeUndefined();
    expect(next.spec.measurement.reference_campaign).toBe('report-push');
    expect(next.spec.description).toContain('Variant b (the short subject) doubled clicks.');
    expect(next.spec.description).toContain('/api/v1/campaigns/report-push/report');

    // The clone reports too (a draft, judged against its spec), and its id is taken now.
    const cloneReport = await call('GET', '/campaigns/report-push-2/report');
    expect(cloneReport.statusCode).toBe(200);
    expect(cloneReport.json().campaign.plan).toBe('spec');
    const twice = await call('POST', `/campaigns/${reportCampaign.id}/clone`, { name: 'Report push 2' });
    expect(twice.statusCode).toBe(409);
  });

  it('answers 404 for another workspace or a missing campaign, and 422 for empty learnings', async () => {
    expect((await call('GET', '/campaigns/nope/report')).statusCode).toBe(404);
    expect((await call('PUT', '/campaigns/nope/review', { learnings: 'x' })).statusCode).toBe(404);
    expect((await call('PUT', '/campaigns/nope/review', { learnings: '' })).statusCode).toBe(422);
    const other = await newWorkspace(store, T0);
    await runReportCampaign(store, other);
    expect((await call('GET', `/campaigns/${reportCampaign.id}/report`)).statusCode).toBe(404);
  });

  it('lists the report routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/campaigns/{id}/report',
        '/api/v1/campaigns/{id}/review',
        '/api/v1/campaigns/{id}/clone',
      ]),
    );
  });
});
