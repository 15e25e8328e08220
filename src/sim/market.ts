// The simulated market reacting to Baton like real recipients would: it opens and clicks through the
// tracking URLs in the emails it receives, replies by email, unsubscribes with the one-click POST, and
// reports conversions through the Segment-compatible API. It keeps the ground truth of every conversion
// (would it have happened without the touches, and which touch caused it).
import { Random } from './random.js';
import type { Truth } from './truth.js';
import type { World, WorldContact } from './world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface MarketIO {
  /** A GET of a tracking URL (pixel or click), as a mail client would. */
  fetch(url: string, userAgent: string): Promise<number>;
  /** The RFC 8058 one-click unsubscribe POST. */
  unsubscribe(url: string): Promise<number>;
  /** Customer events through the Segment-compatible API. */
  track(
    events: Array<{ userId: string; event: string; timestamp: number; properties?: Record<string, unknown> }>,
  ): Promise<void>;
  reply(input: { from: string; to: string; inReplyTo: string; subject: string; text: string }): Promise<void>;
}

/** What Baton performed, as the recipient (and the simulator's oracle) sees it. */
export interface PerformedTouch {
  at: number;
  campaignId: string;
  stepId: string;
  variantId: string | null;
  channel: string;
  contactEmail: string;
  /** The campaign's goal event: what a touch that works makes the person do. */
  goalEvent: string | null;
  /** Outbound (sales) campaigns get more replies. */
  outbound: boolean;
  email?: {
    messageId: string;
    subject: string;
    from: string;
    pixelUrl: string | null;
    clickUrls: string[];
    unsubscribeUrl: string | null;
  };
}

type Action =
  | { at: number; kind: 'open' | 'click'; url: string; contact: WorldContact }
  | { at: number; kind: 'reply'; contact: WorldContact; touch: PerformedTouch }
  | { at: number; kind: 'unsubscribe'; contact: WorldContact; url: string }
  | { at: number; kind: 'convert'; contact: WorldContact; event: string; cause: Cause };

export interface Cause {
  kind: 'baseline' | 'touch';
  campaignId?: string;
  channel?: string;
}

export interface ConversionTruth {
  contact: string;
  event: string;
  at: number;
  cause: Cause;
  /** When the person would have converted with no touch at all (Infinity: never in the horizon). */
  baselineAt: number;
}

export interface MarketStats {
  opens: number;
  clicks: number;
  replies: number;
  unsubscribes: number;
  conversions: number;
}

export class Market {
  private readonly rng: Random;
  private readonly queue: Action[] = [];
  private readonly byEmail = new Map<string, WorldContact>();
  private readonly recentTouches = new Map<string, number[]>();
  private readonly converted = new Map<string, ConversionTruth>();
  private readonly baseline = new Map<string, number>();
  private readonly unsubscribed = new Set<string>();
  readonly stats: MarketStats = { opens: 0, clicks: 0, replies: 0, unsubscribes: 0, conversions: 0 };

  constructor(
    private readonly world: World,
    private readonly truth: Truth,
    private readonly io: MarketIO,
    seed: string,
  ) {
    this.rng = new Random(`market:${seed}`);
    for (const c of world.contacts) this.byEmail.set(c.email, c);
  }

  /** Draws when each person would convert on each goal event with no touch, and schedules those. */
  start(from: number, horizon: number, goalEvents: readonly string[]): void {
    for (const c of this.world.contacts) {
      if (c.lifecycleStage === 'customer') continue;
      for (const event of goalEvents) {
        const rate = (this.truth.baselinePerDay[event] ?? 0) * c.propensity;
        const at = rate > 0 ? from + this.rng.exponential(1 / rate) * DAY : Infinity;
        this.baseline.set(key(c, event), at);
        if (at < horizon)
          this.schedule({ at, kind: 'convert', contact: c, event, cause: { kind: 'baseline' } });
      }
    }
  }

