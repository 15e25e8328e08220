// An email sender (mailbox): its identity and postal address, SMTP relay, limits, warm-up and DKIM key.
import { z } from 'zod';

export const senderInputSchema = z
  .object({
    email: z.email('must be an email address'),
    name: z.string().max(200).optional(),
    reply_to: z.email('must be an email address').optional(),
    /** Marketing email must carry a physical postal address (CAN-SPAM); every sender has one. */
    postal_address: z.string().trim().min(10, 'must be the full physical postal address of the sender'),
    smtp_url: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    daily_limit: z.number().int().positive().default(2000),
    hourly_rate: z.number().int().positive().default(500),
    warmup_days: z.number().int().min(0).max(90).default(0),
    warmup_start: z.number().int().positive().default(50),
    dkim_selector: z
      .string()
      .regex(/^[a-z0-9._-]+$/i, 'must be a DNS label such as s1')
      .optional(),
    dkim_private_key: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
    active: z.boolean().default(true),
  })
  .strict()
  .refine((s) => (s.dkim_selector === undefined) === (s.dkim_private_key === undefined), {
    message: 'DKIM needs both dkim_selector and dkim_private_key',
    path: ['dkim_selector'],
  });

export type SenderInput = z.input<typeof senderInputSchema>;

export interface Sender {
  id: string;
  workspaceId: string;
  email: string;
  name: string | null;
  replyTo: string | null;
  postalAddress: string;
  smtpUrl: string | null;
  dailyLimit: number;
  hourlyRate: number;
  warmupDays: number;
  warmupStart: number;
  warmupStartedAt: number;
  dkimSelector: string | null;
  dkimPrivateKey: string | null;
  active: boolean;
  updatedAt: number;
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/**
 * The sender's daily limit at `now`: during warm-up it grows geometrically from `warmupStart` on the
 * first day to `dailyLimit` on day `warmupDays` (mailbox providers trust a new sender gradually).
 */
export function effectiveDailyLimit(s: Sender, now: number): number {
  if (s.warmupDays <= 0) return s.dailyLimit;
  const day = Math.floor((now - s.warmupStartedAt) / DAY_MS);
  if (day >= s.warmupDays) return s.dailyLimit;
  const start = Math.min(s.warmupStart, s.dailyLimit);
  return Math.max(1, Math.round(start * (s.dailyLimit / start) ** (Math.max(0, day) / s.warmupDays)));
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
