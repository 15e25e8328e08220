// The campaign report over HTTP carries an auto-winner step's recorded decision (both stores): null while
// the test share is still being measured, then the decision the engine's tick recorded — the variant, the
// verdict, who decided, the test share's counts and how many held contacts were released — with ISO times.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedClock } from '../../src/engine/clock.js';
import { AUTO_WINNER_START as START, runAutoWinnerCampaign } from '../auto-winner-fixture.js';
import type { Store } from '../../src/store/db.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';
import { apiFor, bearer } from './api-harness.js';

const T0 = Date.parse('2027-01-04T08:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(dialects)('report API: the auto-winner decision (%s)', (dialect) => {
  // A database of its own: a worker tick in another test file on the shared database, at a later simulated
  // time, would decide this campaign's test before its clicks are written.
  let own: OwnStore;
  let store: Store;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  beforeAll(async () => {
    own = await ownStore(dialect);
    store = own.store;
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await own.dispose();
  });

  it('is null while the test runs and the recorded decision once the tick has decided', async () => {
    const ws = await newWorkspace(store, T0);
    const auth = await bearer(store, ws, ['read']);
    const run = await runAutoWinnerCampaign(store, ws, { id: 'subject-test', contacts: 400 });
    expect(run.sent('a')).toBeGreaterThan(0);
    expect(run.sent('b')).toBeGreaterThan(0);
    expect(run.held).toBeGreaterThan(0);

    const report = async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/campaigns/subject-test/report',
        headers: { authorization: auth },
      });
      expect(res.statusCode).toBe(200);
      return res.json() as { experiments: Array<{ step: string; autoWinner: unknown; winner: unknown }> };
    };

    clock.set(START + DAY - HOUR);
    const running = await report();
    expect(running.experiments).toHaveLength(1);
    expect(running.experiments[0]).toMatchObject({ step: 'intro', autoWinner: null });

    expect(await run.decide()).toBe(1);
    clock.set(START + DAY + HOUR);
    const decided = await report();
    expect(decided.experiments[0]).toMatchObject({
      step: 'intro',
      winner: 'b',
      autoWinner: {
        campaignId: 'subject-test',
        stepId: 'intro',
        metric: 'clicked',
        firstSendAt: '2027-01-04T09:00:00.000Z',
        decideAt: '2027-01-05T09:00:00.000Z',
        decidedAt: '2027-01-05T09:00:00.000Z',
        variantId: 'b',
        verdict: 'winner',
        decidedBy: 'sequential_test',
        released: run.held,
        arms: [
          { id: 'a', n: run.sent('a'), successes: run.clicked('a') },
          { id: 'b', n: run.sent('b'), successes: run.clicked('b') },
        ],
      },
    });
    const w = decided.experiments[0]!.autoWinner as { reason: string; comparisons: unknown[] };
    expect(w.reason.length).toBeGreaterThan(0);
    expect(w.comparisons).toHaveLength(1);

    // The OpenAPI document describes the decision's fields.
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
    };
    type Props = { properties: Record<string, { properties?: Record<string, unknown> }> };
    const body = (
      doc.paths['/api/v1/campaigns/{id}/report']!.get.responses['200'] as {
        content: { 'application/json': { schema: Props } };
      }
    ).content['application/json'].schema;
    const items = (body.properties.experiments as unknown as { items: Props }).items;
    expect(Object.keys(items.properties.autoWinner?.properties ?? {})).toEqual(
      expect.arrayContaining(['variantId', 'verdict', 'decidedBy', 'decidedAt', 'arms', 'released']),
    );
  });
});
