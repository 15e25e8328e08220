// Campaign funnel: enrolled → touched → delivered → opened → clicked → replied → converted, per campaign,
// channel, step and variant, with every rate's numerator and denominator; accounts engaged and converted for ABM.

/** One enrollment of the campaign (both arms; the funnel counts the treatment arm). */
export interface FunnelEnrollment {
  contactId: string;
  accountId: string | null;
  arm: string;
}

/** One touch row of the campaign, whatever its status. */
export interface FunnelTouch {
  id: string;
  contactId: string;
  stepId: string;
  channel: string;
  variantId: string | null;
  status: string;
  sentAt: number | null;
}

/** A touch event of the campaign (delivered, opened, clicked, replied, bounced, unsubscribed, …). */
export interface FunnelEvent {
  type: string;
  contactId: string | null;
  touchId: string | null;
  stepId: string | null;
  channel: string | null;
  variantId: string | null;
  occurredAt: number;
  /** An open fetched by a machine (mail privacy proxies, scanners), not a person. */
  machine: boolean;
}

/** A goal conversion of the campaign. */
export interface FunnelConversion {
  contactId: string;
  arm: string;
  occurredAt: number;
}

export interface FunnelInput {
  enrollments: readonly FunnelEnrollment[];
  touches: readonly FunnelTouch[];
  events: readonly FunnelEvent[];
  conversions: readonly FunnelConversion[];
  /** A step's conversions are the contacts it touched who converted within this long after the touch. */
  lookbackMs: number;
  /** Steps in sequence order (rows come out in this order; unknown steps follow). */
  steps?: ReadonlyArray<{ id: string; channel: string }>;
  /** Count accounts engaged and converted (ABM campaigns). */
  accounts?: boolean;
}

