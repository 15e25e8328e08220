import { describe, expect, it } from 'vitest';
import { assignArm } from '../domain/assignment.js';
import { campaignFlows, type ArmMember, type StageChange } from '../measure/journey-flows.js';
import { simulateStageMoves } from './stage-moves.js';
import { DEFAULT_TRUTH } from './truth.js';
import { generateWorld } from './world.js';

const DAY = 86_400_000;
const FROM = Date.parse('2027-06-07T09:00:00Z');
const HORIZON = FROM + 21 * DAY;

/** One simulated campaign: half held out by Baton's own arm hash, the treated touched at the start. */
function run(seed: string): { truth: number; lower: number; upper: number } {
  const world = generateWorld(seed, { accounts: 200, contactsPerAccount: 6 });
  const members: ArmMember[] = world.contacts.map((c) => ({
    contactId: c.email,
    arm: assignArm(`camp-${seed}`, c.email, 50),
    enrolledAt: FROM,
  }));
  const touched = new Map(members.filter((m) => m.arm === 'treatment').map((m) => [m.contactId, FROM]));
  const sim = simulateStageMoves(world, DEFAULT_TRUTH.stage, touched, FROM, HORIZON, seed);
  const changes: StageChange[] = sim.moves.map((m) => ({
    subjectId: m.email,
    from: 'awareness',
    to: 'consideration',
    at: m.at,
  }));
  const r = campaignFlows(['awareness', 'consideration'], members, changes, HORIZON);
  return {
    truth: sim.incremental / r.treatment.enrolled,
    lower: r.lift!.interval.lower,
    upper: r.lift!.interval.upper,
  };
}

describe('simulated journey moves', () => {
  it('keeps a baseline that does not depend on being touched', () => {
    const world = generateWorld('b', { accounts: 50, contactsPerAccount: 4 });
    const none = simulateStageMoves(world, DEFAULT_TRUTH.stage, new Map(), FROM, HORIZON, 'b');
    const all = simulateStageMoves(
      world,
      DEFAULT_TRUTH.stage,
      new Map(world.contacts.map((c) => [c.email, FROM])),
      FROM,
      HORIZON,
      'b',
    );
    expect(none.incremental).toBe(0);
    expect(none.moves.every((m) => m.cause === 'baseline')).toBe(true);
    // Touching can only make a move happen sooner: everyone who moved untouched still moves.
    const moved = new Set(all.moves.map((m) => m.email));
    for (const m of none.moves) expect(moved.has(m.email)).toBe(true);
    expect(all.incremental).toBeGreaterThan(0);
  });

  it('the enrolled-vs-holdout interval covers the true incremental share in about 95% of worlds', () => {
    // 40 independent seeded worlds; a 95% interval is expected to miss about 2. Fewer than 35 hits would
    // mean the comparison is biased, not unlucky (P(X ≤ 34) ≈ 0.014 for Binomial(40, 0.95)).
    let hits = 0;
    for (let s = 1; s <= 40; s++) {
      const r = run(`cov-${s}`);
      if (r.lower <= r.truth && r.truth <= r.upper) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(35);
  });
});
