import { describe, expect, it } from 'vitest';
import { campaignFlows, journeyFlows, type StageChange } from './journey-flows.js';

const DAY = 86_400_000;
const S = ['awareness', 'consideration', 'decision', 'customer'];
const ch = (subjectId: string, from: string | null, to: string, day: number): StageChange => ({
  subjectId,
  from,
  to,
  at: day * DAY,
});

// Hand-worked journeys (counting by definition: a transition is one recorded change inside the range).
const changes = [
  ch('a', null, 'awareness', 0),
  ch('a', 'awareness', 'consideration', 10),
  ch('a', 'consideration', 'decision', 14),
  ch('b', null, 'awareness', 0),
  ch('b', 'awareness', 'consideration', 20),
  ch('c', null, 'awareness', 5),
  ch('d', null, 'awareness', 1),
  ch('d', 'awareness', 'decision', 30), // skips a stage
];

describe('journey flows', () => {
  it('counts transitions in the range, time in stage and stage-to-stage conversion', () => {
    const f = journeyFlows({ stages: S, changes, from: 8 * DAY, to: 40 * DAY });
    expect(f.transitions).toEqual([
      { from: 'awareness', to: 'consideration', count: 2 },
      { from: 'awareness', to: 'decision', count: 1 },
      { from: 'consideration', to: 'decision', count: 1 },
    ]);
    // Awareness stays ending in range: a 10 days, b 20, d 29 → median 20; consideration: a 4 days.
    const aw = f.timeInStage.find((t) => t.stage === 'awareness')!;
    expect(aw).toMatchObject({ completed: 3, medianDays: 20, current: 1 });
    expect(aw.meanDays).toBeCloseTo(59 / 3, 12);
    expect(f.timeInStage.find((t) => t.stage === 'consideration')).toMatchObject({
      completed: 1,
      medianDays: 4,
      current: 1,
    });
    // All four were in awareness during the range; a, b and d reached consideration or beyond (3/4).
    expect(f.conversion[0]).toEqual({
      from: 'awareness',
      to: 'consideration',
      entered: 4,
      reached: 3,
      rate: 0.75,
    });
    // In consideration: a and b; a reached decision (1/2).
    expect(f.conversion[1]).toMatchObject({ entered: 2, reached: 1, rate: 0.5 });
  });

  it('compares forward moves after enrollment between the treated and the held-out contacts', () => {
    const r = campaignFlows(
      S,
      [
        { contactId: 'a', arm: 'treatment', enrolledAt: 9 * DAY },
        { contactId: 'b', arm: 'treatment', enrolledAt: 25 * DAY }, // moved before enrolling: not counted
        { contactId: 'c', arm: 'holdout', enrolledAt: 9 * DAY },
        { contactId: 'd', arm: 'holdout', enrolledAt: 9 * DAY },
      ],
      changes,
      40 * DAY,
    );
    expect(r.treatment).toMatchObject({ enrolled: 2, moved: 1, rate: 0.5 });
    expect(r.treatment.transitions).toEqual([
      { from: 'awareness', to: 'consideration', count: 1 },
      { from: 'consideration', to: 'decision', count: 1 },
    ]);
    expect(r.holdout).toMatchObject({ enrolled: 2, moved: 1, rate: 0.5 });
    expect(r.lift?.difference).toBe(0);
  });
});
