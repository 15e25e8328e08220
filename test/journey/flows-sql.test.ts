// Journey flows aggregated in the database, on both stores: on a small fixed history the transitions,
// time in stage and conversion equal the figures worked out by hand below; on a large seeded history
// (30,000 subjects, ~52,000 changes) they equal the in-memory definition (src/measure/journey-flows.ts)
// that the API used before, and the API answers the same through GET /journey/flows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import { journeyFlows, type StageChange } from '../../src/measure/journey-flows.js';
import { aggregateFlows, loadJourneyFlows } from '../../src/store/journey/flows.js';
import { setJourney } from '../../src/store/journey/journey-map.repository.js';
import { newId } from '../../src/store/ids.js';
import type { Database } from '../../src/store/schema.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const DAY = 86_400_000;
const D0 = Date.parse('2027-09-01T00:00:00Z');
const STAGES = ['awareness', 'consideration', 'decision', 'customer'];

type Change = [subject: string, from: string | null, to: string, atDays: number];

describe.each(dialects)('journey flows in SQL (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.dispose());

  const insert = async (ws: string, kind: 'contact' | 'account', changes: readonly Change[]) => {
    const rows: Array<Insertable<Database['journey_stage_changes']>> = changes.map(([id, from, to, d]) => ({
      id: newId('stg', D0),
      workspace_id: ws,
      subject_kind: kind,
      subject_id: id,
      from_stage: from,
      to_stage: to,
      changed_at: Math.round(D0 + d * DAY),
      cause: 'event',
      event_id: null,
      event_type: null,
      recorded_at: D0,
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await store.db
        .insertInto('journey_stage_changes')
        .values(rows.slice(i, i + 1000))
        .execute();
  };

  it('equals the hand-computed flows of a small fixed world', async () => {
    const ws = await newWorkspace(store, D0);
    const other = await newWorkspace(store, D0);
    // The range is [D0, D0 + 30 days); days below are relative to D0.
    await insert(ws, 'contact', [
      ['s1', null, 'awareness', -10],
      ['s1', 'awareness', 'consideration', 2],
      ['s1', 'consideration', 'decision', 6],
      ['s2', null, 'awareness', 1],
      ['s2', 'awareness', 'consideration', 5],
      ['s2', 'consideration', 'awareness', 9], // its pricing view lapsed
      ['s3', null, 'awareness', -20],
      ['s3', 'awareness', 'consideration', -5],
      ['s4', null, 'awareness', 3],
      ['s5', null, 'awareness', -40],
      ['s5', 'awareness', 'consideration', -30],
      ['s5', 'consideration', 'decision', -20],
      ['s6', null, 'awareness', 31], // after the range
      ['s7', null, 'awareness', 10],
      ['s7', 'awareness', 'consideration', 11.5],
    ]);
    // Other subjects and workspaces never count.
    await insert(ws, 'account', [['a1', null, 'awareness', 1]]);
    await insert(other, 'contact', [['s1', null, 'awareness', 1]]);

    const f = await aggregateFlows(store, ws, 'contact', STAGES, D0, D0 + 30 * DAY);
    // Transitions inside the range: entries s2, s4, s7; awareness→consideration s1, s2, s7; s2's lapse;
    // s1 to decision.
    expect(f.transitions).toEqual([
      { from: null, to: 'awareness', count: 3 },
      { from: 'awareness', to: 'consideration', count: 3 },
      { from: 'consideration', to: 'awareness', count: 1 },
      { from: 'consideration', to: 'decision', count: 1 },
    ]);
    // Stays that ended inside the range: awareness s1 12 d, s2 4 d, s7 1.5 d (median 4, mean 17.5/3);
    // consideration s1 4 d, s2 4 d. In a stage at the end: awareness s2 and s4; consideration s3 and s7;
    // decision s1 and s5.
    const time = Object.fromEntries(f.timeInStage.map((t) => [t.stage, t]));
    expect(time.awareness).toMatchObject({ completed: 3, medianDays: 4, current: 2 });
    expect(time.awareness!.meanDays).toBeCloseTo(17.5 / 3, 9);
    expect(time.consideration).toEqual({
      stage: 'consideration',
      completed: 2,
      medianDays: 4,
      meanDays: 4,
      current: 2,
    });
    expect(time.decision).toEqual({
      stage: 'decision',
      completed: 0,
      medianDays: null,
      meanDays: null,
      current: 2,
    });
    expect(time.customer).toEqual({
      stage: 'customer',
      completed: 0,
      medianDays: null,
      meanDays: null,
      current: 0,
    });
    // In awareness during the range: s1, s2, s4, s7, of whom s1, s2, s7 reached consideration. In
    // consideration: s1, s2, s3, s7, of whom s1 reached decision. In decision: s1, s5; none is a customer.
    expect(f.conversion).toEqual([
      { from: 'awareness', to: 'consideration', entered: 4, reached: 3, rate: 3 / 4 },
      { from: 'consideration', to: 'decision', entered: 4, reached: 1, rate: 1 / 4 },
      { from: 'decision', to: 'customer', entered: 2, reached: 0, rate: 0 },
    ]);
    // The account subject holds only its own row.
    const accounts = await aggregateFlows(store, ws, 'account', STAGES, D0, D0 + 30 * DAY);
    expect(accounts.transitions).toEqual([{ from: null, to: 'awareness', count: 1 }]);
  });

  it('equals the in-memory definition on a large history, and the API answers it', async () => {
    const ws = await newWorkspace(store, D0);
    await setJourney(store, ws, { preset: 'default' }, D0 - 200 * DAY);
    // Seeded histories: each subject enters between 180 days before D0 and 90 days after, then moves
    // forward (or, one time in five, back one stage) at exponential gaps of mean 12 days.
    let seed = 20_261_129;
    const r = (): number => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 4_294_967_296;
    const changes: Change[] = [];
    for (let s = 0; s < 30_000; s++) {
      const id = `con_${s}`;
      let at = -180 + r() * 270;
      let stage = 0;
      changes.push([id, null, STAGES[0]!, at]);
      for (let k = 0; k < 4 && r() < 0.6; k++) {
        at += -Math.log(1 - r()) * 12;
        const next = r() < 0.2 ? Math.max(0, stage - 1) : Math.min(3, stage + 1);
        if (next === stage) break;
        changes.push([id, STAGES[stage]!, STAGES[next]!, at]);
        stage = next;
      }
    }
    await insert(ws, 'contact', changes);
    expect(changes.length).toBeGreaterThan(50_000);
    const from = D0 - 30 * DAY;
    const to = D0 + 60 * DAY;
    const f = await aggregateFlows(store, ws, 'contact', STAGES, from, to);
    const history: StageChange[] = changes.map(([subjectId, a, b, d]) => ({
      subjectId,
      from: a,
      to: b,
      at: Math.round(D0 + d * DAY),
    }));
    const expected = journeyFlows({ stages: STAGES, changes: history, from, to });
    expect(f.transitions).toEqual(expected.transitions);
    expect(f.conversion).toEqual(expected.conversion);
    f.timeInStage.forEach((t, i) => {
      const e = expected.timeInStage[i]!;
      expect({ ...t, meanDays: null, medianDays: null }).toEqual({ ...e, meanDays: null, medianDays: null });
      expect(t.meanDays).toBeCloseTo(e.meanDays!, 6);
      expect(t.medianDays).toBeCloseTo(e.medianDays!, 6);
    });
    // Enough happened in the range for the comparison to mean something.
    expect(f.transitions.reduce((n, t) => n + t.count, 0)).toBeGreaterThan(15_000);
    expect(f.timeInStage.slice(0, 3).every((t) => t.completed > 400)).toBe(true);

    const view = await loadJourneyFlows(
      store,
      ws,
      { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      to,
    );
    expect(view.flows).toEqual(f);
  }, 120_000);
});
