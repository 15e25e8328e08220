// When a step is due: the step delay, then the campaign window, then the contact's send window.
import { addDelay, type Delay } from './delay.js';
import { NO_HOLIDAYS, type Holidays } from './holidays.js';
import {
  clampToCampaignWindow,
  DEFAULT_SEND_WINDOW,
  nextSlot,
  type CampaignWindow,
  type SendWindow,
} from './send-window.js';
import { resolveZone } from './zone-clock.js';

export interface PlanDueAtInput {
  /** When the previous step resolved (or the enrollment time for the first step), epoch ms. */
  previousAt: number;
  delay: Delay;
  /** The contact's IANA zone; when missing or unknown the campaign zone is used. */
  contactZone?: string | null;
  campaignZone: string;
  /** Default Monday–Friday 09:00–17:00. */
  sendWindow?: SendWindow;
  holidays?: Holidays;
  campaignWindow?: CampaignWindow | null;
}

/** Why a touch was not planned: its first possible slot is at or after the campaign end. */
export type SkipReason = 'window_closed';

export type DuePlan = { dueAt: number } | { skip: SkipReason };

/** The first instant that satisfies the delay, the campaign window and the send window (caps aside). */
export function planDueAt(input: PlanDueAtInput): DuePlan {
  const zone = resolveZone(input.contactZone, input.campaignZone);
  const holidays = input.holidays ?? NO_HOLIDAYS;
  const earliest = clampToCampaignWindow(
    addDelay(input.previousAt, input.delay, zone, holidays),
    input.campaignWindow,
  );
  if (earliest === null) return { skip: 'window_closed' };
  const end = input.campaignWindow?.end ?? undefined;
  const slot = nextSlot(earliest, input.sendWindow ?? DEFAULT_SEND_WINDOW, zone, holidays, end);
  return slot === null ? { skip: 'window_closed' } : { dueAt: slot };
}
