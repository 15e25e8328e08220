// The buyer journey map: a workspace's stages in order, each with entry criteria written as segment rules,
// the presets (default, AIDA, TOFU/MOFU/BOFU), and the named milestones pipeline attribution credits.
import { z } from 'zod';
import { BatonError, zodIssues, type FieldIssue } from './errors.js';
import { checkRule, type CheckedNode, type RuleNode } from './segment.js';

/**
 * How an account's stage is derived: the furthest stage of its contacts, its own criteria (account
 * attributes and account-level events such as deals), or the further of the two.
 */
export const ACCOUNT_STAGE_MODES = ['contacts', 'own', 'furthest'] as const;
export type AccountStageMode = (typeof ACCOUNT_STAGE_MODES)[number];

export const JOURNEY_PRESETS = ['default', 'aida', 'tofu_mofu_bofu'] as const;
export type JourneyPreset = (typeof JOURNEY_PRESETS)[number];

/** The deal events Baton reads as account-level conversions (Segment's B2B SaaS spec names). */
export const OPPORTUNITY_CREATED = 'Opportunity Created';
export const DEAL_WON = 'Deal Won';
/** A lost opportunity (Segment's B2B SaaS spec has no name for it; Baton reads this one). */
export const DEAL_LOST = 'Deal Lost';

const stageId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a stage id: lower-case letters, digits and _, at most 40');

export interface JourneyStage {
  id: string;
  name: string;
  /**
   * Entry criteria (a segment rule); none means every contact qualifies (the first stage, usually) —
   * except a later stage with `account_criteria` only, which is an account stage contacts never reach.
   */
  criteria?: RuleNode;
  /**
   * The account's own entry criteria: a rule over the account's fields (`industry`, `attributes.tier`)
   * and its events (done by any of its contacts or stamped with the account, such as deals). Read when
   * `account_stage` is `own` or `furthest`; a later stage without them is not reached by own criteria.
   */
  account_criteria?: RuleNode;
}

/** A milestone instant: the first time a contact of the account did `event`, or entered `stage`. */
export type MilestoneRef = { event: string } | { stage: string };

export interface JourneyMilestones {
  lead_creation: MilestoneRef;
  opportunity_creation: MilestoneRef;
}

export interface WShares {
  first_touch: number;
  lead_creation: number;
  opportunity_creation: number;
  /** Shared evenly by the touches between the milestones. */
  rest: number;
}

export interface JourneyMap {
  preset: JourneyPreset | 'custom';
  stages: JourneyStage[];
  milestones: JourneyMilestones;
  w_shares: WShares;
  /** Days of touches before a deal that its attribution considers. */
  deal_lookback_days: number;
  /** How an account's stage is derived (`contacts` when the map does not say). */
  account_stage: AccountStageMode;
}

const milestoneRef = z.union([
  z.object({ event: z.string().min(1).max(200) }).strict(),
  z.object({ stage: stageId }).strict(),
]);

const share = z.number().min(0).max(1);

export const journeyInputSchema = z
  .object({
    preset: z.enum(JOURNEY_PRESETS).optional(),
    stages: z
      .array(
        z
          .object({
            id: stageId,
            name: z.string().min(1).max(80),
            criteria: z.unknown().optional(),
            account_criteria: z.unknown().optional(),
          })
          .strict(),
      )
      .min(2, 'a journey has at least two stages')
      .max(12, 'a journey has at most 12 stages')
      .optional(),
    milestones: z
      .object({ lead_creation: milestoneRef.optional(), opportunity_creation: milestoneRef.optional() })
      .strict()
      .optional(),
    w_shares: z
      .object({ first_touch: share, lead_creation: share, opportunity_creation: share, rest: share })
      .strict()
      .optional(),
    deal_lookback_days: z.number().int().min(1).max(730).optional(),
    account_stage: z.enum(ACCOUNT_STAGE_MODES).optional(),
  })
  .strict();
export type JourneyInput = z.input<typeof journeyInputSchema>;

const within = (event: string, days: number): RuleNode => ({ event, within_days: days });

