// Table types of the store. Times are epoch milliseconds (bigint); JSON columns are jsonb on PostgreSQL
// and text on SQLite (read them through `fromJson`). Each issue's migration adds its tables here.
import type { ColumnType, Generated } from 'kysely';

/** JSON column: written as a JSON string, read as text (SQLite) or a parsed value (PostgreSQL). */
export type JsonColumn = ColumnType<unknown, string, string>;

export interface WorkspacesTable {
  id: string;
  name: string;
  settings: JsonColumn;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  /** `api` keys use the REST API; `ingest` keys are Segment-style write keys. */
  kind: string;
  name: string | null;
  scopes: string;
  /** First characters of the key, shown in listings to tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface InstanceSettingsTable {
  key: string;
  value: string;
}

export interface AccountsTable {
  id: string;
  workspace_id: string;
  external_id: string | null;
  domain: string | null;
  name: string | null;
  industry: string | null;
  size: number | null;
  owner: string | null;
  /** The workspace user who owns the account (a sales rep sees these accounts' contacts). */
  owner_user_id: ColumnType<string | null, string | null | undefined, string | null>;
  attributes: JsonColumn;
  created_at: number;
  updated_at: number;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  external_id: string | null;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  time_zone: string | null;
  lifecycle_stage: string | null;
  account_id: string | null;
  /** subscribed | unsubscribed | bounced | complained */
  subscription_status: string;
  /** 1 when the contact has given consent to SMS. */
  sms_consent: number;
  attributes: JsonColumn;
  created_at: number;
  updated_at: number;
}

/** SQLite only: contacts per workspace in all and reachable by email / SMS, kept by triggers on contacts. */
export interface ContactReachTable {
  workspace_id: string;
  total: number;
  email: number;
  sms: number;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  /** Producer's idempotency key (Segment `messageId`); unique per workspace. */
  message_id: string | null;
  type: string;
  contact_id: string | null;
  account_id: string | null;
  anonymous_id: string | null;
  occurred_at: number;
  received_at: number;
  properties: JsonColumn;
  campaign_id: string | null;
  touch_id: string | null;
  step_id: string | null;
  variant_id: string | null;
  channel: string | null;
}

/** PostgreSQL only: the producer message ids a workspace has stored, claimed by a trigger on `events`. */
export interface EventMessageIdsTable {
  workspace_id: string;
  message_id: string;
}

export interface EnrollmentsTable {
  id: string;
  workspace_id: string;
  campaign_id: string;
  contact_id: string;
  account_id: string | null;
  cycle: number;
  /** treatment | holdout */
  arm: string;
  /** step id → variant id, assigned at enrollment. */
  variants: JsonColumn;
  /** active | completed | exited */
  state: string;
  exit_reason: string | null;
  enrolled_at: number;
  exited_at: number | null;
}

export interface TouchesTable {
  id: string;
  workspace_id: string;
  enrollment_id: string;
  campaign_id: string;
  contact_id: string;
  step_id: string;
  step_index: number;
  channel: string;
  variant_id: string | null;
  priority: number;
  /** planned | claimed | sent | failed | skipped | cancelled */
  status: string;
  due_at: number;
  lease_until: number | null;
  claimed_by: string | null;
  attempts: number;
  deferrals: number;
  planned_at: number;
  sent_at: number | null;
  reason: string | null;
  message_id: string | null;
  details: JsonColumn;
}

export interface ChannelLogTable {
  touch_id: string;
  workspace_id: string;
  channel: string;
  contact_id: string;
  payload: JsonColumn;
  created_at: number;
}

export interface SegmentsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  /** The segment rule tree (src/domain/segment.ts). */
  rule: JsonColumn;
  created_at: number;
  updated_at: number;
}

export interface ListsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** contact (static contact list) | account (target-account list) */
  kind: string;
  description: string | null;
  created_at: number;
  updated_at: number;
}

export interface ListMembersTable {
  list_id: string;
  workspace_id: string;
  /** A contact id (contact lists) or an account id (account lists). */
  member_id: string;
  added_at: number;
}

export interface SuppressionsTable {
  id: string;
  workspace_id: string;
  /** email | domain */
  kind: string;
  /** Lower-cased email address or domain. */
  value: string;
  /** manual | hard_bounce | complaint | unsubscribe | import */
  reason: string;
  note: string | null;
  created_at: number;
}

