// Placing one touch: the first instant inside the send window and the campaign window that breaks no cap.
import { CapState, type CapPolicy, type TouchRecord } from './frequency-caps.js';
import { NO_HOLIDAYS, type Holidays } from './holidays.js';
import type { SkipReason } from './due-at.js';
import {
  clampToCampaignWindow,
  DEFAULT_SEND_WINDOW,
  nextSlot,
  type CampaignWindow,
  type SendWindow,
} from './send-window.js';

export interface PlaceTouchInput {
  /** Earliest instant the touch may go (the previous step plus the delay; see `addDelay`/`planDueAt`). */
  from: number;
  channel: string;
  /** The zone the contact is planned in (`resolveZone(contactZone, campaignZone)`). */
  zone: string;
  /** Default Monday–Friday 09:00–17:00. */
  sendWindow?: SendWindow;
  holidays?: Holidays;
  campaignWindow?: CampaignWindow | null;
  /** The contact's touches in every campaign, sent and planned, without this one. */
  history: readonly TouchRecord[];
  /** `null`: no caps. */
  policy: CapPolicy | null;
}

/**
 * `at`: where the touch goes. `wantedAt`: the first send-window slot ignoring caps; `at > wantedAt`
 * means caps (or higher-priority campaigns) pushed it.
 */
export type Placement = { at: number; wantedAt: number } | { skip: SkipReason };

const MAX_ROUNDS = 10_000;

/** Like `placeTouch`, with the caps state already built (arbitration reuses one per contact). */
export function placeWithState(
  input: Omit<PlaceTouchInput, 'history' | 'policy'>,
  caps: CapState | null,
): Placement {
  let t = clampToCampaignWindow(input.from, input.campaignWindow);
  if (t === null) return { skip: 'window_closed' };
  const window = input.sendWindow ?? DEFAULT_SEND_WINDOW;
  const holidays = input.holidays ?? NO_HOLIDAYS;
  const end = input.campaignWindow?.end ?? undefined;
  let wantedAt: number | null = null;
  // Alternate send window and caps; each step only skips instants one of them forbids, so the first
  // instant both accept is the earliest allowed one.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const slot = nextSlot(t, window, input.zone, holidays, end);
    if (slot === null) return { skip: 'window_closed' };
    if (wantedAt === null) wantedAt = slot;
    const allowed = caps === null ? slot : caps.earliestAllowed(slot, input.channel);
    if (allowed === slot) return { at: slot, wantedAt };
    if (end !== undefined && allowed >= end) return { skip: 'window_closed' };
    t = allowed;
  }
  throw new Error(`placeTouch: no slot found after ${MAX_ROUNDS} rounds from ${input.from}`);
}

/** The earliest instant ≥ `from` inside the send window and campaign window that breaks no cap. */
export function placeTouch(input: PlaceTouchInput): Placement {
  const caps = input.policy === null ? null : new CapState(input.history, input.policy, input.zone);
  return placeWithState(input, caps);
}
