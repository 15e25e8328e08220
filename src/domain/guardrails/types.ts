// What the guardrails return (findings) and what they read besides the spec (facts gathered by the shell).
import type { WorkspaceSettings } from '../workspace-settings.js';

export type Severity = 'blocking' | 'warning';

export interface Finding {
  /** Stable code (see FINDING_CODES); the UI and tests match on it, never on the message. */
  code: FindingCode;
  severity: Severity;
  message: string;
  /** JSON path in the campaign spec (`goal.target`, `sequence.2.channel`). */
  path: string;
}

export const FINDING_CODES = [
  'goal_missing',
  'goal_target_missing',
  'goal_lookback_missing',
  'goal_event_unseen',
  'window_end_missing',
  'window_ended',
  'audience_invalid',
  'audience_empty',
  'audience_too_broad',
  'step_channel_undeclared',
  'channel_unused',
  'step_content_missing',
  'template_not_found',
  'template_render_failed',
  'template_variable_missing',
  'unsubscribe_link_missing',
  'sequence_longer_than_window',
  'frequency_cap_exceeded',
  'audience_overlap',
  'holdout_too_small',
  'sms_segments',
  'sms_ucs2',
  'test_without_variants',
  'test_share_too_small',
  'stage_unknown',
  'audience_outside_stage',
  'step_intent_mismatch',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface AudienceFacts {
  /** Contacts the campaign would enroll: segment − exclusions − suppressions. */
  count: number;
  /** All reachable contacts of the workspace (the denominator of "too broad"). */
  reachable: number;
  /** count / reachable (0 when nothing is reachable). */
  shareOfReachable: number;
  /** False when the audience has no condition at all (everyone). */
  hasCondition: boolean;
  /** Share of the audience that did the goal event in the last lookback window; null when unknown. */
  goalBaselineRate: number | null;
}

export interface OverlapFact {
  campaignId: string;
  name: string;
  /** Contacts of this audience already enrolled (active) in that campaign. */
  sharedContacts: number;
  /** That campaign's window (epoch ms); end null for always-on. */
  window: { start: number; end: number | null } | null;
}

/** One piece of content (a template, inline body or subject) rendered for the sample contacts. */
export interface RenderCheck {
  /** JSON path of the reference (`sequence.0.variants.1.template`). */
  path: string;
  stepIndex: number;
  /** The template id, or `inline` for body/subject text. */
  ref: string;
  field: 'template' | 'body' | 'subject';
  /** The template is referenced but neither in the file's folder nor in the workspace. */
  notFound: boolean;
  /** Parse or compile error (the template does not render for anyone). */
  compileError: string | null;
  /** Sample contacts for which rendering failed, with the reason. */
  failures: Array<{ contactId: string; message: string }>;
  /** `contact.*` / `account.*` variables no sample contact has (and used without a default). */
  missingVariables: string[];
  /** The rendered output contains the unsubscribe link (`{{ links.unsubscribe }}`). */
  hasUnsubscribeLink: boolean;
  /** How many sample contacts were rendered. */
  sampled: number;
}

/** The workspace's journey and where the audience stands in it (null when no journey map is set). */
export interface JourneyFacts {
  /** Stage ids in order. */
  stages: string[];
  /** Audience contacts per current stage (contacts not yet placed are left out). */
  audienceByStage: Record<string, number>;
  audienceTotal: number;
}

export interface LintFacts {
  now: number;
  settings: WorkspaceSettings;
  /** Null when the audience could not be evaluated (the audience rules are then not checked). */
  audience: AudienceFacts | null;
  /** Why the audience could not be evaluated (a reference to a missing list or segment), if so. */
  audienceError?: string | null;
  /** The goal event has been seen in the workspace, or is declared. */
  goalEventSeen: boolean;
  /** Other running or scheduled campaigns sharing contacts with this audience. */
  overlaps: OverlapFact[];
  renders: RenderCheck[];
  /** The buyer journey, for the stage-intent rules; absent or null: no journey map. */
  journey?: JourneyFacts | null;
}