export interface CampaignsTable {
  workspace_id: string;
  /** The campaign's slug from its file (unique per workspace). */
  id: string;
  name: string;
  /** campaign | always-on */
  kind: string;
  /** draft | scheduled | running | paused | completed | reviewed | cancelled */
  status: string;
  /** The parsed campaign spec (src/domain/campaign.ts), defaults filled. */
  spec: JsonColumn;
  revision: number;
  /** Goal, measurement, window and audience as they were at launch. */
  frozen_plan: JsonColumn | null;
  /** SHA-256 of the canonical JSON of frozen_plan. */
  frozen_hash: string | null;
  launched_at: number | null;
  ended_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CampaignRevisionsTable {
  workspace_id: string;
  campaign_id: string;
  revision: number;
  spec: JsonColumn;
  /** [{ path, before, after }] against the previous revision. */
  diff: JsonColumn;
  author: string | null;
  created_at: number;
}

export interface TemplatesTable {
  workspace_id: string;
  /** Path relative to the campaign file's folder, e.g. `templates/intro-a.mjml`. */
  id: string;
  /** mjml | liquid | text | html */
  kind: string;
  source: string;
  /** SHA-256 of source. */
  hash: string;
  updated_at: number;
}

export interface EmailSendersTable {
  id: string;
  workspace_id: string;
  email: string;
  name: string | null;
  reply_to: string | null;
  /** The physical postal address every marketing email's footer carries. */
  postal_address: string;
  smtp_url: string | null;
  daily_limit: number;
  hourly_rate: number;
  /** Days over which the daily limit ramps up from `warmup_start` (0: no warm-up). */
  warmup_days: number;
  warmup_start: number;
  warmup_started_at: number;
  /** DKIM signing for the sender's domain when both are set. */
  dkim_selector: string | null;
  dkim_private_key: string | null;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface EmailSenderUsageTable {
  workspace_id: string;
  sender_id: string;
  /** `h:<hour>` or `d:<day>` since the epoch (UTC). */
  window: string;
  count: number;
}

export interface EmailCategoryOptoutsTable {
  workspace_id: string;
  contact_id: string;
  category: string;
  created_at: number;
}

export interface ContactIdentitiesTable {
  workspace_id: string;
  /** user_id | anonymous_id */
  kind: string;
  value: string;
  contact_id: string;
  created_at: number;
}

export interface ConversionsTable {
  id: string;
  workspace_id: string;
  campaign_id: string;
  contact_id: string;
  enrollment_id: string | null;
  /** treatment | holdout */
  arm: string;
  event_id: string;
  value: number;
  occurred_at: number;
  touch_id: string | null;
  created_at: number;
}

export interface EventCursorsTable {
  name: string;
  seq: number;
  updated_at: number;
}

export interface JourneyMapsTable {
  workspace_id: string;
  /** The journey map (src/domain/journey.ts): stages with criteria, milestones, W shares. */
  map: JsonColumn;
  updated_at: number;
}

export interface JourneyStagesTable {
  workspace_id: string;
  /** contact | account */
  subject_kind: string;
  subject_id: string;
  stage: string;
  /** The stage's position in the journey map when it was entered (0 first). */
  stage_index: number;
  entered_at: number;
  /** When a time window in the criteria next elapses for this subject (the sweep re-evaluates it then). */
  stage_recheck_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface JourneyStageChangesTable {
  id: string;
  workspace_id: string;
  subject_kind: string;
  subject_id: string;
  from_stage: string | null;
  to_stage: string;
  changed_at: number;
  /**
   * event | attributes | journey_changed | contact (an account following its contacts) | account_criteria
   * (an account meeting its own criteria) | time_window_elapsed (the sweep: a window in the criteria elapsed)
   */
  cause: string;
  event_id: string | null;
  event_type: string | null;
  recorded_at: number;
}

export interface CampaignReviewsTable {
  workspace_id: string;
  campaign_id: string;
  /** The team's learnings, free text (shown in the report and linked from clones). */
  learnings: string;
  author: string | null;
  created_at: number;
  updated_at: number;
}

export interface AutoWinnerDecisionsTable {
  workspace_id: string;
  campaign_id: string;
  step_id: string;
  /** The step's first send: `decide_after` counts from it. */
  first_send_at: number;
  decide_at: number;
  decided_at: number;
  metric: string;
  /** The variant the held-back contacts get. */
  variant_id: string;
  verdict: string;
  decided_by: string;
  reason: string;
  /** JSON: the arms at the decision ({ id, n, successes }[]) and the test's comparisons. */
  arms: unknown;
  /** Held touches handed the variant. */
  released: number;
}

export interface UsersTable {
  id: string;
  workspace_id: string;
  /** Lower-cased; unique within the workspace. */
  email: string;
  /** `scrypt$N$r$p$salt$hash` (base64url salt and hash). */
  password_hash: string;
  created_at: number;
  updated_at: number;
  /** admin | marketer | sales_rep | analyst (src/domain/roles.ts). */
  role: ColumnType<string, string | undefined, string>;
  /** IANA zone the user works in (tasks fall due in their working hours); null: the workspace's. */
  time_zone?: string | null;
  /** `{ days, start, end }` like a send window; null: Monday–Friday 09:00–17:00. */
  working_hours?: JsonColumn | null;
}

export interface UserSessionsTable {
  /** SHA-256 of the session token held in the browser's cookie. */
  id: string;
  workspace_id: string;
  user_id: string;
  /** Sent back by the page in `x-csrf-token` on every state-changing request. */
  csrf_token: string;
  created_at: number;
  /** Last request made with the session (idle expiry); null only for a session older than the column. */
  last_seen_at: number | null;
  expires_at: number;
}

export interface TasksTable {
  id: string;
  workspace_id: string;
  touch_id: string;
  campaign_id: string;
  enrollment_id: string;
  contact_id: string;
  step_id: string;
  /** call | linkedin_connect | linkedin_message | manual_email | custom */
  type: string;
  instructions: string | null;
  assignee_user_id: string | null;
  assignee: string | null;
  /** open | completed | skipped | expired | cancelled */
  status: string;
  due_at: number;
  /** The end of the working hours the task is due in: open after it, the task is overdue. */
  overdue_at: number;
  /** Still open at this instant, the task expires and the sequence goes on. */
  expires_at: number;
  /** completed: connected | left_voicemail | no_answer | meeting_booked */
  outcome: string | null;
  note: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  created_at: number;
  updated_at: number;
}

export interface CampaignSpendTable {
  id: string;
  workspace_id: string;
  campaign_id: string;
  amount: number;
  currency: string;
  date: string;
  channel: string | null;
  note: string | null;
  created_at: number;
}

/** Failed sign-ins per `email:…` or `ip:…`, and the lock they caused. */
export interface SignInFailuresTable {
  key: string;
  failures: number;
  first_failed_at: number;
  locked_until: number | null;
}

/** A request counter of one limit and key, shared by every serve process (src/ops/rate-limit-store.ts). */
export interface RateLimitHitsTable {
  /** `<limit name>:<caller key>`, e.g. `api.perIp:ip:203.0.113.7`. */
  key: string;
  /** Start of the key's current fixed window (epoch ms, the limiter's clock). */
  window_start: number;
  hits: number;
  /** window_start + the limit's window: when the row may be swept. */
  expires_at: number;
}

export interface ApprovalsTable {
  id: string;
  workspace_id: string;
  /** launch | pause | end */
  action: string;
  target_type: string;
  target_id: string;
  /** pending | approved | rejected | failed */
  status: string;
  requested_by: string;
  requested_role: string | null;
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
  /** Why performing the approved action failed (status `failed`). */
  error: string | null;
}

/** A CSV import started over HTTP, with its progress (src/store/imports.repository.ts). */
export interface ImportsTable {
  id: string;
  workspace_id: string;
  /** contacts | accounts */
  kind: string;
  /** running | done | failed */
  status: string;
  skip_invalid: number;
  bytes_read: number;
  total_bytes: number;
  rows: number;
  result: JsonColumn | null;
  error: string | null;
  created_by: string | null;
  created_at: number;
  finished_at: number | null;
  /** Wall time (epoch ms) the running process last reported in; a stale one means it died. */
  heartbeat_at: number;
}

/** Append-only: a trigger refuses UPDATE and DELETE on both dialects. */
export interface AuditLogTable {
  seq: Generated<number>;
  workspace_id: string;
  at: number;
  /** user | key | system */
  actor_type: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: JsonColumn;
}

export interface Database {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  instance_settings: InstanceSettingsTable;
  accounts: AccountsTable;
  contacts: ContactsTable;
  contact_reach: ContactReachTable;
  events: EventsTable;
  event_message_ids: EventMessageIdsTable;
  enrollments: EnrollmentsTable;
  touches: TouchesTable;
  channel_log: ChannelLogTable;
  segments: SegmentsTable;
  lists: ListsTable;
  list_members: ListMembersTable;
  suppressions: SuppressionsTable;
  campaigns: CampaignsTable;
  campaign_revisions: CampaignRevisionsTable;
  templates: TemplatesTable;
  email_senders: EmailSendersTable;
  email_sender_usage: EmailSenderUsageTable;
  email_category_optouts: EmailCategoryOptoutsTable;
  contact_identities: ContactIdentitiesTable;
  conversions: ConversionsTable;
  event_cursors: EventCursorsTable;
  journey_maps: JourneyMapsTable;
  journey_stages: JourneyStagesTable;
  journey_stage_changes: JourneyStageChangesTable;
  campaign_reviews: CampaignReviewsTable;
  users: UsersTable;
  tasks: TasksTable;
  campaign_spend: CampaignSpendTable;
  auto_winner_decisions: AutoWinnerDecisionsTable;
  user_sessions: UserSessionsTable;
  sign_in_failures: SignInFailuresTable;
  rate_limit_hits: RateLimitHitsTable;
  approvals: ApprovalsTable;
  audit_log: AuditLogTable;
  imports: ImportsTable;
}