/** The stage lists of the presets. Criteria read the events Baton and the tracking snippet record. */
export const PRESET_STAGES: Record<JourneyPreset, JourneyStage[]> = {
  default: [
    { id: 'awareness', name: 'Awareness' },
    {
      id: 'consideration',
      name: 'Consideration',
      criteria: { any: [within('pricing_page_viewed', 30), within('guide_downloaded', 30)] },
    },
    {
      id: 'decision',
      name: 'Decision',
      criteria: {
        any: [within('demo_booked', 90), within('meeting_booked', 90), within(OPPORTUNITY_CREATED, 180)],
      },
      // An opportunity opened in the last 180 days and not lost since then (a won one makes a Customer).
      account_criteria: {
        all: [within(OPPORTUNITY_CREATED, 180), { not: within(DEAL_LOST, 180) }],
      },
    },
    {
      id: 'customer',
      name: 'Customer',
      criteria: { any: [{ event: DEAL_WON }, { attribute: 'lifecycle_stage', op: 'eq', value: 'customer' }] },
      account_criteria: { event: DEAL_WON },
    },
  ],
  aida: [
    { id: 'attention', name: 'Attention' },
    { id: 'interest', name: 'Interest', criteria: { any: [within('clicked', 30), within('page', 30)] } },
    {
      id: 'desire',
      name: 'Desire',
      criteria: { any: [within('pricing_page_viewed', 30), within('trial_started', 60)] },
    },
    {
      id: 'action',
      name: 'Action',
      criteria: { any: [within('demo_booked', 90), { event: DEAL_WON }] },
      account_criteria: { any: [within(OPPORTUNITY_CREATED, 180), { event: DEAL_WON }] },
    },
  ],
  tofu_mofu_bofu: [
    { id: 'tofu', name: 'Top of funnel' },
    {
      id: 'mofu',
      name: 'Middle of funnel',
      criteria: { any: [within('guide_downloaded', 60), within('webinar_attended', 60)] },
    },
    {
      id: 'bofu',
      name: 'Bottom of funnel',
      criteria: { any: [within('pricing_page_viewed', 30), within('demo_booked', 90)] },
      account_criteria: within(OPPORTUNITY_CREATED, 180),
    },
  ],
};

export const DEFAULT_MILESTONES: JourneyMilestones = {
  lead_creation: { stage: 'consideration' },
  opportunity_creation: { event: OPPORTUNITY_CREATED },
};

/**
 * Marketo Measure's W-shaped split: 30% each to the first touch, the lead-creation touch and the
 * opportunity-creation touch, 10% to the touches between them (Adobe Experience League, "Marketo Measure
 * Attribution Models", section W-Shaped Model).
 */
export const DEFAULT_W_SHARES: WShares = {
  first_touch: 0.3,
  lead_creation: 0.3,
  opportunity_creation: 0.3,
  rest: 0.1,
};

/** A checked journey: the map as stored plus each stage's criteria as a typed rule tree. */
export interface CheckedJourney {
  map: JourneyMap;
  rules: Array<CheckedNode | undefined>;
  /** Each stage's account criteria (over an account row; see checkAccountRule). */
  accountRules: Array<CheckedNode | undefined>;
}

/** The map a workspace gets from a preset with nothing else set. */
export function presetJourney(preset: JourneyPreset = 'default'): JourneyMap {
  const stages = PRESET_STAGES[preset];
  return {
    preset,
    stages,
    milestones: {
      lead_creation: preset === 'default' ? DEFAULT_MILESTONES.lead_creation : { stage: stages[1]!.id },
      opportunity_creation: DEFAULT_MILESTONES.opportunity_creation,
    },
    w_shares: DEFAULT_W_SHARES,
    deal_lookback_days: 180,
    account_stage: 'contacts',
  };
}

/**
 * Checks account criteria: a segment rule read over an account. Attribute conditions name the account's
 * fields (`industry`, `attributes.tier`; `account.industry` is accepted too); events are the account's;
 * a saved segment (a set of contacts) cannot be used. Lists are checked to be account lists on save.
 */
