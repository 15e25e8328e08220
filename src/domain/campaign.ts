// The campaign: one objective, one goal with a target, an audience, channels, a sequence of touches,
// a window and a measurement plan. This schema is the contract of campaign files and of the API.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { conditionStepIds, stepConditionSchema, type StepCondition } from '../planning/conditions.js';
import { addDelay, parseDelay } from '../planning/delay.js';
import { isValidTimeZone } from './time-zones.js';

export const CHANNELS = ['email', 'ads', 'social', 'sms', 'webhook', 'task', 'log'] as const;
export type Channel = (typeof CHANNELS)[number];

export const OBJECTIVES = ['leads', 'launch', 'pipeline', 'awareness', 'retention', 'custom'] as const;
export const GOAL_METRICS = [
  'conversions',
  'unique_converters',
  'value',
  'rate',
  /** Σ amount of deal events (e.g. `Opportunity Created`) on the accounts of enrolled contacts. */
  'pipeline_created',
  /** Σ amount of won deals (e.g. `Deal Won`) on the accounts of enrolled contacts. */
  'revenue_won',
] as const;
/** Goal metrics counted per account (a deal), not per contact. */
export const ACCOUNT_GOAL_METRICS: ReadonlySet<string> = new Set(['pipeline_created', 'revenue_won']);

/**
 * The buyer-journey stage a campaign or step is aimed at (`targets`), the one it hopes to move people to
 * (`moves_to`), and, on a step, the stage its content is made for (`intent`: a demo offer is `decision`).
 */
export const stageIntentSchema = z
  .object({
    targets: z.string().min(1).optional(),
    moves_to: z.string().min(1).optional(),
    intent: z.string().min(1).optional(),
  })
  .strict();
export const ATTRIBUTION_MODELS = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;
export const EXIT_REASONS = ['replied', 'converted', 'unsubscribed', 'bounced', 'meeting_booked'] as const;
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'reviewed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be a slug: lower-case letters, digits, - and _, at most 63 characters',
  );

const zone = z
  .string()
  .refine(isValidTimeZone, 'is not an IANA time zone name (for example America/New_York)');

/** `2027-01-12T09:00` (local to the campaign zone) or a full ISO instant with an offset. */
const localDateTime = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .refine((s) => DateTime.fromISO(s, { zone: 'UTC' }).isValid, 'is not a date-time (write 2027-01-12T09:00)');

const hhmm = z
  .string()
  .regex(
    /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
    'must be a time of day as HH:MM (24:00 for midnight at the end)',
  );

export const sendWindowSchema = z
  .object({
    days: z
      .array(
        z
          .number()
          .int()
          .min(1, 'days are 1 (Monday) to 7 (Sunday)')
          .max(7, 'days are 1 (Monday) to 7 (Sunday)'),
      )
      .min(1, 'needs at least one day'),
    start: hhmm,
    end: hhmm,
  })
  .strict()
  .refine((w) => w.start < w.end, { message: 'start must be before end', path: ['end'] });

/** A delay after the previous step: minutes (m), hours (h), days (d), business days (bd) or weeks (w). */
export const delaySchema = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? `${v}d` : v.trim()))
  .superRefine((s, ctx) => {
    // The planning module's parser is the one the engine uses: the file is refused exactly when the
    // engine could not plan the step.
    try {
      parseDelay(s);
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: e instanceof Error ? e.message.replace(/^delay: /, '') : String(e),
      });
    }
  });

export { stepConditionSchema, type StepCondition };

/** Step ids a condition refers to. */
export const conditionSteps = conditionStepIds;

export const variantSchema = z
  .object({
    id: slug,
    weight: z.number().min(0, 'must not be negative').default(1),
    subject: z.string().max(300).optional(),
    preheader: z.string().max(300).optional(),
    template: z.string().optional(),
    body: z.string().optional(),
  })
  .strict();

