// Typed client of /api/v1 for the pages: the session cookie authenticates, the CSRF token rides on changes.
// Shapes follow the route schemas (src/api/routes/*.routes.ts); the paths are checked against the OpenAPI
// document by test/web/api-client.test.ts, and so are the fields of the main response types (api-shapes.ts).
import { ENDPOINTS, pathOf, type EndpointName } from './api-paths';

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

export interface Issue {
  path: string;
  message: string;
}

/** An API error: the code, the message, and the fields it names (`details.issues`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface SessionInfo {
  user: { id: string; email: string; role: string };
  workspace: { id: string; name: string };
  csrf_token: string;
  expires_at: string;
}

export interface Step {
  id: string;
  channel: string;
  delay?: string | number;
  when?: unknown;
  subject?: string;
  template?: string;
  body?: string;
  variants?: Array<{ id: string; weight?: number; subject?: string; template?: string }>;
  audience?: string;
  task?: { type: string; assignee?: string; instructions?: string };
}

export interface CampaignSpec {
  id: string;
  name: string;
  kind?: 'campaign' | 'always-on';
  objective?: string;
  owner?: string;
  description?: string;
  goal?: {
    metric: string;
    event: string;
    target: number;
    lookback_days: number;
    attribution?: string;
  };
  measurement?: {
    holdout_percent?: number;
    experiments?: Array<{ id: string; step: string; metric?: string }>;
  };
  window?: { start: string; end?: string; timezone?: string };
  priority?: number;
  budget?: { amount: number; currency: string; spend?: Record<string, number> };
  audience?: {
    segment?: unknown;
    segment_id?: string;
    exclude?: unknown[];
    accounts?: { list: string };
    enrollment?: string;
  };
  channels?: string[];
  sequence?: Step[];
}

export interface Campaign {
  id: string;
  name: string;
  kind: string;
  status: CampaignStatus;
  revision: number;
  spec: CampaignSpec;
  frozen_plan: Record<string, unknown> | null;
  frozen_hash: string | null;
  launched_at: string | null;
  ended_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Finding {
  code: string;
  severity: 'blocking' | 'warning';
  message: string;
  path: string;
}

export interface LintResult {
  blocking: number;
  findings: Finding[];
}

export interface Rate {
  numerator: number;
  denominator: number;
  of: string;
  value: number | null;
  reason?: string;
}

export interface Interval {
  lower: number | null;
  upper: number | null;
}

export interface Estimate {
  estimate: number;
  interval: Interval;
}

export type Unavailable = { available: false; reason: string };

export type GoalSection =
  | {
      available: true;
      metric: string;
      event: string;
      target: number;
      actual: number;
      difference: number;
      shareOfTarget: number;
      outcome: 'met' | 'missed' | 'in_progress';
      lookbackDays: number;
      rate: Rate | null;
    }
  | Unavailable;

export interface PacingResult {
  target: number;
  actualToDate: number;
  elapsedFraction: number;
  expectedToDate: number;
  pace: number | null;
  projectedFinal: number;
  projectedInterval: Interval;
  projectedShareOfTarget: number;
  status: string;
  history: Array<{ at: string; actual: number; expected: number }>;
}

export type PacingSection =
  | ({ available: true; kind: 'window'; reference: string | null } & PacingResult)
  | { available: true; kind: 'monthly'; months: Array<PacingResult & { period: string }> }
  | Unavailable;

export const FUNNEL_STAGES = [
  'enrolled',
  'touched',
  'delivered',
  'opened',
  'clicked',
  'replied',
  'converted',
  'unsubscribed',
  'bounced',
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export interface FunnelRow {
  channel: string | null;
  step: string | null;
  variant: string | null;
  counts: Record<FunnelStage, number>;
  rates: Record<string, Rate>;
  deliveredInferred: boolean;
}

export interface AttributionReport {
  channels: string[];
  totals: { conversions: number; value: number; nulls: number };
  models: Array<{ model: string; credits: Array<{ channel: string; conversions: number; value: number }> }>;
}

export interface ExperimentSection {
  step: string;
  metric: string;
  control: string;
  arms: Array<{
    variant: string;
    n: number;
    successes: number;
    rate: Rate;
    versusControl: { difference: number; pValue: number; interval: Interval } | null;
  }>;
  recommendation: 'winner' | 'keep_testing' | 'no_difference' | 'inconclusive' | null;
  winner: string | null;
  reason: string;
  /** An auto-winner step's recorded decision; null while its test runs, or for a plain A/B step. */
  autoWinner: AutoWinnerDecision | null;
}

