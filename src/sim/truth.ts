// The ground truth of the simulated market: how likely each kind of touch is to be opened, clicked or
// answered, how much it raises the chance of converting (the true incremental effect), the conversions
// that happen with no touch at all, fatigue when people are touched too often, and A/B variant effects.
// Baton never sees these numbers; the demo compares what Baton measures against them.

export interface EmailTruth {
  open: number;
  clickGivenOpen: number;
  replyGivenOpen: number;
  unsubscribeGivenOpen: number;
  /** Chance that an opened (not clicked) email causes a conversion that would not have happened. */
  liftGivenOpen: number;
  /** Chance that a clicked email causes a conversion that would not have happened. */
  liftGivenClick: number;
}

export interface Truth {
  email: EmailTruth;
  /** Outbound sales email (plain, personal) is replied to more. */
  outboundReplyGivenOpen: number;
  /** Incremental conversion chance of one touch on channels people do not "open". */
  lift: Record<string, number>;
  /** Sales tasks: the rep reaches the person; a reached person may book a meeting. */
  taskConnect: number;
  meetingGivenConnect: number;
  /** Baseline conversion hazard per day for each goal event, before the person's propensity. */
  baselinePerDay: Record<string, number>;
  /** Mean days from an effective touch to the conversion it causes. */
  conversionDelayDays: number;
  /** Multiplier on open probability per `campaign/step/variant`. */
  variantOpen: Record<string, number>;
  fatigue: { touchesPer7Days: number; effectMultiplier: number; unsubscribeMultiplier: number };
  /** Buyer-journey moves (src/sim/stage-moves.ts); the demo's campaigns do not use them. */
  stage: StageTruth;
}

/** What moves a person to the next journey stage, with and without a campaign touch. */
export interface StageTruth {
  /** The event that meets the next stage's criteria (a pricing-page view → Consideration). */
  event: string;
  /** Daily chance of doing it with no touch, before the person's propensity. */
  baselinePerDay: number;
  /** Chance that a touch makes the person do it (the campaign's true effect on the stage). */
  liftGivenTouch: number;
  /** Mean days from an effective touch to the event. */
  delayDays: number;
}

export const DEFAULT_TRUTH: Truth = {
  email: {
    open: 0.36,
    clickGivenOpen: 0.2,
    replyGivenOpen: 0.02,
    unsubscribeGivenOpen: 0.008,
    liftGivenOpen: 0.02,
    liftGivenClick: 0.12,
  },
  outboundReplyGivenOpen: 0.08,
  lift: { ads: 0.01, social: 0.004, sms: 0.02, webhook: 0, log: 0 },
  taskConnect: 0.35,
  meetingGivenConnect: 0.12,
  baselinePerDay: { demo_booked: 0.0015, meeting_booked: 0.0008, trial_started: 0.002 },
  conversionDelayDays: 2.5,
  variantOpen: { 'q1-analytics-launch/intro/a': 1.45, 'q1-analytics-launch/intro/b': 1.0 },
  fatigue: { touchesPer7Days: 3, effectMultiplier: 0.5, unsubscribeMultiplier: 3 },
  stage: { event: 'pricing_page_viewed', baselinePerDay: 0.006, liftGivenTouch: 0.12, delayDays: 1.5 },
};
