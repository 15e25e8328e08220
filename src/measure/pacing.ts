// Goal pacing: actual vs expected progress, a projected final with an interval, and on-track status.
import { DateTime } from 'luxon';
import { BatonError, type FieldIssue } from '../domain/errors.js';
import type { Interval } from './experiments/arms.js';
import { poissonInterval, weightedPoissonInterval } from './stats/poisson.js';

/** Cumulative actual (conversions, converters or value) observed at epoch ms `at`. */
export interface PacingPoint {
  at: number;
  actual: number;
}

/**
 * A normalised cumulative curve: at `fraction` of the window (0..1) a share `share` (0..1) of the
 * final result was in. Built from a reference campaign by `referenceCurveFromSeries`.
 */
export interface CurvePoint {
  fraction: number;
  share: number;
}

export type PacingStatus = 'not_started' | 'on_track' | 'at_risk' | 'off_track' | 'met' | 'missed';

/** Status thresholds (docs/decisions/0004): projected ≥ target on track; ≥ atRisk × target at risk. */
export const AT_RISK_SHARE = 0.8;

export type PacingMeasure = 'count' | 'value';

export interface PacingInput {
  target: number;
  windowStart: number;
  windowEnd: number;
  series: PacingPoint[];
  now: number;
  /**
   * What the series adds up: `count` (default) counts events (conversions, converters); `value` sums
   * an amount per event (value, pipeline created, revenue won), each step of the series being one
   * conversion's value (conversions at the same instant form one step).
   */
  measure?: PacingMeasure;
  /** Shape of expected progress; linear over the window when absent. */
  referenceCurve?: CurvePoint[];
  /** Total budget (for the projected cost per result). */
  budget?: number;
  /** Spend to date (for the cost per result so far). */
  spend?: number;
  /** 1 − confidence of the projection interval; default 0.05. */
  alpha?: number;
  /** Share of the target below which a projection is off track; default 0.8. */
  atRiskShare?: number;
}

export interface PacingResult {
  target: number;
  actualToDate: number;
  /** Share of the window elapsed at `now` (0..1). */
  elapsedFraction: number;
  /** Share of the final result the curve expects by now (equals elapsedFraction when linear). */
  expectedShare: number;
  expectedToDate: number;
  /** actual / expected to date; null before anything is expected. */
  pace: number | null;
  projectedFinal: number;
  /**
   * Interval for the final at the current pace (Garwood limits on the pace for a count, Fay–Feuer
   * limits for a value; see decision 0004). Before anything is expected (at the window start), or
   * for a value goal before any value is in, the upper end is Infinity (JSON null).
   */
  projectedInterval: Interval;
  /** projected final / target */
  projectedShareOfTarget: number;
  status: PacingStatus;
  /** spend / actual to date; null without spend or results. */
  costPerResult: number | null;
  /** budget / projected final; null without budget or a projected result. */
  projectedCostPerResult: number | null;
  /** Actual vs expected at every point of the series inside the window. */
  history: Array<{ at: number; actual: number; expected: number }>;
}

function curveShare(curve: CurvePoint[] | undefined, u: number): number {
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  if (!curve) return u;
  let prev: CurvePoint = { fraction: 0, share: 0 };
  for (const p of curve) {
    if (p.fraction >= u) {
      const span = p.fraction - prev.fraction;
      return span > 0 ? prev.share + ((p.share - prev.share) * (u - prev.fraction)) / span : p.share;
    }
    prev = p;
  }
  return 1;
}

/** Validated, sorted and normalised (last share = 1) copy of a curve. */
function normaliseCurve(curve: CurvePoint[]): CurvePoint[] {
  const issues: FieldIssue[] = [];
  const sorted = [...curve].sort((a, b) => a.fraction - b.fraction);
  sorted.forEach((p, i) => {
    if (!(p.fraction >= 0 && p.fraction <= 1))
      issues.push({ path: `referenceCurve.${i}.fraction`, message: `must be in [0, 1], got ${p.fraction}` });
    if (!(Number.isFinite(p.share) && p.share >= 0))
      issues.push({ path: `referenceCurve.${i}.share`, message: `must be a number ≥ 0, got ${p.share}` });
    if (i > 0 && p.share < sorted[i - 1]!.share)
      issues.push({ path: `referenceCurve.${i}.share`, message: 'a cumulative curve cannot go down' });
  });
  const last = sorted.at(-1);
  if (!last || !(last.share > 0))
    issues.push({ path: 'referenceCurve', message: 'needs at least one point with a share above 0' });
  if (issues.length > 0) throw BatonError.invalid(issues);
  const total = last!.share;
  return sorted.map((p) => ({ fraction: p.fraction, share: p.share / total }));
}