/** The decision the engine took for an auto-winner step at `decideAt` (its arms are the test share). */
export interface AutoWinnerDecision {
  metric: string;
  firstSendAt: string;
  decideAt: string;
  decidedAt: string;
  variantId: string;
  verdict: 'winner' | 'keep_testing' | 'no_difference' | 'inconclusive';
  decidedBy: 'sequential_test' | 'fallback';
  reason: string;
  arms: Array<{ id: string; n: number; successes: number }>;
  released: number;
}

export type LiftSection =
  | {
      available: true;
      basis: string;
      treatment: { n: number; converted: number; value: number };
      holdout: { n: number; converted: number; value: number };
      treatmentRate: number;
      holdoutRate: number;
      absoluteLift: Estimate;
      relativeLift: Estimate | null;
      incrementalConversions: Estimate;
      pValue: number;
      significant: boolean;
      alpha: number;
    }
  | Unavailable;

export interface Report {
  campaign: {
    id: string;
    name: string;
    kind: string;
    status: CampaignStatus;
    launchedAt: string | null;
    endedAt: string | null;
    frozenHash: string | null;
    plan: 'frozen' | 'spec';
  };
  asOf: string;
  goal: GoalSection;
  pacing: PacingSection;
  funnel: {
    campaign: FunnelRow;
    channels: FunnelRow[];
    steps: FunnelRow[];
    variants: FunnelRow[];
    /** Treatment vs holdout by the lift's rule (intention to treat), not the rows' attributed "converted". */
    comparisonBasis: string;
    treatment: { enrolled: number; converted: number; conversionRate: Rate };
    holdout: { enrolled: number; converted: number; conversionRate: Rate };
  };
  attribution:
    | {
        available: true;
        headline: string;
        lookbackDays: number;
        byChannel: AttributionReport;
        byStep: AttributionReport;
        unattributed: { conversions: number; value: number };
      }
    | Unavailable;
  experiments: ExperimentSection[];
  lift: LiftSection;
  /** Cost per result from spend (or budget), and per channel under the headline model. */
  cost: Record<string, unknown>;
  learnings: { text: string; author: string | null; updatedAt: string } | null;
}

export interface CalendarDay {
  date: string;
  planned: number;
  sent: number;
  collisions: number;
  entries: Array<{ campaign_id: string; channel: string; planned: number; sent: number }>;
}

export interface Calendar {
  zone: string;
  from: string;
  to: string;
  days: CalendarDay[];
  /** The campaigns' social posts in the range. */
  posts: Array<{
    campaign_id: string;
    post_id: string;
    account: string;
    at: string;
    status: string;
    text: string;
  }>;
  totals: { planned: number; sent: number; collisions: number };
}

