// A campaign audience: segment − exclusions − suppressions − unreachable, optionally limited to a
// target-account list. Evaluated set-based in the database; returns ids or a preview with the reasons
// people were removed.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { BatonError, zodIssues, type FieldIssue } from '../domain/errors.js';
import { checkRule, type CheckedNode } from '../domain/segment.js';
import type { Store } from './db.js';
import type { Database } from './schema.js';
import { compileRule, type CompileContext } from './segments/compile.js';
import { resolveReferences } from './segments/references.js';

export const REACH_CHANNELS = ['email', 'sms', 'none'] as const;
export type ReachChannel = (typeof REACH_CHANNELS)[number];

/** Why a contact that matches the segment is not in the audience; the first that applies counts. */
export const REMOVAL_REASONS = [
  'outside_target_accounts',
  'excluded',
  'no_email',
  'unsubscribed',
  'bounced',
  'complained',
  'suppressed',
  'no_phone',
  'no_sms_consent',
] as const;
export type RemovalReason = (typeof REMOVAL_REASONS)[number];

/** The audience part of a campaign (same shape as `audience` in campaign files). */
export const audienceSpecSchema = z
  .object({
    segment: z.unknown().optional().describe('an inline segment rule tree'),
    segment_id: z.string().min(1).optional().describe('a saved segment, by id or name'),
    exclude: z
      .array(z.unknown())
      .optional()
      .describe('rules whose contacts are removed, e.g. { list: customers } or { segment_id: … }'),
    accounts: z
      .object({ list: z.string().min(1) })
      .strict()
      .optional()
      .describe('limit to contacts of a target-account list'),
    enrollment: z.enum(['snapshot', 'dynamic']).optional(),
  })
  .strict();
export type AudienceSpec = z.infer<typeof audienceSpecSchema>;

export interface AudienceOptions {
  /** Epoch ms that relative conditions (`within_days`, `within_last`) count back from. */
  now: number;
  channel?: ReachChannel;
}

interface Prepared {
  ctx: CompileContext;
  segment: RawBuilder<SqlBool>;
  reason: RawBuilder<string | null>;
  hasSuppressions: boolean;
  targetListId?: string;
}

const ALWAYS = sql<SqlBool>`(1 = 1)`;