export function checkAccountRule(raw: unknown, prefix: string): { rule?: CheckedNode; issues: FieldIssue[] } {
  const onAccount = (n: unknown): unknown => {
    if (typeof n !== 'object' || n === null || Array.isArray(n)) return n;
    const o = n as Record<string, unknown>;
    if (Array.isArray(o.all)) return { ...o, all: o.all.map(onAccount) };
    if (Array.isArray(o.any)) return { ...o, any: o.any.map(onAccount) };
    if ('not' in o) return { ...o, not: onAccount(o.not) };
    if (typeof o.attribute === 'string' && !o.attribute.startsWith('account.'))
      return { ...o, attribute: `account.${o.attribute}` };
    return n;
  };
  const r = checkRule(onAccount(raw), prefix);
  const issues = r.issues.map((i) =>
    i.path.endsWith('.attribute')
      ? { ...i, message: i.message.replace(' or account.FIELD', '').replace(/"account\./, '"') }
      : i,
  );
  const walk = (n: CheckedNode): void => {
    if (n.kind === 'all' || n.kind === 'any') n.children.forEach(walk);
    else if (n.kind === 'not') walk(n.child);
    else if (n.kind === 'segment')
      issues.push({
        path: n.path,
        message:
          'account criteria cannot use a saved segment (a segment selects contacts); use account fields, events or an account list',
      });
  };
  if (r.rule) walk(r.rule);
  return issues.length === 0 && r.rule ? { rule: r.rule, issues } : { issues };
}

/**
 * Validates a journey input into a checked map, or throws `invalid_input` naming each field: stage ids
 * unique, criteria valid segment rules, milestone stages that exist, W shares that sum to 1.
 */
export function checkJourney(raw: unknown): CheckedJourney {
  const parsed = journeyInputSchema.safeParse(raw ?? {});
  if (!parsed.success) throw BatonError.invalid(zodIssues(parsed.error.issues, ''));
  const input = parsed.data;
  const base = presetJourney(input.preset ?? 'default');
  const stages: JourneyStage[] = input.stages
    ? input.stages.map((s) => ({
        id: s.id,
        name: s.name,
        ...(s.criteria !== undefined ? { criteria: s.criteria as RuleNode } : {}),
      }))
    : base.stages;
  if (input.stages)
    input.stages.forEach((s, i) => {
      if (s.account_criteria !== undefined) stages[i]!.account_criteria = s.account_criteria as RuleNode;
    });
  const issues: FieldIssue[] = [];
  const seen = new Map<string, number>();
  const rules = stages.map((s, i) => {
    const prev = seen.get(s.id);
    if (prev !== undefined)
      issues.push({
        path: `stages.${i}.id`,
        message: `stage id "${s.id}" is used twice (also stages.${prev})`,
      });
    seen.set(s.id, i);
    if (s.criteria === undefined) return undefined;
    const r = checkRule(s.criteria, `stages.${i}.criteria`);
    issues.push(...r.issues);
    return r.rule;
  });
  const accountRules = stages.map((s, i) => {
    if (s.account_criteria === undefined) return undefined;
    const r = checkAccountRule(s.account_criteria, `stages.${i}.account_criteria`);
    issues.push(...r.issues);
    return r.rule;
  });
  const accountStage = input.account_stage ?? 'contacts';
  if (accountStage !== 'contacts' && !stages.some((s, i) => i > 0 && s.account_criteria !== undefined))
    issues.push({
      path: 'account_stage',
      message: `\`${accountStage}\` derives accounts' stages from their own criteria, but no stage after the first has account_criteria; add them or use \`contacts\``,
    });
  const milestones: JourneyMilestones = {
    lead_creation:
      input.milestones?.lead_creation ??
      (input.stages ? { stage: stages[1]!.id } : base.milestones.lead_creation),
    opportunity_creation: input.milestones?.opportunity_creation ?? base.milestones.opportunity_creation,
  };
  for (const key of ['lead_creation', 'opportunity_creation'] as const) {
    const m = milestones[key];
    if ('stage' in m && !seen.has(m.stage))
      issues.push({
        path: `milestones.${key}.stage`,
        message: `names no stage of this journey; use one of ${stages.map((s) => s.id).join(', ')}`,
      });
  }
  const w = input.w_shares ?? DEFAULT_W_SHARES;
  const sum = w.first_touch + w.lead_creation + w.opportunity_creation + w.rest;
  if (Math.abs(sum - 1) > 1e-9)
    issues.push({ path: 'w_shares', message: `the four shares must add up to 1, they add up to ${sum}` });
  if (issues.length > 0) throw BatonError.invalid(issues);
  const preset = input.stages ? 'custom' : (input.preset ?? 'default');
  return {
    map: {
      preset,
      stages,
      milestones,
      w_shares: w,
      deal_lookback_days: input.deal_lookback_days ?? base.deal_lookback_days,
      account_stage: accountStage,
    },
    rules,
    accountRules,
  };
}

/** The stage's position in the journey (0 first), or -1 when the journey has no such stage. */
export function stageIndex(map: JourneyMap, id: string | null | undefined): number {
  return id ? map.stages.findIndex((s) => s.id === id) : -1;
}
