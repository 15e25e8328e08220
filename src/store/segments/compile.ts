// Compiles a checked segment rule into one SQL boolean over the contacts row `c`, for SQLite and
// PostgreSQL. Every user value is a bound parameter; column names come from the field catalogue only.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import {
  DAY_MS,
  type CheckedCondition,
  type CheckedNode,
  type FieldRef,
  type TypedValue,
} from '../../domain/segment.js';
import type { DialectName } from '../db.js';

export interface ResolvedList {
  id: string;
  kind: 'contact' | 'account';
}

export interface CompileContext {
  dialect: DialectName;
  workspaceId: string;
  /** Epoch ms that `within_days` / `within_last` count back from. */
  now: number;
  /** Lists and saved segments by the reference written in the rule (id or name). */
  lists: ReadonlyMap<string, ResolvedList>;
  segments: ReadonlyMap<string, CheckedNode>;
}

type Expr = RawBuilder<unknown>;
type Bool = RawBuilder<SqlBool>;
type ValueType = 'text' | 'number' | 'bool' | 'date';

const TRUE = sql<SqlBool>`(1 = 1)`;

/** The rule as a boolean over `c` (contacts). NULL never escapes a `not`: it is folded to false. */
export function compileRule(ctx: CompileContext, node: CheckedNode, depth = 0): Bool {
  if (depth > 64) throw new Error('segment references nest too deep');
  switch (node.kind) {
    case 'all':
    case 'any': {
      const parts = node.children.map((c) => compileRule(ctx, c, depth));
      return sql<SqlBool>`(${sql.join(parts, node.kind === 'all' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      return sql<SqlBool>`(not coalesce(${compileRule(ctx, node.child, depth)}, false))`;
    case 'field':
      return node.field.entity === 'account' ? accountCondition(ctx, node) : condition(ctx, node, 'c');
    case 'event':
      return eventCondition(ctx, node);
    case 'list': {
      const list = ctx.lists.get(node.ref);
      if (!list) throw new Error(`unresolved list reference ${node.ref}`);
      const members = sql`(select lm.member_id from list_members lm where lm.workspace_id = ${ctx.workspaceId} and lm.list_id = ${list.id})`;
      return list.kind === 'account'
        ? sql<SqlBool>`(c.account_id in ${members})`
        : sql<SqlBool>`(c.id in ${members})`;
    }
    case 'segment': {
      const rule = ctx.segments.get(node.ref);
      if (!rule) throw new Error(`unresolved segment reference ${node.ref}`);
      return compileRule(ctx, rule, depth + 1);
    }
  }
}

/** What a condition yields on a missing value: `neq`, `not_in` and `exists: false` hold; the rest do not. */
export function holdsWhenMissing(c: CheckedCondition): boolean {
  return (
    c.op === 'neq' || c.op === 'not_in' || (c.op === 'exists' && c.value.type === 'exists' && !c.value.v)
  );
}

// Account conditions are a set of account ids; a contact without an account has every account field missing.
function accountCondition(ctx: CompileContext, c: CheckedCondition): Bool {
  const ids = sql`(select a.id from accounts a where a.workspace_id = ${ctx.workspaceId} and ${condition(ctx, c, 'a')})`;
  return holdsWhenMissing(c)
    ? sql<SqlBool>`(c.account_id is null or c.account_id in ${ids})`
    : sql<SqlBool>`(c.account_id in ${ids})`;
}

function eventCondition(ctx: CompileContext, node: Extract<CheckedNode, { kind: 'event' }>): Bool {
  const filters: Bool[] = [
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
  filters.push(sql<SqlBool>`e.contact_id is not null`);
  for (const w of node.where) filters.push(condition(ctx, w, 'e'));
  const where = sql.join(filters, sql` and `);
  if (node.min >= 1) {
    const having =
      node.max !== undefined
        ? sql` group by e.contact_id having count(*) >= ${node.min} and count(*) <= ${node.max}`
        : node.min > 1
          ? sql` group by e.contact_id having count(*) >= ${node.min}`
          : sql``;
    return sql<SqlBool>`(c.id in (select e.contact_id from events e where ${where}${having}))`;
  }
  // At most `max` times (zero included): not among those who did it more often.
  if (node.max === undefined) return TRUE;
  // Never (PostgreSQL): `not exists` is planned as an anti-join, which spills to disk when the events do not
  // fit in work_mem, where `not in` falls back to rescanning its list for every contact
  // (docs/queries/segments.md). SQLite plans `not in` as one list with a bloom filter, probed per contact.
  if (node.max === 0 && ctx.dialect === 'postgres')
    return sql<SqlBool>`(not exists (select 1 from events e where e.contact_id = c.id and ${where}))`;
  const more = node.max === 0 ? sql`` : sql` group by e.contact_id having count(*) > ${node.max}`;
  return sql<SqlBool>`(c.id not in (select e.contact_id from events e where ${where}${more}))`;
}

function column(field: FieldRef, alias: string): Expr {
  if (field.column) return sql.ref(`${alias}.${field.column}`);
  return sql.ref(`${alias}.${field.entity === 'event' ? 'properties' : 'attributes'}`);
}

/** The field's value as `type`, or NULL when it is missing or holds another JSON type. */
function typed(ctx: CompileContext, field: FieldRef, alias: string, type: ValueType): Expr {
  const col = column(field, alias);
  if (field.column) return col;
  const path = field.jsonPath!;
  if (ctx.dialect === 'postgres') {
    const p = sql`${sql.val(path)}::text[]`;
    switch (type) {
      case 'text':
      case 'date':
        return sql`(case when jsonb_typeof(${col} #> ${p}) = 'string' then ${col} #>> ${p} end)`;
      case 'number':
        return sql`(case when jsonb_typeof(${col} #> ${p}) = 'number' then (${col} #>> ${p})::numeric end)`;
      case 'bool':
        return sql`(case when jsonb_typeof(${col} #> ${p}) = 'boolean' then (${col} #>> ${p})::boolean end)`;
    }
  }
  const p = '$.' + path.map((k) => `"${k}"`).join('.');
  switch (type) {
    case 'text':
    case 'date':
      return sql`(case when json_type(${col}, ${p}) = 'text' then json_extract(${col}, ${p}) end)`;
    case 'number':
      return sql`(case when json_type(${col}, ${p}) in ('integer', 'real') then json_extract(${col}, ${p}) end)`;
    case 'bool':
      return sql`(case json_type(${col}, ${p}) when 'true' then 1 when 'false' then 0 end)`;
  }
}

function valueType(v: TypedValue): ValueType {
  switch (v.type) {
    case 'texts':
      return 'text';
    case 'numbers':
      return 'number';
    case 'days':
      return 'date';
    case 'exists':
      return 'text';
    default:
      return v.type;
  }
}

function param(ctx: CompileContext, v: string | number | boolean, type: ValueType): Expr {
  if (ctx.dialect !== 'postgres') return sql.val(typeof v === 'boolean' ? (v ? 1 : 0) : v);
  if (type === 'number') return sql`${v}::numeric`;
  if (type === 'bool') return sql`${v}::boolean`;
  return sql`${v}::text`;
}

/** A built-in column or JSON path of the row `alias` compared with a typed value. */
export function condition(ctx: CompileContext, c: CheckedCondition, alias: string): Bool {
  const { field, op, value } = c;
  if (op === 'exists') {
    const present = existsExpr(ctx, field, alias);
    return value.type === 'exists' && !value.v ? sql<SqlBool>`(not ${present})` : present;
  }
  const type = valueType(value);
  const x = typed(ctx, field, alias, type);
  const pg = ctx.dialect === 'postgres';
  // Dates in JSON attributes are ISO 8601 text, compared byte-wise; built-in dates are epoch ms.
  const dateAsText = type === 'date' && !field.column;
  const cmp = (v: TypedValue): Expr => {
    if (v.type === 'date') return dateAsText ? param(ctx, v.text, 'text') : sql.val(v.ms);
    if (v.type === 'bool' && field.column) return sql.val(v.v ? 1 : 0);
    if (v.type === 'text' || v.type === 'number' || v.type === 'bool') return param(ctx, v.v, type);
    throw new Error(`no scalar for ${v.type}`);
  };
  const ord = dateAsText && pg ? sql`${x} collate "C"` : x;
  switch (op) {
    case 'eq':
      return sql<SqlBool>`(${x} = ${cmp(value)})`;
    case 'neq':
      return sql<SqlBool>`(${x} is null or ${x} <> ${cmp(value)})`;
    case 'in':
    case 'not_in': {
      const list = inList(ctx, value, type);
      return op === 'in'
        ? sql<SqlBool>`(${x} ${list.in})`
        : sql<SqlBool>`(${x} is null or not (${x} ${list.in}))`;
    }
    case 'contains': {
      const v = param(ctx, (value as { v: string }).v, 'text');
      return pg
        ? sql<SqlBool>`(strpos(lower(${x}), lower(${v})) > 0)`
        : sql<SqlBool>`(instr(lower(${x}), lower(${v})) > 0)`;
    }
    case 'starts_with': {
      const v = param(ctx, (value as { v: string }).v, 'text');
      return sql<SqlBool>`(substr(lower(${x}), 1, length(${v})) = lower(${v}))`;
    }
    case 'gt':
      return sql<SqlBool>`(${ord} > ${cmp(value)})`;
    case 'gte':
      return sql<SqlBool>`(${ord} >= ${cmp(value)})`;
    case 'lt':
      return sql<SqlBool>`(${ord} < ${cmp(value)})`;
    case 'lte':
      return sql<SqlBool>`(${ord} <= ${cmp(value)})`;
    case 'within_last': {
      const days = (value as { v: number }).v;
      const from = ctx.now - Math.round(days * DAY_MS);
      if (!dateAsText) return sql<SqlBool>`(${x} >= ${from} and ${x} <= ${ctx.now})`;
      const lo = param(ctx, new Date(from).toISOString(), 'text');
      const hi = param(ctx, new Date(ctx.now).toISOString(), 'text');
      return sql<SqlBool>`(${ord} >= ${lo} and ${ord} <= ${hi})`;
    }
  }
}

function inList(ctx: CompileContext, value: TypedValue, type: ValueType): { in: Expr } {
  const values = value.type === 'texts' || value.type === 'numbers' ? value.v : [];
  if (ctx.dialect === 'postgres') {
    return type === 'number'
      ? { in: sql`= any(${sql.val(values)}::numeric[])` }
      : { in: sql`= any(${sql.val(values)}::text[])` };
  }
  return { in: sql`in (${sql.join(values.map((v) => sql.val(v)))})` };
}

function existsExpr(ctx: CompileContext, field: FieldRef, alias: string): Bool {
  const col = column(field, alias);
  if (field.column) return sql<SqlBool>`(${col} is not null)`;
  const path = field.jsonPath!;
  if (ctx.dialect === 'postgres') {
    return sql<SqlBool>`coalesce(jsonb_typeof(${col} #> ${sql.val(path)}::text[]) <> 'null', false)`;
  }
  const p = '$.' + path.map((k) => `"${k}"`).join('.');
  return sql<SqlBool>`coalesce(json_type(${col}, ${p}) <> 'null', false)`;
}
