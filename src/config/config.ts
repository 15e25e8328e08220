// Process configuration: one zod schema, read once at start-up; a bad value stops with one clear line.
import { z } from 'zod';
import { BatonError } from '../domain/errors.js';

const dbUrl = z.string().refine((s) => /^sqlite:.+/.test(s) || /^postgres(ql)?:\/\/.+/.test(s), {
  message: 'must be sqlite:PATH or a postgres:// URL',
});

const limitSpec = z
  .string()
  .regex(/^\s*(?:off|\d+\s*\/\s*(s|sec|min|m|h))\s*$/, 'must be "off" or a count per unit like "600/min"');

export const configSchema = z.object({
  BATON_DB: dbUrl.default('sqlite:./baton.db'),
  BATON_PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(4400),
  BATON_SECRET: z.string().min(32, 'must be at least 32 characters when set').optional(),
  /**
   * Secrets that signed links and sealed stored credentials before the current BATON_SECRET, comma-separated:
   * still accepted (tokens verify, sealed values open) until dropped; `baton secrets rotate` re-seals.
   */
  BATON_SECRET_PREVIOUS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    )
    .refine((list) => list.every((p) => p.length >= 32), {
      message: 'must list secrets of at least 32 characters each',
    })
    .optional(),
  BATON_PUBLIC_URL: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
  /** SMTP relay for email senders without their own smtp_url. */
  BATON_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /** `production` makes webhook steps require https. */
  NODE_ENV: z.string().optional(),
  /** A Twilio-compatible SMS provider (docs/sms.md): API base, account, auth token and default number. */
  BATON_SMS_API_URL: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
  BATON_SMS_ACCOUNT_SID: z.string().min(1).optional(),
  BATON_SMS_AUTH_TOKEN: z.string().min(1).optional(),
  BATON_SMS_FROM: z
    .string()
    .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 number such as +14155550100')
    .optional(),
  /** Request rate limits (src/ops/rate-limit.ts): `off` turns all off; each one below is `N/s|min|h` or `off`. */
  BATON_RATE_LIMIT: z.enum(['on', 'off'], { message: 'must be "on" or "off"' }).optional(),
  BATON_RATE_LIMIT_API_KEY: limitSpec.optional(),
  BATON_RATE_LIMIT_API_IP: limitSpec.optional(),
  BATON_RATE_LIMIT_INGEST_KEY: limitSpec.optional(),
  BATON_RATE_LIMIT_INGEST_IP: limitSpec.optional(),
  BATON_RATE_LIMIT_TRACKING_IP: limitSpec.optional(),
  /** The largest CSV upload POST /api/v1/imports accepts, in bytes (default 200 MB). */
  BATON_IMPORT_MAX_BYTES: z.coerce
    .number({ message: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .min(1, 'must be at least 1')
    .optional(),
  /** Proxies whose X-Forwarded-* headers are believed: `true`, `false`, or addresses/CIDRs (comma-separated). */
  BATON_TRUST_PROXY: z.string().optional(),
  /** `1` serves in test mode (like `baton serve --test-mode`): a simulated clock moved by POST /api/v1/test/clock. */
  BATON_TEST_MODE: z.enum(['0', '1'], { message: 'must be "0" or "1"' }).optional(),
  /** Test mode: where the simulated clock starts (ISO 8601; default the time of start-up). */
  BATON_TEST_CLOCK: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape)
      .map((k) => [k, env[k] === '' ? undefined : env[k]])
      .filter(([, v]) => v !== undefined),
  );
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue ? String(issue.path[0]) : 'environment';
    throw new BatonError('config', `${name} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}