/** Validates the spec, resolves its references and compiles it; throws `invalid_input` with paths. */
async function prepare(
  store: Store,
  workspaceId: string,
  input: unknown,
  options: AudienceOptions,
): Promise<Prepared> {
  const parsed = audienceSpecSchema.safeParse(input ?? {});
  if (!parsed.success) throw BatonError.invalid(zodIssues(parsed.error.issues));
  const spec = parsed.data;
  const issues: FieldIssue[] = [];
  if (spec.segment !== undefined && spec.segment_id !== undefined) {
    issues.push({
      path: 'segment_id',
      message: 'give either segment (inline rules) or segment_id, not both',
    });
  }
  const roots: CheckedNode[] = [];
  let segmentRule: CheckedNode | undefined;
  if (spec.segment !== undefined || spec.segment_id !== undefined) {
    if (spec.segment !== undefined) {
      const checked = checkRule(spec.segment, 'segment');
      issues.push(...checked.issues);
      if (checked.rule) roots.push((segmentRule = checked.rule));
    } else if (spec.segment_id !== undefined) {
      roots.push((segmentRule = { kind: 'segment', ref: spec.segment_id, path: 'segment_id' }));
    }
  }
  const excludes: CheckedNode[] = [];
  (spec.exclude ?? []).forEach((raw, i) => {
    const node =
      typeof raw === 'object' && raw !== null && 'segment_id' in raw
        ? { segment: (raw as { segment_id: unknown }).segment_id }
        : raw;
    const checked = checkRule(node, `exclude.${i}`);
    issues.push(...checked.issues);
    if (checked.rule) excludes.push(checked.rule);
  });
  const target: CheckedNode | undefined = spec.accounts && {
    kind: 'list',
    ref: spec.accounts.list,
    path: 'accounts.list',
  };
  if (issues.length > 0) throw BatonError.invalid(issues);
  const refs = await resolveReferences(store, workspaceId, [
    ...roots,
    ...excludes,
    ...(target ? [target] : []),
  ]);
  const targetList = spec.accounts && refs.lists.get(spec.accounts.list);
  if (targetList && targetList.kind !== 'account') {
    throw BatonError.invalid([
      {
        path: 'accounts.list',
        message: `${JSON.stringify(targetList.name)} is a contact list; name a target-account list`,
      },
    ]);
  }
  const ctx: CompileContext = {
    dialect: store.dialect,
    workspaceId,
    now: options.now,
    lists: refs.lists,
    segments: refs.segments,
  };
  const channel = options.channel ?? 'email';
  const anySuppressions = await hasSuppressions(store.db, workspaceId);
  const suppressed = anySuppressions ? suppressedExpr(ctx) : undefined;
  const whens: RawBuilder<unknown>[] = [];
  if (target)
    whens.push(sql`when not coalesce(${compileRule(ctx, target)}, false) then 'outside_target_accounts'`);
  if (excludes.length > 0) {
    const any = compileRule(ctx, { kind: 'any', children: excludes });
    whens.push(sql`when coalesce(${any}, false) then 'excluded'`);
  }
  // The suppression list holds people back on every channel, not only email: a suppressed person gets no
  // text, no sales task and no webhook carrying their details either (the dispatcher checks it again).
  if (channel === 'email') {
    whens.push(sql`when c.email is null then 'no_email'`);
    whens.push(sql`when c.subscription_status <> 'subscribed' then c.subscription_status`);
    if (suppressed) whens.push(sql`when ${suppressed} then 'suppressed'`);
  } else {
    if (suppressed) whens.push(sql`when ${suppressed} then 'suppressed'`);
    if (channel === 'sms') {
      whens.push(sql`when c.phone is null then 'no_phone'`);
      whens.push(sql`when c.sms_consent <> 1 then 'no_sms_consent'`);
    }
  }
  const reason =
    whens.length > 0 ? sql<string | null>`(case ${sql.join(whens, sql` `)} end)` : sql<string | null>`null`;
  return {
    ctx,
    segment: segmentRule ? compileRule(ctx, segmentRule) : ALWAYS,
    reason,
    hasSuppressions: anySuppressions,
    ...(targetList ? { targetListId: targetList.id } : {}),
  };
}

/** Who the channel can reach before the suppression list: an address and consent where it needs one. */
function channelRule(channel: ReachChannel): RawBuilder<SqlBool> {
  if (channel === 'email')
    return sql<SqlBool>`(c.email is not null and c.subscription_status = 'subscribed')`;
  if (channel === 'sms') return sql<SqlBool>`(c.phone is not null and c.sms_consent = 1)`;
  return ALWAYS;
}