export interface Forecast {
  campaign_id: string;
  start: string;
  end: string | null;
  zone: string;
  audience: { contacts: number; holdout: number; treatment: number };
  /** Touches of other running campaigns the frequency caps counted. */
  other_campaign_touches: number;
  days: Array<{
    date: string;
    channels: Record<string, number>;
    total: number;
    /** Touches of conditional steps, if their conditions hold. */
    conditional: Record<string, number>;
  }>;
  peak: { date: string; touches: number } | null;
  totals: { touches: number; conditional: number; window_closed: number };
  capped: {
    people: number;
    touches: number;
    median_push_hours: number | null;
    max_push_hours: number | null;
  };
  /** Touches that would fall after the campaign end. */
  window_closed: { people: number; touches: number };
  steps: Array<{
    id: string;
    channel: string;
    conditional: boolean;
    planned: number;
    pushed: number;
    window_closed: number;
  }>;
  last_touch_at: string | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export const TASK_STATUSES = ['open', 'completed', 'skipped', 'expired', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_OUTCOMES = ['connected', 'left_voicemail', 'no_answer', 'meeting_booked'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];

/** A sales task (GET /tasks): a call or a manual step a person does, due inside working hours. */
export interface Task {
  id: string;
  type: string;
  status: TaskStatus;
  overdue: boolean;
  instructions: string | null;
  assignee: { user_id: string | null; name: string | null };
  contact: {
    id: string;
    email: string | null;
    phone: string | null;
    first_name: string | null;
    last_name: string | null;
    account_id: string | null;
  };
  campaign_id: string;
  step_id: string;
  touch_id: string;
  due_at: string;
  overdue_at: string;
  expires_at: string;
  outcome: string | null;
  note: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface TaskQuery {
  assignee?: string;
  status?: TaskStatus;
  due_before?: string;
  overdue?: 'true' | 'false';
  cursor?: string;
  limit?: string;
}

export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'mql',
  'sql',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

export interface Contact {
  id: string;
  external_id: string | null;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  time_zone: string | null;
  lifecycle_stage: string | null;
  account_id: string | null;
  subscription_status: string;
  sms_consent: boolean;
  attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ContactTimeline {
  contact_id: string;
  identities: Array<{ kind: string; value: string }>;
  items: Array<{
    kind: 'event' | 'touch';
    id: string;
    at: string;
    type: string;
    campaign_id: string | null;
    step_id: string | null;
    channel: string | null;
    touch_id: string | null;
    properties: Record<string, unknown>;
  }>;
}

export interface Account {
  id: string;
  external_id: string | null;
  domain: string | null;
  name: string | null;
  industry: string | null;
  size: number | null;
  owner: string | null;
  attributes: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** One entry of an account's journey: a touch on one of its contacts, a stage change or a deal. */
export type AccountTimelineItem =
  | {
      kind: 'touch';
      at: string;
      contactId: string;
      campaignId: string;
      stepId: string;
      channel: string;
      id: string;
    }
  | {
      kind: 'stage';
      at: string;
      subject: 'contact' | 'account';
      subjectId: string;
      from: string | null;
      to: string;
      /** event | attributes | journey_changed | contact (an account following its contacts) */
      cause: string;
      eventType: string | null;
    }
  | {
      kind: 'deal';
      at: string;
      eventId: string;
      type: string;
      amount: number | null;
      dealId: string | null;
      contactId: string | null;
    };

export interface AccountTimeline {
  account_id: string;
  stage: string | null;
  from: string;
  to: string;
  items: AccountTimelineItem[];
}

/** A stage-to-stage change count (`from` null: the subject entered the journey). */
export interface StageTransition {
  from: string | null;
  to: string;
  count: number;
}

export interface JourneyArm {
  arm: 'treatment' | 'holdout';
  enrolled: number;
  /** Enrolled contacts who moved forward at least one stage after enrolling. */
  moved: number;
  rate: number | null;
  transitions: StageTransition[];
}

/** GET /journey/flows: transitions, time in stage and conversion in a range; per campaign, both arms. */
export interface JourneyFlows {
  from: string;
  to: string;
  subject: 'contact' | 'account';
  stages: Array<{ id: string; name: string }>;
  transitions: StageTransition[];
  time_in_stage: Array<{
    stage: string;
    completed: number;
    median_days: number | null;
    mean_days: number | null;
    current: number;
  }>;
  conversion: Array<{ from: string; to: string; entered: number; reached: number; rate: number | null }>;
  campaign: {
    id: string;
    treatment: JourneyArm;
    holdout: JourneyArm;
    lift: { difference: number; interval: { lower: number; upper: number }; p_value: number } | null;
  } | null;
}

export interface ContactList {
  id: string;
  name: string;
  kind: 'contact' | 'account';
  description: string | null;
  member_count: number;
  created_at: string;
  updated_at: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: { type: 'user' | 'key' | 'system' | 'anonymous'; id: string | null; role: string | null };
  action: string;
  target: { type: string; id: string } | null;
  ip: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  since?: string;
  cursor?: string;
  limit?: string;
}

export type ImportKind = 'contacts' | 'accounts';

/** GET /api/v1/imports/{id} (src/api/routes/imports.routes.ts). */
export interface ImportRecord {
  id: string;
  kind: ImportKind;
  status: 'running' | 'done' | 'failed';
  skip_invalid: boolean;
  bytes_read: number;
  total_bytes: number;
  rows: number;
  result: {
    committed: boolean;
    rows: number;
    inserted: number;
    updated: number;
    rejected: number;
    linked_contacts: number | null;
    rejected_rows: Array<{ line: number; column: string; reason: string }>;
    rejected_total: number;
    seconds: number;
  } | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function csrfToken(): string | undefined {
  const m = /(?:^|;\s*)baton_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export async function call<T>(
  name: EndpointName,
  opts: {
    params?: Record<string, string>;
    query?: Record<string, string | undefined>;
    body?: unknown;
    /** A file sent as is (a CSV upload) instead of a JSON body. */
    upload?: { type: string; data: Blob };
  } = {},
): Promise<T> {
  const { method } = ENDPOINTS[name];
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') query.set(k, v);
  const url = pathOf(name, opts.params) + (query.size ? `?${query}` : '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.upload) headers['content-type'] = opts.upload.type;
  const csrf = csrfToken();
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: opts.upload ? opts.upload.data : opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, 'bad_response', `the server answered ${res.status} with no JSON`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: { issues?: Issue[] } } })
      ?.error;
    throw new ApiError(
      res.status,
      e?.code ?? 'error',
      e?.message ?? `request failed (${res.status})`,
      e?.details?.issues ?? [],
      e?.details,
    );
  }
  return json as T;
}

export const api = {
  session: () => call<SessionInfo>('session'),
  signIn: (body: { email: string; password: string; workspace?: string }) =>
    call<SessionInfo>('signIn', { body }),
  signOut: () => call<void>('signOut'),
  listCampaigns: (status?: CampaignStatus) =>
    call<{ data: Campaign[] }>('listCampaigns', { query: { status } }).then((r) => r.data),
  createCampaign: (spec: unknown) =>
    call<{ campaign: Campaign; change: string }>('createCampaign', { body: spec }).then((r) => r.campaign),
  getCampaign: (id: string) => call<Campaign>('getCampaign', { params: { id } }),
  updateCampaign: (id: string, spec: unknown) =>
    call<{ campaign: Campaign; change: string }>('updateCampaign', { params: { id }, body: spec }).then(
      (r) => r.campaign,
    ),
  lintSpec: (spec: unknown) => call<LintResult>('lintSpec', { body: spec }),
  lintCampaign: (id: string) => call<LintResult>('lintCampaign', { params: { id } }),
  launch: (id: string) =>
    call<{ campaign: Campaign; findings: Finding[] }>('launch', { params: { id } }).then((r) => r.campaign),
  pause: (id: string) => call<Campaign>('pause', { params: { id } }),
  resume: (id: string) => call<Campaign>('resume', { params: { id } }),
  end: (id: string) => call<Campaign>('end', { params: { id } }),
  report: (id: string) => call<Report>('report', { params: { id } }),
  review: (id: string, learnings: string) =>
    call<{ status: CampaignStatus; moved_to_reviewed: boolean }>('review', {
      params: { id },
      body: { learnings },
    }),
  clone: (id: string, name: string) =>
    call<{ id: string; name: string; winners: Array<{ step: string; variant: string }> }>('clone', {
      params: { id },
      body: { name },
    }),
  forecast: (id: string) => call<Forecast>('forecast', { params: { id } }),
  calendar: (range: { from?: string; to?: string } = {}) => call<Calendar>('calendar', { query: range }),
  calendarIcsUrl: (range: { from?: string; to?: string } = {}) => {
    const q = new URLSearchParams(Object.entries(range).filter((e): e is [string, string] => !!e[1]));
    return pathOf('calendarIcs') + (q.size ? `?${q}` : '');
  },
  listTasks: (query: TaskQuery) => call<Page<Task>>('listTasks', { query: { ...query } }),
  completeTask: (id: string, body: { outcome: TaskOutcome; note?: string }) =>
    call<Task>('completeTask', { params: { id }, body }),
  skipTask: (id: string, body: { reason?: string }) => call<Task>('skipTask', { params: { id }, body }),
  rescheduleTask: (id: string, due_at: string) =>
    call<Task>('rescheduleTask', { params: { id }, body: { due_at } }),
  listContacts: (query: Record<string, string | undefined>) => call<Page<Contact>>('listContacts', { query }),
  getContact: (id: string) => call<Contact>('getContact', { params: { id } }),
  contactTimeline: (id: string, limit = 200) =>
    call<ContactTimeline>('contactTimeline', { params: { id }, query: { limit: String(limit) } }),
  listAccounts: (query: Record<string, string | undefined>) => call<Page<Account>>('listAccounts', { query }),
  getAccount: (id: string) => call<Account>('getAccount', { params: { id } }),
  accountTimeline: (id: string, range: { from?: string; to?: string } = {}) =>
    call<AccountTimeline>('accountTimeline', { params: { id }, query: range }),
  journeyStages: () =>
    call<{ enabled: boolean; preset: string; stages: Array<{ id: string; name: string }> }>('journeyStages'),
  journeyFlows: (query: { from?: string; to?: string; campaign?: string; subject?: string }) =>
    call<JourneyFlows>('journeyFlows', { query }),
  listLists: () => call<{ data: ContactList[] }>('listLists').then((r) => r.data),
  listMembers: (id: string, after?: string) =>
    call<{ data: string[]; next?: string }>('listMembers', {
      params: { id },
      query: { limit: '1000', after },
    }),
  audit: (query: AuditQuery) => call<Page<AuditEntry>>('audit', { query: { ...query } }),
  startImport: (kind: ImportKind, file: Blob, skipInvalid: boolean) =>
    call<{ id: string; status: 'running' }>('startImport', {
      query: { kind, skip_invalid: skipInvalid ? 'true' : undefined },
      upload: { type: 'text/csv', data: file },
    }),
  getImport: (id: string) => call<ImportRecord>('getImport', { params: { id } }),
};