export const FUNNEL_STAGES = [
  'enrolled',
  'touched',
  'delivered',
  'opened',
  'clicked',
  'replied',
  'converted',
  'unsubscribed',
  'bounced',
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
export type FunnelCounts = Record<FunnelStage, number>;

/** A rate that says what it divides: `value` is null (with the reason) when the denominator is 0. */
export interface Rate {
  numerator: number;
  denominator: number;
  /** The stage the denominator counts (`delivered`, `touched`, …). */
  of: string;
  value: number | null;
  reason?: string;
}

export function rate(numerator: number, denominator: number, of: string): Rate {
  if (denominator > 0) return { numerator, denominator, of, value: numerator / denominator };
  return { numerator, denominator, of, value: null, reason: `undefined: the denominator (${of}) is 0` };
}

export const FUNNEL_RATES = {
  touch_rate: ['touched', 'enrolled'],
  delivery_rate: ['delivered', 'touched'],
  open_rate: ['opened', 'delivered'],
  click_rate: ['clicked', 'delivered'],
  click_to_open_rate: ['clicked', 'opened'],
  reply_rate: ['replied', 'delivered'],
  conversion_rate: ['converted', 'touched'],
  unsubscribe_rate: ['unsubscribed', 'delivered'],
  bounce_rate: ['bounced', 'touched'],
} as const satisfies Record<string, readonly [FunnelStage, FunnelStage]>;
export type FunnelRateName = keyof typeof FUNNEL_RATES;

export interface FunnelRow {
  channel: string | null;
  step: string | null;
  variant: string | null;
  counts: FunnelCounts;
  rates: Record<FunnelRateName, Rate>;
  /**
   * True when the channel reported no delivery events at all (the log channel, tasks, ads): delivered is
   * then taken as touched minus bounced rather than counted.
   */
  deliveredInferred: boolean;
}

export interface AccountFunnel {
  enrolled: number;
  /** Accounts with a contact who opened (as a person), clicked or replied. */
  engaged: number;
  converted: number;
  engagedRate: Rate;
  convertedRate: Rate;
}

export interface Funnel {
  campaign: FunnelRow;
  channels: FunnelRow[];
  steps: FunnelRow[];
  variants: FunnelRow[];
  holdout: { enrolled: number; converted: number; conversionRate: Rate };
  accounts: AccountFunnel | null;
}

/** Stage sets of distinct contacts for one grain. */
class Tally {
  readonly sets: Record<FunnelStage, Set<string>> = {
    enrolled: new Set(),
    touched: new Set(),
    delivered: new Set(),
    opened: new Set(),
    clicked: new Set(),
    replied: new Set(),
    converted: new Set(),
    unsubscribed: new Set(),
    bounced: new Set(),
  };
  deliveryEvents = 0;
  /** Contact → earliest send at this grain (for the step's conversions). */
  readonly firstSent = new Map<string, number>();

  constructor(
    readonly channel: string | null,
    readonly step: string | null,
    readonly variant: string | null,
  ) {}

  /**
   * At a step, channel or variant, every stage after `touched` counts only contacts it touched (an event on
   * a failed touch does not make a rate above 1). The campaign row keeps every treated converter, and its
   * conversion rate is over the enrolled (intention to treat, like the holdout's).
   */
  row(isCampaign = false): FunnelRow {
    const s = this.sets;
    const deliveredInferred = this.deliveryEvents === 0;
    const count = (k: FunnelStage) => {
      if (k === 'enrolled' || k === 'touched' || (isCampaign && k === 'converted')) return s[k].size;
      let n = 0;
      for (const c of s[k]) if (s.touched.has(c)) n++;
      return n;
    };
    const counts = Object.fromEntries(FUNNEL_STAGES.map((k) => [k, count(k)])) as FunnelCounts;
    if (deliveredInferred) {
      let delivered = 0;
      for (const c of s.touched) if (!s.bounced.has(c)) delivered++;
      counts.delivered = delivered;
    }
    const rates = Object.fromEntries(
      Object.entries(FUNNEL_RATES).map(([name, [num, den]]) => {
        const of = isCampaign && name === 'conversion_rate' ? 'enrolled' : den;
        return [name, rate(counts[num], counts[of], of)];
      }),
    ) as Record<FunnelRateName, Rate>;
    return {
      channel: this.channel,
      step: this.step,
      variant: this.variant,
      counts,
      rates,
      deliveredInferred,
    };
  }
}

const ENGAGED: ReadonlySet<FunnelStage> = new Set(['opened', 'clicked', 'replied']);

/** Which funnel stage an event type marks; clicks and replies also prove a person opened. */
function stagesOf(e: FunnelEvent): FunnelStage[] {
  switch (e.type) {
    case 'delivered':
      return ['delivered'];
    case 'opened':
      return e.machine ? [] : ['opened'];
    case 'clicked':
      return ['clicked', 'opened'];
    case 'replied':
      return ['replied', 'opened'];
    case 'unsubscribed':
    case 'complained':
      return ['unsubscribed'];
    case 'bounced':
      return ['bounced'];
    default:
      return [];
  }
}

/**
 * Counts distinct contacts at each stage. Only the treatment arm is in the funnel (the holdout is never
 * touched; its size and conversions are given apart). A step's "enrolled" is the contacts it planned a
 * touch for; "touched" those it sent to; its "converted" the touched contacts who converted at or after
 * their first send at that grain, within the lookback. Opens fetched by machines are not opens; a click or
 * a reply counts as an open (a person read the message).
 */
export function computeFunnel(input: FunnelInput): Funnel {
  const campaign = new Tally(null, null, null);
  const channels = new Map<string, Tally>();
  const steps = new Map<string, Tally>();
  const variants = new Map<string, Tally>();
  const grain = <K>(map: Map<K, Tally>, key: K, make: () => Tally) => {
    let t = map.get(key);
    if (!t) map.set(key, (t = make()));
    return t;
  };
  for (const s of input.steps ?? []) {
    grain(channels, s.channel, () => new Tally(s.channel, null, null));
    grain(steps, s.id, () => new Tally(s.channel, s.id, null));
  }
  const tallies = (channel: string | null, step: string | null, variant: string | null): Tally[] => {
    const out = [campaign];
    if (channel !== null) out.push(grain(channels, channel, () => new Tally(channel, null, null)));
    if (step !== null) {
      out.push(grain(steps, step, () => new Tally(channel, step, null)));
      if (variant !== null)
        out.push(grain(variants, `${step}\u0000${variant}`, () => new Tally(channel, step, variant)));
    }
    return out;
  };

  const treatment = new Set<string>();
  const holdout = new Set<string>();
  const accountOf = new Map<string, string>();
  for (const e of input.enrollments) {
    if (e.arm === 'holdout') holdout.add(e.contactId);
    else {
      treatment.add(e.contactId);
      campaign.sets.enrolled.add(e.contactId);
    }
    if (e.accountId) accountOf.set(e.contactId, e.accountId);
  }

  const touchById = new Map<string, FunnelTouch>();
  for (const t of input.touches) {
    touchById.set(t.id, t);
    if (!treatment.has(t.contactId)) continue;
    for (const g of tallies(t.channel, t.stepId, t.variantId)) {
      if (g !== campaign) g.sets.enrolled.add(t.contactId);
      if (t.status === 'sent' && t.sentAt !== null) {
        g.sets.touched.add(t.contactId);
        const prev = g.firstSent.get(t.contactId);
        if (prev === undefined || t.sentAt < prev) g.firstSent.set(t.contactId, t.sentAt);
      }
    }
  }

  for (const e of input.events) {
    if (!e.contactId || !treatment.has(e.contactId)) continue;
    const stages = stagesOf(e);
    if (stages.length === 0) continue;
    const t = e.touchId ? touchById.get(e.touchId) : undefined;
    const channel = t?.channel ?? e.channel;
    const step = t?.stepId ?? e.stepId;
    const variant = t?.variantId ?? e.variantId;
    for (const g of tallies(channel, step, variant)) {
      if (e.type === 'delivered') g.deliveryEvents++;
      for (const s of stages) g.sets[s].add(e.contactId);
    }
  }

  // Conversions: the campaign counts every treated converter; a grain its touched contacts converting after it.
  const conversionTimes = new Map<string, number[]>();
  for (const c of input.conversions) {
    if (c.arm === 'holdout' || !treatment.has(c.contactId)) continue;
    campaign.sets.converted.add(c.contactId);
    let list = conversionTimes.get(c.contactId);
    if (!list) conversionTimes.set(c.contactId, (list = []));
    list.push(c.occurredAt);
  }
  for (const g of [...channels.values(), ...steps.values(), ...variants.values()]) {
    for (const [contact, sentAt] of g.firstSent) {
      const times = conversionTimes.get(contact);
      if (times?.some((at) => at >= sentAt && at - sentAt <= input.lookbackMs)) g.sets.converted.add(contact);
    }
  }

  const holdoutConverted = new Set<string>();
  for (const c of input.conversions) if (holdout.has(c.contactId)) holdoutConverted.add(c.contactId);

  let accounts: AccountFunnel | null = null;
  if (input.accounts) {
    const enrolled = new Set<string>();
    const engaged = new Set<string>();
    const converted = new Set<string>();
    for (const contact of treatment) {
      const account = accountOf.get(contact);
      if (!account) continue;
      enrolled.add(account);
      if ([...ENGAGED].some((s) => campaign.sets[s].has(contact))) engaged.add(account);
      if (campaign.sets.converted.has(contact)) converted.add(account);
    }
    accounts = {
      enrolled: enrolled.size,
      engaged: engaged.size,
      converted: converted.size,
      engagedRate: rate(engaged.size, enrolled.size, 'accounts enrolled'),
      convertedRate: rate(converted.size, enrolled.size, 'accounts enrolled'),
    };
  }

  const order = new Map((input.steps ?? []).map((s, i) => [s.id, i]));
  const byStep = (a: FunnelRow, b: FunnelRow) =>
    (order.get(a.step ?? '') ?? Infinity) - (order.get(b.step ?? '') ?? Infinity) ||
    (a.step ?? '').localeCompare(b.step ?? '') ||
    (a.variant ?? '').localeCompare(b.variant ?? '');
  return {
    campaign: campaign.row(true),
    channels: [...channels.values()].map((t) => t.row()),
    steps: [...steps.values()].map((t) => t.row()).sort(byStep),
    variants: [...variants.values()].map((t) => t.row()).sort(byStep),
    holdout: {
      enrolled: holdout.size,
      converted: holdoutConverted.size,
      conversionRate: rate(holdoutConverted.size, holdout.size, 'enrolled'),
    },
    accounts,
  };
}