  /** A touch Baton performed: decide, with the ground-truth probabilities, what this person does. */
  onTouch(t: PerformedTouch): void {
    const c = this.byEmail.get(t.contactEmail);
    if (!c || this.unsubscribed.has(c.email)) return;
    const recent = (this.recentTouches.get(c.email) ?? []).filter((x) => x > t.at - 7 * DAY);
    recent.push(t.at);
    this.recentTouches.set(c.email, recent);
    const tired = recent.length > this.truth.fatigue.touchesPer7Days;
    const effect = tired ? this.truth.fatigue.effectMultiplier : 1;
    const r = Math.min(c.responsiveness, 2.5);

    if (t.channel === 'email' && t.email) {
      const e = this.truth.email;
      const variant = this.truth.variantOpen[`${t.campaignId}/${t.stepId}/${t.variantId ?? ''}`] ?? 1;
      if (!this.rng.chance(Math.min(0.95, e.open * r * variant * effect))) return;
      const openAt = t.at + this.rng.exponential(3 * HOUR);
      if (t.email.pixelUrl) this.schedule({ at: openAt, kind: 'open', url: t.email.pixelUrl, contact: c });
      const unsub = e.unsubscribeGivenOpen * (tired ? this.truth.fatigue.unsubscribeMultiplier : 1);
      if (t.email.unsubscribeUrl && this.rng.chance(unsub)) {
        this.schedule({ at: openAt + 60_000, kind: 'unsubscribe', contact: c, url: t.email.unsubscribeUrl });
        return;
      }
      const replyP = t.outbound ? this.truth.outboundReplyGivenOpen : e.replyGivenOpen;
      if (this.rng.chance(replyP * r)) {
        this.schedule({ at: openAt + this.rng.exponential(5 * HOUR), kind: 'reply', contact: c, touch: t });
      }
      const clicked =
        t.email.clickUrls.length > 0 && this.rng.chance(Math.min(0.9, e.clickGivenOpen * r * effect));
      if (clicked) {
        this.schedule({
          at: openAt + this.rng.exponential(10 * 60_000),
          kind: 'click',
          url: this.rng.pick(t.email.clickUrls),
          contact: c,
        });
      }
      this.maybeConvert(t, c, (clicked ? e.liftGivenClick : e.liftGivenOpen) * effect, openAt);
      return;
    }
    if (t.channel === 'task') {
      if (this.rng.chance(this.truth.taskConnect * r))
        this.maybeConvert(t, c, this.truth.meetingGivenConnect * effect, t.at);
      return;
    }
    this.maybeConvert(t, c, (this.truth.lift[t.channel] ?? 0) * effect, t.at);
  }

  private maybeConvert(t: PerformedTouch, c: WorldContact, p: number, from: number): void {
    if (!t.goalEvent || p <= 0 || !this.rng.chance(p)) return;
    const at = from + this.rng.exponential(this.truth.conversionDelayDays * DAY);
    this.schedule({
      at,
      kind: 'convert',
      contact: c,
      event: t.goalEvent,
      cause: { kind: 'touch', campaignId: t.campaignId, channel: t.channel },
    });
  }

  /** Performs every action due at or before `now`, in time order, through Baton's public interfaces. */
  async runUntil(now: number): Promise<void> {
    const conversions: Array<{
      userId: string;
      event: string;
      timestamp: number;
      properties?: Record<string, unknown>;
    }> = [];
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const a = this.pop();
      switch (a.kind) {
        case 'open':
          this.stats.opens++;
          await this.io.fetch(a.url, 'Mozilla/5.0 (Macintosh) BatonDemoMailClient');
          break;
        case 'click':
          this.stats.clicks++;
          await this.io.fetch(a.url, 'Mozilla/5.0 (Macintosh) BatonDemoBrowser');
          break;
        case 'unsubscribe':
          if (this.unsubscribed.has(a.contact.email)) break;
          this.unsubscribed.add(a.contact.email);
          this.stats.unsubscribes++;
          await this.io.unsubscribe(a.url);
          break;
        case 'reply':
          this.stats.replies++;
          await this.io.reply({
            from: a.contact.email,
            to: a.touch.email!.from,
            inReplyTo: a.touch.email!.messageId,
            subject: `Re: ${a.touch.email!.subject}`,
            text: `Thanks, ${a.contact.firstName} here. Tell me more.`,
          });
          break;
        case 'convert': {
          const k = key(a.contact, a.event);
          if (this.converted.has(k)) break;
          this.converted.set(k, {
            contact: a.contact.externalId,
            event: a.event,
            at: a.at,
            cause: a.cause,
            baselineAt: this.baseline.get(k) ?? Infinity,
          });
          this.stats.conversions++;
          conversions.push({
            userId: a.contact.externalId,
            event: a.event,
            timestamp: a.at,
            properties: {
              value: a.event === 'demo_booked' ? 500 : a.event === 'meeting_booked' ? 2000 : 100,
            },
          });
          break;
        }
      }
    }
    if (conversions.length > 0) await this.io.track(conversions);
  }

  /** Every conversion with its true cause, for the ground-truth comparison. */
  conversions(): ConversionTruth[] {
    return [...this.converted.values()];
  }

  /** Time of the next scheduled action (Infinity when none). */
  nextAt(): number {
    return this.queue[0]?.at ?? Infinity;
  }

  private schedule(a: Action): void {
    // Binary heap on `at`.
    const q = this.queue;
    q.push(a);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (q[p]!.at <= q[i]!.at) break;
      [q[p], q[i]] = [q[i]!, q[p]!];
      i = p;
    }
  }

  private pop(): Action {
    const q = this.queue;
    const top = q[0]!;
    const last = q.pop()!;
    if (q.length > 0) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && q[l]!.at < q[m]!.at) m = l;
        if (r < q.length && q[r]!.at < q[m]!.at) m = r;
        if (m === i) break;
        [q[m], q[i]] = [q[i]!, q[m]!];
        i = m;
      }
    }
    return top;
  }
}

function key(c: WorldContact, event: string): string {
  return `${c.externalId}\u0000${event}`;
}