export const stepSchema = z
  .object({
    id: slug,
    channel: z.enum(CHANNELS),
    delay: delaySchema.default('0d'),
    send_window: sendWindowSchema.optional(),
    when: stepConditionSchema.optional(),
    /** Email: subscription category (a contact may opt out of one category of marketing). */
    category: z.string().optional(),
    /** Marketing messages need an unsubscribe link; transactional ones do not. */
    purpose: z.enum(['marketing', 'transactional']).default('marketing'),
    subject: z.string().max(300).optional(),
    preheader: z.string().max(300).optional(),
    template: z.string().optional(),
    body: z.string().optional(),
    variants: z.array(variantSchema).min(2, 'an A/B step needs at least two variants').optional(),
    /** Auto-winner: test on a share of the step's audience, decide at a time, send the winner to the rest. */
    test: z
      .object({
        share: z.number().gt(0).lt(1, 'is the share of the audience tested, between 0 and 1'),
        decide_after: delaySchema,
        metric: z.enum(['opened', 'clicked', 'replied', 'converted']).default('clicked'),
        fallback: slug.optional(),
      })
      .strict()
      .optional(),
    /** Ads: the ads audience the contact is added to. */
    audience: z.string().optional(),
    /** Sales task. */
    task: z
      .object({
        type: z.enum(['call', 'linkedin_connect', 'linkedin_message', 'manual_email', 'custom']),
        assignee: z.string().default('account.owner'),
        instructions: z.string().optional(),
        /** Open this long after its due working day ended, the task expires and the sequence goes on (3bd). */
        expire_after: delaySchema.optional(),
      })
      .strict()
      .optional(),
    /** Webhook target (checked against the workspace's allowed hosts at send time). */
    webhook: z.object({ url: z.url() }).strict().optional(),
    stage: stageIntentSchema.optional(),
  })
  .strict();

/** An offset from the campaign start (`2d`, `4h`, `1bd`) or a date-time (`2027-01-14T15:00`, campaign zone). */
const postTime = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v.trim()))
  .superRefine((s, ctx) => {
    if (isOffset(s)) {
      try {
        parseDelay(s);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: e instanceof Error ? e.message.replace(/^at: /, '') : String(e),
        });
      }
    } else if (!DateTime.fromISO(s, { zone: 'UTC' }).isValid) {
      ctx.addIssue({
        code: 'custom',
        message: 'is neither an offset from the campaign start (2d, 4h) nor a date-time (2027-01-14T15:00)',
      });
    }
  });

const isOffset = (s: string): boolean => /^\s*\d+(?:\.\d+)?\s*(m|min|h|d|bd|w)\s*$/i.test(s);

/**
 * A campaign-level post on one of the workspace's social accounts, published once at `at` (not per
 * contact; docs/decisions/0013). Its link gets the campaign's UTM defaults and click tracking.
 */
export const socialPostSchema = z
  .object({
    id: slug,
    account: z.string().min(1, 'names a social account of the workspace').max(100),
    at: postTime,
    text: z.string().min(1, 'must not be empty').max(5000),
    link: z.url().optional(),
    image_url: z.url().optional(),
  })
  .strict();

export type SocialPost = z.infer<typeof socialPostSchema>;

/** When a post goes out: `start` plus the offset in the campaign zone, or the date-time in that zone. */
export function socialPostAt(at: string, start: number, zone: string): number {
  return isOffset(at) ? addDelay(start, parseDelay(at, 'at'), zone) : windowInstant(at, zone);
}

export const goalSchema = z
  .object({
    metric: z.enum(GOAL_METRICS),
    event: z.string().min(1, 'names the event that counts (for example demo_booked)'),
    filter: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    target: z.number().positive('must be a positive number'),
    lookback_days: z.number().int().positive('must be a whole number of days, at least 1'),
    attribution: z.enum(ATTRIBUTION_MODELS).default('position_based'),
    value_property: z.string().optional(),
    count: z.enum(['every', 'first']).optional(),
  })
  .strict();

export const experimentSchema = z
  .object({
    id: slug,
    step: slug,
    metric: z.enum(['opened', 'clicked', 'replied', 'converted']).default('clicked'),
    hypothesis: z.string().optional(),
  })
  .strict();

export const measurementSchema = z
  .object({
    holdout_percent: z.number().min(0).max(50, 'a holdout above 50% would starve the campaign').default(0),
    primary_metric: z.string().optional(),
    secondary_metrics: z.array(z.string()).default([]),
    experiments: z.array(experimentSchema).default([]),
    /** Another campaign whose pacing curve shapes the expected progress. */
    reference_campaign: slug.optional(),
  })
  .strict();

const listRef = z.object({ list: z.string().min(1) }).strict();
const segmentRef = z.object({ segment_id: z.string().min(1) }).strict();

export const audienceSchema = z
  .object({
    /** Inline segment rules; validated against the segment rule schema by the audience module. */
    segment: z.unknown().optional(),
    segment_id: z.string().optional(),
    exclude: z.array(z.union([listRef, segmentRef])).default([]),
    accounts: listRef.optional(),
    enrollment: z.enum(['snapshot', 'dynamic']).default('snapshot'),
  })
  .strict();

