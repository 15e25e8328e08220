// Workspace-wide rules every campaign shares: frequency caps, the default send window, holidays,
// the "audience too broad" threshold. Stored as JSON on the workspace; defaults fill what is absent.
import { z } from 'zod';
import { sendWindowSchema } from './campaign.js';

const hhmmSetting = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');

export const workspaceSettingsSchema = z
  .object({
    caps: z
      .object({
        /** Touches per contact per local calendar day, across all campaigns and channels. */
        per_day: z.number().int().positive().default(1),
        /** Touches per contact in any rolling 7 days. */
        per_7_days: z.number().int().positive().default(3),
        /** Minimum hours between two touches on the same channel. */
        min_gap_hours: z.record(z.string(), z.number().nonnegative()).default({}),
        /** Channels whose touches do not count toward the caps (an ads-audience entry interrupts nobody). */
        exempt_channels: z.array(z.string()).default(['ads', 'log']),
      })
      .strict()
      .default({ per_day: 1, per_7_days: 3, min_gap_hours: {}, exempt_channels: ['ads', 'log'] }),
    send_window: sendWindowSchema.default({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }),
    time_zone: z.string().default('UTC'),
    holidays: z.array(isoDate).default([]),
    /** Share of reachable contacts above which an audience is "too broad" (a lint warning). */
    broad_audience_share: z.number().gt(0).max(1).default(0.5),
    /** Launch, pause and end need a second marketer's approval (the same as all three in `approvals`). */
    require_approval: z.boolean().default(false),
    /** The campaign moves a non-admin's request only performs once a second person approves it. */
    approvals: z
      .object({ required_for: z.array(z.enum(['launch', 'pause', 'end'])).default([]) })
      .strict()
      .default({ required_for: [] }),
    /** Events older than `events_days` are deleted by the worker (null: kept for ever). See docs/privacy.md. */
    retention: z
      .object({
        events_days: z
          .number()
          .int()
          .positive('must be a whole number of days, at least 1')
          .nullable()
          .default(null),
      })
      .strict()
      .default({ events_days: null }),
    /** Webhook steps: where they may post (docs/webhooks.md). */
    webhooks: z
      .object({
        /** Let webhook URLs reach loopback, private and other internal addresses (off: no SSRF). */
        allow_private_hosts: z.boolean().default(false),
        /** When not empty, the only hosts webhooks may post to (`*.example.com` for subdomains). */
        allowed_hosts: z.array(z.string().min(1)).default([]),
        /** Bump to rotate the workspace's webhook signing secret (or POST …/signing-secret/rotate). */
        secret_version: z.number().int().positive().default(1),
        /**
         * The secret before the last rotation: requests carry a second signature made with it until
         * `valid_until` (the grace period receivers have to switch; docs/webhooks.md).
         */
        previous_secret: z
          .object({
            version: z.number().int().positive(),
            valid_until: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
          })
          .strict()
          .nullable()
          .default(null),
      })
      .strict()
      .default({ allow_private_hosts: false, allowed_hosts: [], secret_version: 1, previous_secret: null }),
    /** SMS steps: the sending number and quiet hours in the contact's zone (docs/sms.md). */
    sms: z
      .object({
        from: z
          .string()
          .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 number such as +14155550100')
          .optional(),
        quiet_hours: z
          .object({ start: hhmmSetting, end: hhmmSetting })
          .strict()
          .default({ start: '21:00', end: '08:00' }),
      })
      .strict()
      .default({ quiet_hours: { start: '21:00', end: '08:00' } }),
  })
  .strict();

export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>;

export function workspaceSettings(raw: unknown): WorkspaceSettings {
  return workspaceSettingsSchema.parse(raw ?? {});
}

/** Whether a campaign move needs a second person's approval in this workspace. */
export function approvalRequired(settings: WorkspaceSettings, action: 'launch' | 'pause' | 'end'): boolean {
  return settings.require_approval || settings.approvals.required_for.includes(action);
}