/** Normalised curve of a past campaign: time as a share of its window, result as a share of its final. */
export function referenceCurveFromSeries(
  series: PacingPoint[],
  windowStart: number,
  windowEnd: number,
): CurvePoint[] {
  if (!(windowEnd > windowStart))
    throw BatonError.invalid([{ path: 'windowEnd', message: 'must be after the window start' }]);
  const inWindow = [...series]
    .filter((p) => p.at >= windowStart && p.at <= windowEnd)
    .sort((a, b) => a.at - b.at);
  const final = inWindow.at(-1)?.actual ?? 0;
  if (!(final > 0))
    throw BatonError.invalid([
      { path: 'series', message: 'the reference campaign has no results in its window' },
    ]);
  return normaliseCurve(
    inWindow.map((p) => ({
      fraction: (p.at - windowStart) / (windowEnd - windowStart),
      share: p.actual / final,
    })),
  );
}

function validate(input: PacingInput): void {
  const issues: FieldIssue[] = [];
  if (!(Number.isFinite(input.target) && input.target > 0))
    issues.push({ path: 'target', message: `must be a number > 0, got ${input.target}` });
  if (!(
    Number.isFinite(input.windowStart) &&
    Number.isFinite(input.windowEnd) &&
    input.windowEnd > input.windowStart
  ))
    issues.push({ path: 'windowEnd', message: 'the window must end after it starts' });
  if (!Number.isFinite(input.now)) issues.push({ path: 'now', message: 'must be an epoch-ms time' });
  input.series.forEach((p, i) => {
    if (!Number.isFinite(p.at)) issues.push({ path: `series.${i}.at`, message: 'must be an epoch-ms time' });
    if (!(Number.isFinite(p.actual) && p.actual >= 0))
      issues.push({ path: `series.${i}.actual`, message: `must be a number ≥ 0, got ${p.actual}` });
  });
  for (const key of ['budget', 'spend'] as const) {
    const v = input[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      issues.push({ path: key, message: `must be a number ≥ 0, got ${v}` });
  }
  const alpha = input.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) issues.push({ path: 'alpha', message: `must be in (0, 1), got ${alpha}` });
  const atRisk = input.atRiskShare ?? AT_RISK_SHARE;
  if (!(atRisk > 0 && atRisk < 1))
    issues.push({ path: 'atRiskShare', message: `must be in (0, 1), got ${atRisk}` });
  if (issues.length > 0) throw BatonError.invalid(issues);
}

/** Fay–Feuer limits for a cumulative value series: each step is one conversion's value. */
function valueLimits(seen: PacingPoint[], alpha: number): { lower: number; upper: number } {
  let previous = 0;
  let sum = 0;
  let sumOfSquares = 0;
  let maxWeight = 0;
  for (const p of seen) {
    const step = p.actual - previous;
    previous = p.actual;
    if (step <= 0) continue;
    sum += step;
    sumOfSquares += step * step;
    maxWeight = Math.max(maxWeight, step);
  }
  return weightedPoissonInterval(sum, sumOfSquares, maxWeight, alpha);
}

/**
 * Pacing of a cumulative goal at `now`. Expected progress follows the reference curve F (linear,
 * F(u) = u, without one). The projection extrapolates the pace: final = actual / F(u), and its
 * interval applies Garwood's exact Poisson limits to the count so far, scaled the same way
 * (the uncertainty of the pace). A value goal's total is a compound Poisson sum (a Poisson number of
 * conversions, each with its own value), not a count: its limits are Fay & Feuer's gamma interval for
 * a weighted Poisson sum over the conversion values so far (`weightedPoissonInterval`), which is
 * Garwood's scaled by the value when every conversion is worth the same, and does not depend on the
 * currency unit. Status: met once actual ≥ target; before the window, not started;
 * after it, met or missed; otherwise on track when the projection reaches the target, at risk when
 * it reaches `atRiskShare` of it or the interval still reaches the target, off track below.
 */
