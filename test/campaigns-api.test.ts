// /api/v1/campaigns over the real Fastify app on both dialects: CRUD with revisions, lint, lifecycle
// moves with their error codes, the frozen plan, scopes, and the OpenAPI entries.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../src/store/ids.js';
import { TemplatesRepository } from '../src/store/templates.repository.js';
import { apiFor, bearer, T0 } from './api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

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

describe.each(dialects)('campaigns API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    admin = await bearer(store, ws, ['admin']);
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, auth = admin) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: auth },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function launchable(): Promise<void> {
    await new TemplatesRepository(store).upsert(
      ws,
      { id: 'templates/intro.liquid', kind: 'liquid', source: 'Hi {{ links.unsubscribe }}' },
      T0,
    );
    await store.db
      .insertInto('contacts')
      .values(
        [1, 2].map((i) => ({
          id: newId('ct', T0),
          workspace_id: ws,
          email: `c${i}-${ws}@example.test`,
          lifecycle_stage: 'lead',
          subscription_status: 'subscribed',
          sms_consent: 0,
          attributes: '{}',
          created_at: T0,
          updated_at: T0,
        })),
      )
      .execute();
  }

  it('creates, reads, updates with revisions and diffs, lists and deletes', async () => {
    const created = await call('POST', '/campaigns', SPEC);
    expect(created.statusCode).toBe(201);
    expect(created.json().campaign).toMatchObject({ id: 'spring', status: 'draft', revision: 1 });
    expect((await call('POST', '/campaigns', SPEC)).json().error.code).toBe('conflict');

    const same = await call('PUT', '/campaigns/spring', SPEC);
    expect(same.json().change).toBe('unchanged');
    const edited = await call('PUT', '/campaigns/spring', { ...SPEC, name: 'Spring push 2' });
    expect(edited.json()).toMatchObject({
      change: 'updated',
      diff: [{ path: 'name', before: 'Spring push', after: 'Spring push 2' }],
    });

    const revs = await call('GET', '/campaigns/spring/revisions');
    expect(revs.statusCode).toBe(200);
    expect(revs.json().data.map((r: { revision: number }) => r.revision)).toEqual([2, 1]);
    expect(revs.json().data[0].diff).toEqual([
      { path: 'name', before: 'Spring push', after: 'Spring push 2' },
    ]);

    expect((await call('GET', '/campaigns/spring')).json().name).toBe('Spring push 2');
    expect((await call('GET', '/campaigns?status=draft')).json().data).toHaveLength(1);
    expect((await call('GET', '/campaigns?status=running')).json().data).toHaveLength(0);
    expect((await call('DELETE', '/campaigns/spring')).statusCode).toBe(204);
    expect((await call('GET', '/campaigns/spring')).statusCode).toBe(404);
  });

  it('refuses bad specs with 422 naming the path, and writes nothing', async () => {
    const r = await call('POST', '/campaigns', {
      ...SPEC,
      window: { ...SPEC.window, timezone: 'Mars/Base' },
    });
    expect(r.statusCode).toBe(422);
    expect(JSON.stringify(r.json().error)).toContain('timezone');
    const id = await call('PUT', '/campaigns/spring', { ...SPEC, id: 'other' });
    expect(id.statusCode).toBe(422);
    expect((await call('GET', '/campaigns')).json().data).toEqual([]);
  });

  it('lints, refuses a blocked launch with the findings, launches, and freezes the plan', async () => {
    await call('POST', '/campaigns', SPEC);
    const lint = await call('POST', '/campaigns/spring/lint');
    expect(lint.json().blocking).toBeGreaterThan(0);
    const codes = lint.json().findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['audience_empty', 'template_not_found']));

    const blocked = await call('POST', '/campaigns/spring/launch');
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().error.code).toBe('blocked_by_guardrails');
    expect(blocked.json().error.details.findings.map((f: { code: string }) => f.code)).toEqual(
      expect.arrayContaining(['audience_empty']),
    );

    await launchable();
    const launched = await call('POST', '/campaigns/spring/launch');
    expect(launched.statusCode).toBe(200);
    expect(launched.json().campaign).toMatchObject({
      status: 'running',
      frozen_plan: { goal: { target: 3 } },
    });
    expect(launched.json().campaign.frozen_hash).toMatch(/^[0-9a-f]{64}$/);
    // The engine's hook enrolled the audience in the launch transaction.
    const enrolled = () =>
      store.db
        .selectFrom('enrollments')
        .select(['state'])
        .where('workspace_id', '=', ws)
        .where('campaign_id', '=', 'spring')
        .execute();
    expect((await enrolled()).map((e) => e.state)).toEqual(['active', 'active']);

    const frozen = await call('PUT', '/campaigns/spring', { ...SPEC, goal: { ...SPEC.goal, target: 30 } });
    expect(frozen.statusCode).toBe(409);
    expect(frozen.json().error.code).toBe('frozen');
    expect(frozen.json().error.message).toContain('goal.target');

    const pause = await call('POST', '/campaigns/spring/pause');
    expect(pause.json().status).toBe('paused');
    const again = await call('POST', '/campaigns/spring/pause');
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'illegal_transition',
      details: { status: 'paused', allowed: ['resume', 'end'] },
    });
    expect((await call('POST', '/campaigns/spring/resume')).json().status).toBe('running');
    expect((await call('POST', '/campaigns/spring/end')).json()).toMatchObject({ status: 'completed' });
    // Ending by hand closes the open enrollments.
    expect((await enrolled()).map((e) => e.state)).toEqual(['completed', 'completed']);
  });

  it('lints a spec that is not saved, and saves nothing', async () => {
    const r = await call('POST', '/campaigns/lint', { ...SPEC, goal: undefined });
    expect(r.statusCode).toBe(200);
    expect(r.json().findings.map((f: { code: string }) => f.code)).toContain('goal_missing');
    expect((await call('GET', '/campaigns')).json().data).toEqual([]);
  });

  it('needs the launch scope to launch, and write to edit', async () => {
    await call('POST', '/campaigns', SPEC);
    const reader = await bearer(store, ws, ['read', 'write']);
    expect((await call('POST', '/campaigns/spring/launch', undefined, reader)).statusCode).toBe(403);
    const readOnly = await bearer(store, ws, ['read']);
    expect((await call('PUT', '/campaigns/spring', SPEC, readOnly)).statusCode).toBe(403);
    expect((await call('GET', '/campaigns/spring', undefined, readOnly)).statusCode).toBe(200);
  });

  it('documents the campaign routes in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    for (const p of [
      '/api/v1/campaigns',
      '/api/v1/campaigns/{id}/launch',
      '/api/v1/campaigns/{id}/revisions',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
