// Planning: pure calendar math (delays, send windows, DST), frequency caps, priority arbitration and
// step conditions. No I/O, no clock: every time is an epoch-ms parameter.
export { DAY, HOUR, MINUTE, isoWeekday, resolveZone, zoneClock, ZoneClock } from './zone-clock.js';
export {
  NO_HOLIDAYS,
  dayToIsoDate,
  holidayDays,
  isoDateToDay,
  toHolidays,
  type Holidays,
} from './holidays.js';
export {
  addDelay,
  delaySchema,
  formatDelay,
  isBusinessDay,
  parseDelay,
  type Delay,
  type DelayUnit,
} from './delay.js';
export {
  DEFAULT_SEND_WINDOW,
  checkSendWindow,
  clampToCampaignWindow,
  inSendWindow,
  nextSlot,
  sendWindowSchema,
  type CampaignWindow,
  type SendWindow,
} from './send-window.js';
export { planDueAt, type DuePlan, type PlanDueAtInput, type SkipReason } from './due-at.js';
export {
  CapState,
  DEFAULT_CAP_POLICY,
  capPolicyFromSettings,
  capPolicySchema,
  checkCaps,
  type CapCheck,
  type CapPolicy,
  type CapReason,
  type TouchRecord,
} from './frequency-caps.js';
export { placeTouch, placeWithState, type Placement, type PlaceTouchInput } from './place-touch.js';
export { arbitrate, compareCandidates, type Arbitrated, type TouchCandidate } from './arbitrate.js';
export {
  TOUCH_OUTCOMES,
  conditionStepIds,
  evaluateCondition,
  outcomesFromEvents,
  stepConditionSchema,
  type StepCondition,
  type StepOutcomes,
  type TouchOutcome,
} from './conditions.js';