export function goalPacing(input: PacingInput): PacingResult {
  validate(input);
  const curve = input.referenceCurve ? normaliseCurve(input.referenceCurve) : undefined;
  const { target, windowStart, windowEnd, now } = input;
  const alpha = input.alpha ?? 0.05;
  const atRiskShare = input.atRiskShare ?? AT_RISK_SHARE;
  const span = windowEnd - windowStart;
  const fractionAt = (t: number) => Math.min(1, Math.max(0, (t - windowStart) / span));
  const series = [...input.series].sort((a, b) => a.at - b.at);
  const seen = series.filter((p) => p.at <= now);
  const actualToDate = seen.at(-1)?.actual ?? 0;
  const elapsedFraction = fractionAt(now);
  const expectedShare = curveShare(curve, elapsedFraction);
  const expectedToDate = target * expectedShare;

  let projectedFinal: number;
  let projectedInterval: Interval;
  if (expectedShare >= 1) {
    projectedFinal = actualToDate;
    projectedInterval = { lower: actualToDate, upper: actualToDate };
  } else if (expectedShare <= 0) {
    // Nothing is expected yet, so there is no pace to extrapolate: project the target itself, unknown spread.
    projectedFinal = Math.max(actualToDate, target);
    projectedInterval = { lower: actualToDate, upper: Number.POSITIVE_INFINITY };
  } else {
    const remainingPerUnit = (1 - expectedShare) / expectedShare;
    const limits =
      input.measure === 'value' ? valueLimits(seen, alpha) : poissonInterval(actualToDate, alpha);
    projectedFinal = actualToDate * (1 + remainingPerUnit);
    projectedInterval = {
      lower: actualToDate + limits.lower * remainingPerUnit,
      upper: actualToDate + limits.upper * remainingPerUnit,
    };
  }

  let status: PacingStatus;
  if (actualToDate >= target) status = 'met';
  else if (now < windowStart) status = 'not_started';
  else if (now >= windowEnd) status = 'missed';
  else if (projectedFinal >= target) status = 'on_track';
  else if (projectedFinal >= atRiskShare * target || projectedInterval.upper >= target) status = 'at_risk';
  else status = 'off_track';

  return {
    target,
    actualToDate,
    elapsedFraction,
    expectedShare,
    expectedToDate,
    pace: expectedToDate > 0 ? actualToDate / expectedToDate : null,
    projectedFinal,
    projectedInterval,
    projectedShareOfTarget: projectedFinal / target,
    status,
    costPerResult: input.spend !== undefined && actualToDate > 0 ? input.spend / actualToDate : null,
    projectedCostPerResult:
      input.budget !== undefined && projectedFinal > 0 && Number.isFinite(projectedFinal)
        ? input.budget / projectedFinal
        : null,
    history: series
      .filter((p) => p.at >= windowStart && p.at <= Math.min(now, windowEnd))
      .map((p) => ({ at: p.at, actual: p.actual, expected: target * curveShare(curve, fractionAt(p.at)) })),
  };
}

export interface PeriodPacing extends PacingResult {
  /** Calendar month, `YYYY-MM`, in the program's time zone. */
  period: string;
  periodStart: number;
  periodEnd: number;
}

export interface AlwaysOnInput {
  /** Target per month: one number for every month, or per `YYYY-MM`. */
  monthlyTarget: number | Record<string, number>;
  /** Cumulative actual since the program started. */
  series: PacingPoint[];
  programStart: number;
  now: number;
  /** IANA zone whose calendar months count (default UTC). */
  timezone?: string;
  /** Spend per `YYYY-MM`, for the cost per result of each month. */
  monthlySpend?: Record<string, number>;
  /** What the series adds up (see `PacingInput.measure`). */
  measure?: PacingMeasure;
  alpha?: number;
  atRiskShare?: number;
}

/**
 * Always-on programs have no end: each calendar month (in the program's zone) is paced against its
 * own target, from the cumulative series re-based at the month's start (the last point before it).
 * Months run from the program start's month to the month containing `now`. The first month is paced
 * from the program start, not from the 1st: its period starts at the launch and its target is the
 * month's target pro-rated by the share of the month left after the launch (a program launched on
 * 20 January with 100 a month is expected to bring 100 × 12/31 in January), so a launch mid-month is
 * not judged on days it did not run.
 */
export function alwaysOnPacing(input: AlwaysOnInput): PeriodPacing[] {
  const zone = input.timezone ?? 'UTC';
  const start = DateTime.fromMillis(input.programStart, { zone });
  if (!start.isValid)
    throw BatonError.invalid([
      { path: 'timezone', message: `${JSON.stringify(zone)} is not a known time zone` },
    ]);
  if (!(input.now >= input.programStart))
    throw BatonError.invalid([{ path: 'now', message: 'must not be before the program start' }]);
  const series = [...input.series].sort((a, b) => a.at - b.at);
  const cumulativeAt = (t: number) => {
    let v = 0;
    for (const p of series) {
      if (p.at > t) break;
      v = p.actual;
    }
    return v;
  };
  const out: PeriodPacing[] = [];
  for (let month = start.startOf('month'); month.toMillis() <= input.now; month = month.plus({ months: 1 })) {
    const period = month.toFormat('yyyy-MM');
    const monthStart = month.toMillis();
    const periodEnd = month.plus({ months: 1 }).toMillis();
    const periodStart = Math.max(monthStart, input.programStart);
    const monthTarget =
      typeof input.monthlyTarget === 'number' ? input.monthlyTarget : input.monthlyTarget[period];
    if (monthTarget === undefined)
      throw BatonError.invalid([{ path: `monthlyTarget.${period}`, message: 'every month needs a target' }]);
    const target = (monthTarget * (periodEnd - periodStart)) / (periodEnd - monthStart);
    const base = cumulativeAt(periodStart - 1);
    const inMonth = series
      .filter((p) => p.at >= periodStart && p.at < periodEnd)
      .map((p) => ({ at: p.at, actual: Math.max(0, p.actual - base) }));
    const result = goalPacing({
      target,
      windowStart: periodStart,
      windowEnd: periodEnd,
      series: [{ at: periodStart, actual: 0 }, ...inMonth],
      now: input.now,
      spend: input.monthlySpend?.[period],
      measure: input.measure,
      alpha: input.alpha,
      atRiskShare: input.atRiskShare,
    });
    out.push({ ...result, period, periodStart, periodEnd });
  }
  return out;
}
