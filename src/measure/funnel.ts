// Campaign funnel: enrolled → touched → delivered → opened → clicked → replied → converted, per campaign,
// channel, step and variant, with every rate's numerator and denominator; accounts engaged and converted for ABM.

/** One enrollment of the campaign (the funnel counts the treatment arm; holdout rows are skipped). */
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
  /**
   * An open or click no person made (Apple Mail Privacy Protection's prefetch, link scanners, a fetch
   * within seconds of sending): recorded with `machine: true` by the tracking routes.
   */
  machine: boolean;
}

/**
 * A goal conversion of the campaign, as the engine records it: a treated contact's needs a campaign touch within
 * the lookback, so the funnel's "converted" is attributed to touches (holdout rows are skipped).
 */
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
  accounts: AccountFunnel | null;
}

/** One arm's enrolled contacts and its converters, by the rule both arms share. */
export interface ArmLine {
  enrolled: number;
  converted: number;
  conversionRate: Rate;
}

/**
 * The report's treatment-vs-holdout line under the funnel: both arms counted by the lift section's rule
 * (intention to treat, `armConversions`), not from the attributed "converted" of the rows above, which a
 * holdout cannot have.
 */
export interface FunnelArms {
  comparisonBasis: string;
  /** Every enrolled treated contact, touched or not, who converted by the shared rule. */
  treatment: ArmLine;
  holdout: ArmLine;
}

/** The funnel as the report shows it: the rows, then treatment vs holdout by one rule. */
export type ReportFunnel = Funnel & FunnelArms;

const BIT = Object.fromEntries(FUNNEL_STAGES.map((s, i) => [s, 1 << i])) as Record<FunnelStage, number>;
/** Stages after `touched`: at a step they count only the contacts the step touched. */
const LATER = FUNNEL_STAGES.slice(2);

/**
 * One grain's stages as bit flags per treated contact (contacts are numbered once), so a 100k-contact
 * campaign costs a few typed arrays per grain instead of a set of ids per stage.
 */
class Tally {
  readonly flags: Uint16Array;
  /** Earliest send at this grain per contact (Infinity: never sent), for the grain's conversions. */
  readonly firstSent: Float64Array;
  deliveryEvents = 0;

  constructor(
    size: number,
    readonly channel: string | null,
    readonly step: string | null,
    readonly variant: string | null,
  ) {
    this.flags = new Uint16Array(size);
    this.firstSent = new Float64Array(size).fill(Infinity);
  }

