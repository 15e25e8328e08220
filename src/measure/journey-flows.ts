// Journey flows (pure): stage-to-stage transition counts in a range (the Sankey), time spent per stage,
// conversion between stages, and for one campaign the forward moves of its enrolled contacts against its
// holdout — did the campaign move people, or would they have moved anyway?
import { twoProportionTest, type TwoProportionResult } from './experiments/proportions.js';

const DAY = 86_400_000;

export interface StageChange {
  subjectId: string;
  from: string | null;
  to: string;
  at: number;
}

export interface FlowsInput {
  stages: readonly string[];
  /** Every stage change of the subjects up to `to`, any order (history before `from` gives time in stage). */
  changes: readonly StageChange[];
  from: number;
  to: number;
}

export interface Transition {
  from: string | null;
  to: string;
  count: number;
}

export interface StageTime {
  stage: string;
  /** Stays in the stage that ended inside the range. */
  completed: number;
  medianDays: number | null;
  meanDays: number | null;
  /** Subjects in the stage at the end of the range. */
  current: number;
}

export interface StageConversion {
  from: string;
  to: string;
  /** Subjects in `from` at some point in the range. */
  entered: number;
  /** Of those, how many reached `to` or a later stage by the end of the range. */
  reached: number;
  rate: number | null;
}

export interface Flows {
  transitions: Transition[];
  timeInStage: StageTime[];
  conversion: StageConversion[];
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function bySubject(changes: readonly StageChange[], to: number): Map<string, StageChange[]> {
  const out = new Map<string, StageChange[]>();
  for (const c of changes) {
    if (c.at >= to) continue;
    const list = out.get(c.subjectId) ?? [];
    list.push(c);
    out.set(c.subjectId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.at - b.at);
  return out;
}

/** Transitions in journey order: entries (from null) first, then by the from stage, then the to stage. */
export function sortTransitions(stages: readonly string[], list: Transition[]): Transition[] {
  const index = new Map(stages.map((s, i) => [s, i]));
  return list.sort(
    (a, b) =>
      (a.from === null ? -1 : (index.get(a.from) ?? 99)) -
        (b.from === null ? -1 : (index.get(b.from) ?? 99)) ||
      (index.get(a.to) ?? 99) - (index.get(b.to) ?? 99),
  );
}

/**
 * The flows over stage changes in memory: the definition. The API computes the same figures in SQL
 * (src/store/journey/flows.ts, `aggregateFlows`); this one serves small inputs and tests.
 */
export function journeyFlows(input: FlowsInput): Flows {
  const { stages, from, to } = input;
  const index = new Map(stages.map((s, i) => [s, i]));
  const counts = new Map<string, Transition>();
  const stays = new Map<string, number[]>(stages.map((s) => [s, []]));
  const current = new Map<string, number>(stages.map((s) => [s, 0]));
  const entered = stages.map(() => new Set<string>());
  const reached = stages.map(() => new Set<string>());

  for (const [subject, list] of bySubject(input.changes, to)) {
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      const next = list[i + 1];
      if (c.at >= from) {
        const key = `${c.from ?? ''}\u0000${c.to}`;
        const t = counts.get(key) ?? { from: c.from, to: c.to, count: 0 };
        t.count++;
        counts.set(key, t);
      }
      // The stay in c.to runs from c.at until the next change (or the end of the range).
      const leftAt = next?.at ?? null;
      if (leftAt !== null && leftAt >= from) stays.get(c.to)?.push((leftAt - c.at) / DAY);
      if (leftAt === null) current.set(c.to, (current.get(c.to) ?? 0) + 1);
      const idx = index.get(c.to);
      if (idx !== undefined && (leftAt === null || leftAt >= from)) entered[idx]!.add(subject);
    }
    // Reached: the furthest stage the subject got to by the end of the range.
    const furthest = Math.max(...list.map((c) => index.get(c.to) ?? -1));
    for (let k = 0; k <= furthest; k++) reached[k]!.add(subject);
  }

  const conversion: StageConversion[] = [];
  for (let i = 0; i + 1 < stages.length; i++) {
    const inStage = entered[i]!;
    let n = 0;
    for (const s of inStage) if (reached[i + 1]!.has(s)) n++;
    conversion.push({
      from: stages[i]!,
      to: stages[i + 1]!,
      entered: inStage.size,
      reached: n,
      rate: inStage.size > 0 ? n / inStage.size : null,
    });
  }
  return {
    transitions: sortTransitions(stages, [...counts.values()]),
    timeInStage: stages.map((s) => {
      const xs = stays.get(s)!;
      return {
        stage: s,
        completed: xs.length,
        medianDays: median(xs),
        meanDays: xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
        current: current.get(s) ?? 0,
      };
    }),
    conversion,
  };
}

export interface ArmMember {
  contactId: string;
  arm: 'treatment' | 'holdout';
  enrolledAt: number;
}

export interface ArmFlows {
  arm: 'treatment' | 'holdout';
  enrolled: number;
  /** Enrolled contacts who moved forward at least one stage after enrolling, before the end of the range. */
  moved: number;
  rate: number | null;
  transitions: Transition[];
}

export interface CampaignFlows {
  treatment: ArmFlows;
  holdout: ArmFlows;
  /** Treatment rate − holdout rate of moving forward, with a 95% Wald interval; null without both arms. */
  lift: TwoProportionResult | null;
}

/**
 * Forward moves after enrollment, per arm: a contact counts once however far it moved; the transitions
 * list every forward change after its enrollment. Both arms are measured by the same rule.
 */
export function campaignFlows(
  stages: readonly string[],
  members: readonly ArmMember[],
  changes: readonly StageChange[],
  to: number,
): CampaignFlows {
  const index = new Map(stages.map((s, i) => [s, i]));
  const history = bySubject(changes, to);
  const arm = (which: 'treatment' | 'holdout'): ArmFlows => {
    const mine = members.filter((m) => m.arm === which);
    const counts = new Map<string, Transition>();
    let moved = 0;
    for (const m of mine) {
      const forward = (history.get(m.contactId) ?? []).filter(
        (c) =>
          c.at >= m.enrolledAt &&
          c.from !== null &&
          (index.get(c.to) ?? -1) > (index.get(c.from) ?? Number.MAX_SAFE_INTEGER),
      );
      if (forward.length > 0) moved++;
      for (const c of forward) {
        const key = `${c.from}\u0000${c.to}`;
        const t = counts.get(key) ?? { from: c.from, to: c.to, count: 0 };
        t.count++;
        counts.set(key, t);
      }
    }
    return {
      arm: which,
      enrolled: mine.length,
      moved,
      rate: mine.length > 0 ? moved / mine.length : null,
      transitions: [...counts.values()],
    };
  };
  const treatment = arm('treatment');
  const holdout = arm('holdout');
  const lift =
    treatment.enrolled > 0 && holdout.enrolled > 0
      ? twoProportionTest(
          { conversions: holdout.moved, n: holdout.enrolled },
          { conversions: treatment.moved, n: treatment.enrolled },
        )
      : null;
  return { treatment, holdout, lift };
}