async function hasSuppressions(db: Kysely<Database>, workspaceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// Written exactly as the expression indexes in the audiences migration, so the planner uses them.
function emailDomain(ctx: CompileContext): RawBuilder<string> {
  return ctx.dialect === 'postgres'
    ? sql<string>`split_part(lower(c.email), '@', 2)`
    : sql<string>`substr(lower(c.email), instr(c.email, '@') + 1)`;
}

function suppressedExpr(ctx: CompileContext): RawBuilder<SqlBool> {
  return sql<SqlBool>`exists (select 1 from suppressions s where s.workspace_id = ${ctx.workspaceId} and s.value in (lower(c.email), ${emailDomain(ctx)}))`;
}

/**
 * Contacts reachable on the channel in the whole workspace, minus the suppressed ones, found from the
 * suppression list's side. On SQLite the first number is
 * the `contact_reach` counter its triggers keep (one row read); on PostgreSQL it is counted from the partial
 * index (decision 0019).
 */
async function reachableCount(db: Kysely<Database>, p: Prepared, channel: ReachChannel): Promise<number> {
  const ws = p.ctx.workspaceId;
  let all: number;
  if (p.ctx.dialect !== 'postgres') {
    const row = await db
      .selectFrom('contact_reach')
      .select(['total', 'email', 'sms'])
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    all = Number(row ? row[channel === 'none' ? 'total' : channel] : 0);
  } else {
    const r = await sql<{ n: unknown }>`
      select count(*) as n from contacts c where c.workspace_id = ${ws} and ${channelRule(channel)}`.execute(
      db,
    );
    all = Number(r.rows[0]?.n ?? 0);
  }
  if (!p.hasSuppressions) return all;
  const rule = channelRule(channel);
  // `cross join` makes SQLite loop over the (small) suppression list and probe the expression indexes;
  // PostgreSQL plans it as an ordinary join.
  // SQLite uses the expression index only when the other side carries no affinity (`+s.value`).
  const value = p.ctx.dialect === 'postgres' ? sql`s.value` : sql`+s.value`;
  const suppressed = await sql<{ n: unknown }>`
    select count(*) as n from (
      select c.id from suppressions s cross join contacts c
      where c.workspace_id = ${ws} and lower(c.email) = ${value}
        and s.workspace_id = ${ws} and s.kind = 'email' and ${rule}
      union
      select c.id from suppressions s cross join contacts c
      where c.workspace_id = ${ws} and ${emailDomain(p.ctx)} = ${value}
        and s.workspace_id = ${ws} and s.kind = 'domain' and ${rule}
    ) x`.execute(db);
  return all - Number(suppressed.rows[0]?.n ?? 0);
}

export interface AudienceIds {
  /** Contact ids in the audience, in id order. */
  contactIds: string[];
  /** Contacts the segment matched before removals. */
  matched: number;
  removed: Array<{ reason: RemovalReason; count: number }>;
}

/** The contact ids a campaign would enroll now, and how many were removed for which reason. */
export async function resolveAudience(
  store: Store,
  workspaceId: string,
  spec: unknown,
  options: AudienceOptions,
): Promise<AudienceIds> {
  const p = await prepare(store, workspaceId, spec, options);
  const rows = await sql<{ id: string; reason: string | null }>`
    select c.id as id, ${p.reason} as reason from contacts c
    where c.workspace_id = ${workspaceId} and ${p.segment} order by c.id`.execute(store.db);
  const counts = new Map<string, number>();
  const contactIds: string[] = [];
  for (const r of rows.rows) {
    if (r.reason === null) contactIds.push(r.id);
    else counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  }
  return { contactIds, matched: rows.rows.length, removed: orderReasons(counts) };
}

function orderReasons(counts: Map<string, number>): Array<{ reason: RemovalReason; count: number }> {
  return REMOVAL_REASONS.filter((r) => counts.has(r)).map((reason) => ({
    reason,
    count: counts.get(reason)!,
  }));
}

export interface AudiencePreview {
  channel: ReachChannel;
  /** Contacts in the audience after every removal. */
  count: number;
  /** Contacts the segment matched before removals. */
  matched: number;
  removed: Array<{ reason: RemovalReason; count: number }>;
  /** Contacts reachable on the channel in the whole workspace, and the audience's share of them. */
  reachable: number;
  share: number;
  by_lifecycle_stage: Array<{ stage: string | null; count: number }>;
  accounts: {
    /** Distinct accounts with at least one contact in the audience. */
    reached: number;
    /** Contacts without an account. */
    without_account: number;
    top: Array<{ account_id: string; name: string | null; domain: string | null; count: number }>;
    /** With an ABM limit: accounts on the target list, and how many the audience reaches. */
    target?: { total: number; reached: number };
  };
  sample: Array<{
    id: string;
    email: string | null;
    first_name: string | null;
    last_name: string | null;
    lifecycle_stage: string | null;
    account_id: string | null;
  }>;
}

const TOP_ACCOUNTS = 50;

/** Size and shape of an audience before launch: counts, breakdowns, a sample and removal reasons. */
export async function previewAudience(
  store: Store,
  workspaceId: string,
  spec: unknown,
  options: AudienceOptions & { sampleSize?: number },
): Promise<AudiencePreview> {
  const p = await prepare(store, workspaceId, spec, options);
  const table = sql.table(`aud_${randomBytes(6).toString('hex')}`);
  const sampleSize = Math.min(options.sampleSize ?? 20, 100);
  const n = (v: unknown): number => Number(v ?? 0);
  // Inside a transaction (launch) the temporary table lives on the transaction's connection.
  const onOneConnection = <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> =>
    store.db.isTransaction ? fn(store.db) : store.db.connection().execute(fn);
  return onOneConnection(async (db) => {
    // One pass over the segment into a temporary table; every figure below reads that small table.
    await sql`create temporary table ${table} (id text primary key, account_id text, lifecycle_stage text, reason text)`.execute(
      db,
    );
    try {
      await sql`insert into ${table} (id, account_id, lifecycle_stage, reason)
        select c.id, c.account_id, c.lifecycle_stage, ${p.reason} from contacts c
        where c.workspace_id = ${workspaceId} and ${p.segment}`.execute(db);
      const reasons = await sql<{ reason: string | null; n: unknown }>`
        select reason, count(*) as n from ${table} group by reason`.execute(db);
      const counts = new Map<string, number>();
      let matched = 0;
      let count = 0;
      for (const r of reasons.rows) {
        matched += n(r.n);
        if (r.reason === null) count = n(r.n);
        else counts.set(r.reason, n(r.n));
      }
      const stages = await sql<{ stage: string | null; n: unknown }>`
        select lifecycle_stage as stage, count(*) as n from ${table} where reason is null
        group by lifecycle_stage order by count(*) desc, lifecycle_stage`.execute(db);
      const accounts = await sql<{ reached: unknown; without: unknown }>`
        select count(distinct account_id) as reached,
          sum(case when account_id is null then 1 else 0 end) as without
        from ${table} where reason is null`.execute(db);
      const top = await sql<{ account_id: string; name: string | null; domain: string | null; n: unknown }>`
        select t.account_id, a.name, a.domain, count(*) as n from ${table} t
        left join accounts a on a.id = t.account_id
        where t.reason is null and t.account_id is not null
        group by t.account_id, a.name, a.domain order by count(*) desc, t.account_id limit ${TOP_ACCOUNTS}`.execute(
        db,
      );
      const sample = await sql<AudiencePreview['sample'][number]>`
        select c.id, c.email, c.first_name, c.last_name, c.lifecycle_stage, c.account_id
        from ${table} t cross join contacts c
        where c.id = t.id and t.reason is null order by t.id limit ${sampleSize}`.execute(db);
      const reach = await reachableCount(db, p, options.channel ?? 'email');
      let target: { total: number; reached: number } | undefined;
      if (p.targetListId) {
        const t = await sql<{ total: unknown; reached: unknown }>`
          select count(*) as total,
            sum(case when exists (select 1 from ${table} t where t.account_id = lm.member_id and t.reason is null)
              then 1 else 0 end) as reached
          from list_members lm where lm.workspace_id = ${workspaceId} and lm.list_id = ${p.targetListId}`.execute(
          db,
        );
        target = { total: n(t.rows[0]?.total), reached: n(t.rows[0]?.reached) };
      }
      return {
        channel: options.channel ?? 'email',
        count,
        matched,
        removed: orderReasons(counts),
        reachable: reach,
        share: reach === 0 ? 0 : count / reach,
        by_lifecycle_stage: stages.rows.map((r) => ({ stage: r.stage, count: n(r.n) })),
        accounts: {
          reached: n(accounts.rows[0]?.reached),
          without_account: n(accounts.rows[0]?.without),
          top: top.rows.map((r) => ({
            account_id: r.account_id,
            name: r.name,
            domain: r.domain,
            count: n(r.n),
          })),
          ...(target ? { target } : {}),
        },
        sample: sample.rows,
      };
    } finally {
      await sql`drop table ${table}`.execute(db);
    }
  });
}