  /**
   * At a step, channel or variant, every stage after `touched` counts only contacts it touched (an event on
   * a failed touch does not make a rate above 1). The campaign row keeps every treated contact with a recorded
   * (touch-attributed) conversion, over the enrolled; the report compares the arms by another rule
   * (`FunnelArms`).
   */
  row(isCampaign = false): FunnelRow {
    const counts = Object.fromEntries(FUNNEL_STAGES.map((k) => [k, 0])) as FunnelCounts;
    let touchedNotBounced = 0;
    const flags = this.flags;
    for (let i = 0; i < flags.length; i++) {
      const f = flags[i]!;
      if (f === 0) continue;
      if (f & BIT.enrolled) counts.enrolled++;
      const touched = (f & BIT.touched) !== 0;
      if (touched) {
        counts.touched++;
        if (!(f & BIT.bounced)) touchedNotBounced++;
      }
      for (const k of LATER) if (f & BIT[k] && (touched || (isCampaign && k === 'converted'))) counts[k]++;
    }
    const deliveredInferred = this.deliveryEvents === 0;
    if (deliveredInferred) counts.delivered = touchedNotBounced;
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

const ENGAGED = BIT.opened | BIT.clicked | BIT.replied;

/** The funnel stages an event type marks, as bits; clicks and replies also prove a person opened. */
function stageBits(e: FunnelEvent): number {
  switch (e.type) {
    case 'delivered':
      return BIT.delivered;
    case 'opened':
      return e.machine ? 0 : BIT.opened;
    case 'clicked':
      // A security scanner following every link is not a click, nor proof that anyone read the message.
      return e.machine ? 0 : BIT.clicked | BIT.opened;
    case 'replied':
      return BIT.replied | BIT.opened;
    case 'unsubscribed':
    case 'complained':
      return BIT.unsubscribed;
    case 'bounced':
      return BIT.bounced;
    default:
      return 0;
  }
}

/**
 * Counts distinct contacts at each stage. Only the treatment arm is in the funnel (the holdout is never
 * touched; the report compares the arms apart, `FunnelArms`). A step's "enrolled" is the contacts it planned a
 * touch for; "touched" those it sent to; its "converted" the touched contacts who converted at or after
 * their first send at that grain, within the lookback. Opens and clicks made by machines count as neither;
 * a person's click or a reply counts as an open (a person read the message).
 */
export function computeFunnel(input: FunnelInput): Funnel {
  // Number the treated contacts once.
  const index = new Map<string, number>();
  const accountOf: Array<string | null> = [];
  for (const e of input.enrollments) {
    if (e.arm === 'holdout') continue;
    if (!index.has(e.contactId)) {
      index.set(e.contactId, index.size);
      accountOf.push(e.accountId);
    } else if (e.accountId) accountOf[index.get(e.contactId)!] = e.accountId;
  }
  const size = index.size;
  const campaign = new Tally(size, null, null, null);
  for (let i = 0; i < size; i++) campaign.flags[i] = BIT.enrolled;
  const channels = new Map<string, Tally>();
  const steps = new Map<string, Tally>();
  const variants = new Map<string, Tally>();
  const grain = <K>(map: Map<K, Tally>, key: K, make: () => Tally) => {
    let t = map.get(key);
    if (!t) map.set(key, (t = make()));
    return t;
  };
  for (const s of input.steps ?? []) {
    grain(channels, s.channel, () => new Tally(size, s.channel, null, null));
    grain(steps, s.id, () => new Tally(size, s.channel, s.id, null));
  }
  const grainsOf = new Map<string, Tally[]>();
  const tallies = (channel: string | null, step: string | null, variant: string | null): Tally[] => {
    const key = `${channel}\u0000${step}\u0000${variant}`;
    let out = grainsOf.get(key);
    if (out) return out;
    out = [];
    if (channel !== null) out.push(grain(channels, channel, () => new Tally(size, channel, null, null)));
    if (step !== null) {
      out.push(grain(steps, step, () => new Tally(size, channel, step, null)));
      if (variant !== null)
        out.push(grain(variants, `${step}\u0000${variant}`, () => new Tally(size, channel, step, variant)));
    }
    grainsOf.set(key, out);
    return out;
  };

  const touchById = new Map<string, FunnelTouch>();
  for (const t of input.touches) {
    touchById.set(t.id, t);
    const i = index.get(t.contactId);
    if (i === undefined) continue;
    const sent = t.status === 'sent' && t.sentAt !== null;
    if (sent) campaign.flags[i]! |= BIT.touched;
    for (const g of tallies(t.channel, t.stepId, t.variantId)) {
      g.flags[i]! |= sent ? BIT.enrolled | BIT.touched : BIT.enrolled;
      if (sent && t.sentAt! < g.firstSent[i]!) g.firstSent[i] = t.sentAt!;
    }
  }

  for (const e of input.events) {
    const i = e.contactId ? index.get(e.contactId) : undefined;
    if (i === undefined) continue;
    const bits = stageBits(e);
    if (bits === 0) continue;
    const t = e.touchId ? touchById.get(e.touchId) : undefined;
    const delivery = e.type === 'delivered' ? 1 : 0;
    campaign.flags[i]! |= bits;
    campaign.deliveryEvents += delivery;
    for (const g of tallies(t?.channel ?? e.channel, t?.stepId ?? e.stepId, t?.variantId ?? e.variantId)) {
      g.flags[i]! |= bits;
      g.deliveryEvents += delivery;
    }
  }

  // Conversions: the campaign counts every treated converter; a grain its touched contacts converting after it.
  const conversionTimes = new Map<number, number[]>();
  for (const c of input.conversions) {
    const i = c.arm === 'holdout' ? undefined : index.get(c.contactId);
    if (i === undefined) continue;
    campaign.flags[i]! |= BIT.converted;
    let list = conversionTimes.get(i);
    if (!list) conversionTimes.set(i, (list = []));
    list.push(c.occurredAt);
  }
  for (const g of [...channels.values(), ...steps.values(), ...variants.values()]) {
    for (const [i, times] of conversionTimes) {
      const sentAt = g.firstSent[i]!;
      if (sentAt !== Infinity && times.some((at) => at >= sentAt && at - sentAt <= input.lookbackMs))
        g.flags[i]! |= BIT.converted;
    }
  }

  let accounts: AccountFunnel | null = null;
  if (input.accounts) {
    const enrolled = new Set<string>();
    const engaged = new Set<string>();
    const converted = new Set<string>();
    for (let i = 0; i < size; i++) {
      const account = accountOf[i];
      if (!account) continue;
      enrolled.add(account);
      const f = campaign.flags[i]!;
      if (f & BIT.touched && f & ENGAGED) engaged.add(account);
      if (f & BIT.converted) converted.add(account);
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
    accounts,
  };
}