export const campaignSchema = z
  .object({
    id: slug,
    name: z.string().min(1, 'must not be empty').max(200),
    kind: z.enum(['campaign', 'always-on']).default('campaign'),
    objective: z.enum(OBJECTIVES),
    owner: z.string().optional(),
    description: z.string().optional(),
    goal: goalSchema.optional(),
    measurement: measurementSchema.optional(),
    window: z
      .object({ start: localDateTime, end: localDateTime.optional(), timezone: zone.default('UTC') })
      .strict()
      .optional(),
    priority: z.number().int().min(0).max(100, 'priority is 0 to 100').default(50),
    budget: z
      .object({
        amount: z.number().nonnegative(),
        currency: z.string().regex(/^[A-Z]{3}$/, 'is an ISO 4217 code such as USD'),
        spend: z.record(z.string(), z.number().nonnegative()).optional(),
      })
      .strict()
      .optional(),
    audience: audienceSchema.optional(),
    channels: z.array(z.enum(CHANNELS)).default([]),
    send_window: sendWindowSchema.optional(),
    sequence: z.array(stepSchema).default([]),
    social_posts: z.array(socialPostSchema).optional(),
    exit_on: z
      .array(z.union([z.enum(EXIT_REASONS), z.object({ event: z.string().min(1) }).strict()]))
      .default(['replied', 'converted', 'unsubscribed', 'bounced']),
    exit_scope: z.enum(['contact', 'account']).default('contact'),
    reentry: z
      .object({ allowed: z.boolean().default(false), after_days: z.number().int().nonnegative().default(0) })
      .strict()
      .optional(),
    utm: z
      .object({
        source: z.string().optional(),
        medium: z.string().optional(),
        campaign: z.string().optional(),
        content: z.string().optional(),
        term: z.string().optional(),
      })
      .strict()
      .optional(),
    tracking: z
      .object({ opens: z.boolean().default(true), clicks: z.boolean().default(true) })
      .strict()
      .optional(),
    sender: z.string().optional(),
    stage: stageIntentSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.sequence.forEach((step, i) => {
      const prev = seen.get(step.id);
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sequence', i, 'id'],
          message: `step id "${step.id}" is used twice (also at sequence.${prev}.id)`,
        });
      }
      seen.set(step.id, i);
      if (step.when) {
        for (const ref of conditionSteps(step.when)) {
          const at = seen.get(ref);
          if (at === undefined || at === i) {
            ctx.addIssue({
              code: 'custom',
              path: ['sequence', i, 'when'],
              message: `the condition refers to step "${ref}", which is not an earlier step`,
            });
          }
        }
      }
      if (step.variants && step.test?.fallback && !step.variants.some((v) => v.id === step.test?.fallback)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sequence', i, 'test', 'fallback'],
          message: `names no variant of step "${step.id}"`,
        });
      }
    });
    const postIds = new Set<string>();
    c.social_posts?.forEach((p, i) => {
      if (postIds.has(p.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['social_posts', i, 'id'],
          message: `post id "${p.id}" is used twice`,
        });
      }
      postIds.add(p.id);
    });
    if (c.social_posts?.length && !c.channels.includes('social')) {
      ctx.addIssue({
        code: 'custom',
        path: ['channels'],
        message: 'must include social: the campaign has social_posts',
      });
    }
    if (c.window) {
      const start = windowInstant(c.window.start, c.window.timezone);
      if (c.window.end !== undefined && windowInstant(c.window.end, c.window.timezone) <= start) {
        ctx.addIssue({ code: 'custom', path: ['window', 'end'], message: 'must be after window.start' });
      }
      if (c.kind === 'always-on' && c.window.end !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['window', 'end'],
          message: 'an always-on program has no end date',
        });
      }
    }
  });

export type CampaignSpec = z.infer<typeof campaignSchema>;
export type CampaignInput = z.input<typeof campaignSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Goal = z.infer<typeof goalSchema>;

/** A window bound as epoch ms: local times are read in the campaign zone; explicit offsets win. */
export function windowInstant(value: string, timezone: string): number {
  return DateTime.fromISO(value, { zone: timezone }).toMillis();
}

export function campaignWindow(
  spec: CampaignSpec,
): { start: number; end: number | null; zone: string } | null {
  if (!spec.window) return null;
  const zoneName = spec.window.timezone;
  return {
    start: windowInstant(spec.window.start, zoneName),
    end: spec.window.end === undefined ? null : windowInstant(spec.window.end, zoneName),
    zone: zoneName,
  };
}
