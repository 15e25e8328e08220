// Buyer-journey moves in the simulated market: each person does the stage event (a pricing-page view) at a
// time drawn from the baseline hazard, or earlier when a campaign touch works on them. The ground truth of
// every move is kept: would it have happened by the horizon without the touch? That is what a campaign's
// enrolled-vs-holdout comparison of journey moves is checked against.
import { Random } from './random.js';
import type { StageTruth } from './truth.js';
import type { World } from './world.js';

const DAY = 86_400_000;

export interface StageMove {
  email: string;
  event: string;
  at: number;
  cause: 'baseline' | 'touch';
}

export interface StageMovesResult {
  moves: StageMove[];
  /** Touched people who moved by the horizon only because of the touch (their baseline time is later). */
  incremental: number;
}

/**
 * Draws the stage event of every person in `[from, horizon)`: a baseline time (exponential, rate
 * baselinePerDay × propensity), and for people with a touch (`touchedAt`, by email: the first touch) a
 * chance liftGivenTouch of doing it delayDays (mean) after the touch. The earlier of the two happens.
 */
export function simulateStageMoves(
  world: World,
  truth: StageTruth,
  touchedAt: ReadonlyMap<string, number>,
  from: number,
  horizon: number,
  seed: string,
): StageMovesResult {
  const rng = new Random(`stages:${seed}`);
  const moves: StageMove[] = [];
  let incremental = 0;
  for (const c of world.contacts) {
    // Both draws happen for everyone, so a person's baseline does not depend on being touched.
    const rate = truth.baselinePerDay * c.propensity;
    const baselineAt = rate > 0 ? from + rng.exponential(1 / rate) * DAY : Infinity;
    const works = rng.chance(truth.liftGivenTouch);
    const delay = rng.exponential(truth.delayDays) * DAY;
    const touch = touchedAt.get(c.email);
    const touchAt = touch !== undefined && works ? touch + delay : Infinity;
    const at = Math.min(baselineAt, touchAt);
    if (at >= horizon) continue;
    const cause = touchAt < baselineAt ? 'touch' : 'baseline';
    if (cause === 'touch' && baselineAt >= horizon) incremental++;
    moves.push({ email: c.email, event: truth.event, at: Math.round(at), cause });
  }
  return { moves, incremental };
}
