// Account criteria in SQL: a journey stage's own criteria for accounts, compiled into one boolean over the
// accounts row `a`. Fields are the account's; an event belongs to the account it is stamped with (deals
// imported from a CRM, events of a contact that had an account when it arrived), else to its contact's
// current account, so each event counts once. Also the instant a time window in these criteria next
// elapses for an account (when the sweep must look again).
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { DAY_MS, type CheckedNode } from '../../domain/segment.js';
import type { Database } from '../schema.js';
import { condition, type CompileContext } from '../segments/compile.js';

type EventNode = Extract<CheckedNode, { kind: 'event' }>;

/** The events of `node`'s type, window and properties, each with its account (`acc`). */
function accountEvents(
  ctx: CompileContext,
  node: EventNode,
  extra: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  const filters: Array<RawBuilder<SqlBool>> = [
    sql<SqlBool>`e.workspace_id = ${ctx.workspaceId}`,
    sql<SqlBool>`e.type = ${node.event}`,
  ];
  if (node.withinDays !== undefined) {
    filters.push(sql<SqlBool>`e.occurred_at >= ${ctx.now - node.withinDays * DAY_MS}`);
    filters.push(sql<SqlBool>`e.occurred_at <= ${ctx.now}`);
  } else if (node.fromMs !== undefined && node.toMs !== undefined) {
    filters.push(sql<SqlBool>`e.occurred_at >= ${node.fromMs}`);
    filters.push(sql<SqlBool>`e.occurred_at < ${node.toMs}`);
  }
  for (const w of node.where) filters.push(condition(ctx, w, 'e'));
  return sql`(select coalesce(e.account_id, ec.account_id) as acc, e.occurred_at${extra} from events e
    left join contacts ec on ec.workspace_id = e.workspace_id and ec.id = e.contact_id
    where ${sql.join(filters, sql` and `)})`;
}

function eventCondition(ctx: CompileContext, node: EventNode): RawBuilder<SqlBool> {
  const rows = accountEvents(ctx, node);
  if (node.min >= 1) {
    const having =
      node.max !== undefined
        ? sql` group by x.acc having count(*) >= ${node.min} and count(*) <= ${node.max}`
        : node.min > 1
          ? sql` group by x.acc having count(*) >= ${node.min}`
          : sql``;
    return sql<SqlBool>`(a.id in (select x.acc from ${rows} x where x.acc is not null${having}))`;
  }
  if (node.max === undefined) return sql<SqlBool>`(1 = 1)`;
  const more = node.max === 0 ? sql`` : sql` group by x.acc having count(*) > ${node.max}`;
  return sql<SqlBool>`(a.id not in (select x.acc from ${rows} x where x.acc is not null${more}))`;
}

/** An account rule (checked by checkAccountRule) as a boolean over `a` (accounts). */
export function compileAccountRule(ctx: CompileContext, node: CheckedNode): RawBuilder<SqlBool> {
  switch (node.kind) {
    case 'all':
    case 'any': {
      const parts = node.children.map((c) => compileAccountRule(ctx, c));
      return sql<SqlBool>`(${sql.join(parts, node.kind === 'all' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      return sql<SqlBool>`(not coalesce(${compileAccountRule(ctx, node.child)}, false))`;
    case 'field':
      return condition(ctx, node, 'a');
    case 'event':
      return eventCondition(ctx, node);
    case 'list': {
      const list = ctx.lists.get(node.ref);
      if (!list) throw new Error(`unresolved list reference ${node.ref}`);
      return sql<SqlBool>`(a.id in (select lm.member_id from list_members lm where lm.workspace_id = ${ctx.workspaceId} and lm.list_id = ${list.id}))`;
    }
    case 'segment':
      throw new Error('account criteria cannot use a saved segment');
  }
}

/** The account's own stage index: the furthest stage (after the first) whose account criteria hold. */
export function accountStageIndexExpr(
  ctx: CompileContext,
  rules: ReadonlyArray<CheckedNode | undefined>,
): RawBuilder<number> {
  const whens: Array<RawBuilder<unknown>> = [];
  for (let i = rules.length - 1; i >= 1; i--) {
    const rule = rules[i];
    if (rule) whens.push(sql`when coalesce(${compileAccountRule(ctx, rule)}, false) then ${sql.lit(i)}`);
  }
  const first = rules[0]
    ? sql`when coalesce(${compileAccountRule(ctx, rules[0])}, false) then 0`
    : sql`when 1 = 1 then 0`;
  whens.push(first);
  return sql<number>`(case ${sql.join(whens, sql` `)} else -1 end)`;
}

/** Event conditions with a `within_days` window anywhere in `rule` (saved segments followed). */
export function windowedEvents(
  rule: CheckedNode | undefined,
  segments: ReadonlyMap<string, CheckedNode>,
  out: EventNode[] = [],
  depth = 0,
): EventNode[] {
  if (!rule || depth > 64) return out;
  if (rule.kind === 'all' || rule.kind === 'any')
    rule.children.forEach((c) => windowedEvents(c, segments, out, depth));
  else if (rule.kind === 'not') windowedEvents(rule.child, segments, out, depth);
  else if (rule.kind === 'event' && rule.withinDays !== undefined) out.push(rule);
  else if (rule.kind === 'segment') windowedEvents(segments.get(rule.ref), segments, out, depth + 1);
  return out;
}

/**
 * When a window of `node` next changes what it counts, for events matching it now: an event in the window
 * leaves it `within_days` after it happened; an event dated after `now` enters it when its time comes.
 */
export function windowChange(ctx: CompileContext, node: EventNode): RawBuilder<number> {
  const w = (node.withinDays ?? 0) * DAY_MS;
  return sql<number>`(case when e.occurred_at > ${ctx.now} then e.occurred_at else e.occurred_at + ${w + 1} end)`;
}

/**
 * Per account of `accountIds`, the instant the sweep must re-evaluate it: the earliest window change of
 * any windowed event condition in the account criteria. Accounts absent from the map have none.
 */
export async function accountRechecks(
  db: Kysely<Database>,
  ctx: CompileContext,
  rules: ReadonlyArray<CheckedNode | undefined>,
  accountIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const nodes = rules.flatMap((r) => windowedEvents(r, ctx.segments));
  if (nodes.length === 0 || accountIds.length === 0) return out;
  const ids = sql.join(accountIds.map((id) => sql.val(id)));
  for (const node of nodes) {
    // Events dated after now too: widen the window's upper end for this look-up.
    const wide: EventNode = {
      ...node,
      withinDays: undefined,
      fromMs: ctx.now - node.withinDays! * DAY_MS,
      toMs: Number.MAX_SAFE_INTEGER,
    };
    const rows = await sql<{ acc: string; t: number | string }>`
      select x.acc, min(x.t) as t from ${accountEvents(ctx, wide, sql`, ${windowChange(ctx, node)} as t`)} x
      where x.acc in (${ids}) group by x.acc`.execute(db);
    for (const r of rows.rows) {
      const t = Number(r.t);
      if (!out.has(r.acc) || t < out.get(r.acc)!) out.set(r.acc, t);
    }
  }
  return out;
}
