// Step conditions (`when:` in a campaign file): what earlier steps must have observed for a step to run.
import { z } from 'zod';

export const TOUCH_OUTCOMES = ['delivered', 'opened', 'clicked', 'replied'] as const;
export type TouchOutcome = (typeof TOUCH_OUTCOMES)[number];

export type StepCondition =
  | { opened: string }
  | { clicked: string }
  | { replied: string }
  | { delivered: string }
  | { not: StepCondition }
  | { all: StepCondition[] }
  | { any: StepCondition[] };

const stepId = z.string().trim().min(1, 'must name an earlier step');

export const stepConditionSchema: z.ZodType<StepCondition> = z.lazy(() =>
  z.union([
    z.object({ opened: stepId }).strict(),
    z.object({ clicked: stepId }).strict(),
    z.object({ replied: stepId }).strict(),
    z.object({ delivered: stepId }).strict(),
    z.object({ not: stepConditionSchema }).strict(),
    z.object({ all: z.array(stepConditionSchema).min(1, 'needs at least one condition') }).strict(),
    z.object({ any: z.array(stepConditionSchema).min(1, 'needs at least one condition') }).strict(),
  ]),
);

/** Observed outcomes per step id for one enrollment (a Map or a plain object of sets or arrays). */
export type StepOutcomes =
  | ReadonlyMap<string, ReadonlySet<TouchOutcome> | readonly TouchOutcome[]>
  | Readonly<Record<string, ReadonlySet<TouchOutcome> | readonly TouchOutcome[] | undefined>>;

// A click or a reply proves the message was opened even when the open pixel was blocked, and any
// engagement proves delivery.
const IMPLIED_BY: Record<TouchOutcome, readonly TouchOutcome[]> = {
  delivered: ['delivered', 'opened', 'clicked', 'replied'],
  opened: ['opened', 'clicked', 'replied'],
  clicked: ['clicked'],
  replied: ['replied'],
};

function observed(
  outcomes: StepOutcomes,
  step: string,
): ReadonlySet<TouchOutcome> | readonly TouchOutcome[] | undefined {
  if (outcomes instanceof Map) return outcomes.get(step);
  // Own keys only: a step called `constructor` must not find Object.prototype's.
  return Object.hasOwn(outcomes, step) ? (outcomes as Record<string, never>)[step] : undefined;
}

function saw(outcomes: StepOutcomes, step: string, outcome: TouchOutcome): boolean {
  const seen = observed(outcomes, step);
  if (seen === undefined) return false;
  const has = Array.isArray(seen)
    ? (o: TouchOutcome) => (seen as readonly TouchOutcome[]).includes(o)
    : (o: TouchOutcome) => (seen as ReadonlySet<TouchOutcome>).has(o);
  return IMPLIED_BY[outcome].some(has);
}

/** Whether the condition holds given what was observed so far (clicked or replied imply opened). */
export function evaluateCondition(cond: StepCondition, outcomes: StepOutcomes): boolean {
  if ('not' in cond) return !evaluateCondition(cond.not, outcomes);
  if ('all' in cond) return cond.all.every((c) => evaluateCondition(c, outcomes));
  if ('any' in cond) return cond.any.some((c) => evaluateCondition(c, outcomes));
  if ('opened' in cond) return saw(outcomes, cond.opened, 'opened');
  if ('clicked' in cond) return saw(outcomes, cond.clicked, 'clicked');
  if ('replied' in cond) return saw(outcomes, cond.replied, 'replied');
  return saw(outcomes, cond.delivered, 'delivered');
}

/** Every step id a condition refers to (the campaign lint checks they name earlier steps). */
export function conditionStepIds(cond: StepCondition): string[] {
  if ('not' in cond) return conditionStepIds(cond.not);
  if ('all' in cond) return cond.all.flatMap(conditionStepIds);
  if ('any' in cond) return cond.any.flatMap(conditionStepIds);
  const [, step] = Object.entries(cond)[0] as [string, string];
  return [step];
}

/**
 * Builds step outcomes from an enrollment's events (`type` values outside the outcomes are ignored, and so
 * are machine fetches: an Apple Mail Privacy Protection prefetch or a link scanner is nobody opening or
 * clicking, so it must not satisfy `when: { opened: … }`).
 */
export function outcomesFromEvents(
  events: Iterable<{ stepId: string; type: string; machine?: boolean }>,
): Map<string, Set<TouchOutcome>> {
  const out = new Map<string, Set<TouchOutcome>>();
  for (const e of events) {
    if (!(TOUCH_OUTCOMES as readonly string[]).includes(e.type)) continue;
    if (e.machine === true) continue;
    let set = out.get(e.stepId);
    if (set === undefined) out.set(e.stepId, (set = new Set()));
    set.add(e.type as TouchOutcome);
  }
  return out;
}
