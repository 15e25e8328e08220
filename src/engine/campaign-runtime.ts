// A campaign spec prepared for the engine: delays parsed, windows as instants, caps and send windows
// resolved against the workspace settings. Built once per campaign revision and cached by the worker.
import { campaignWindow, type CampaignSpec, type Step } from '../domain/campaign.js';
import type { WorkspaceSettings } from '../domain/workspace-settings.js';
import {
  parseDelay,
  toHolidays,
  HOUR,
  type CampaignWindow,
  type CapPolicy,
  type Delay,
  type Holidays,
  type SendWindow,
} from '../planning/index.js';

export interface RuntimeStep {
  index: number;
  step: Step;
  delay: Delay;
  sendWindow: SendWindow;
}

export interface CampaignRuntime {
  workspaceId: string;
  id: string;
  revision: number;
  priority: number;
  zone: string;
  window: CampaignWindow | null;
  holdoutPercent: number;
  steps: RuntimeStep[];
  exitOn: CampaignSpec['exit_on'];
  exitScope: CampaignSpec['exit_scope'];
  spec: CampaignSpec;
  holidays: Holidays;
  caps: CapPolicy;
  exemptChannels: ReadonlySet<string>;
}

export function capPolicyOf(settings: WorkspaceSettings): CapPolicy {
  return {
    perDay: settings.caps.per_day,
    perRolling7Days: settings.caps.per_7_days,
    minGapByChannel: Object.fromEntries(
      Object.entries(settings.caps.min_gap_hours).map(([ch, h]) => [ch, Math.round(h * HOUR)]),
    ),
    dayBoundary: 'contact_local',
    // Touches on exempt channels (ads audiences, the log) neither wait for the caps nor count toward them:
    // the caps history read at claim time holds every channel, so the policy must know which to leave out.
    exemptChannels: settings.caps.exempt_channels,
  };
}

export function buildRuntime(
  workspaceId: string,
  spec: CampaignSpec,
  revision: number,
  settings: WorkspaceSettings,
): CampaignRuntime {
  const win = campaignWindow(spec);
  const zone = win?.zone ?? settings.time_zone;
  const defaultWindow = spec.send_window ?? settings.send_window;
  return {
    workspaceId,
    id: spec.id,
    revision,
    priority: spec.priority,
    zone,
    window: win ? { start: win.start, end: win.end } : null,
    holdoutPercent: spec.measurement?.holdout_percent ?? 0,
    steps: spec.sequence.map((step, index) => ({
      index,
      step,
      delay: parseDelay(step.delay, `sequence.${index}.delay`),
      sendWindow: step.send_window ?? defaultWindow,
    })),
    exitOn: spec.exit_on,
    exitScope: spec.exit_scope,
    spec,
    holidays: toHolidays(settings.holidays),
    caps: capPolicyOf(settings),
    exemptChannels: new Set(settings.caps.exempt_channels),
  };
}

/** What a step sends for one variant: the step's fields with the variant's overrides. */
export function stepContent(step: Step, variantId: string | null): Record<string, unknown> {
  const variant = variantId ? step.variants?.find((v) => v.id === variantId) : undefined;
  const content: Record<string, unknown> = {};
  for (const key of [
    'subject',
    'preheader',
    'template',
    'body',
    'audience',
    'task',
    'webhook',
    'category',
    'purpose',
  ] as const) {
    const v = (variant as Record<string, unknown> | undefined)?.[key] ?? step[key];
    if (v !== undefined) content[key] = v;
  }
  return content;
}
