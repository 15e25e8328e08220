// Segment rules: the JSON/YAML rule tree (all / any / not over attribute, account, behaviour and
// membership conditions), its validation into a typed tree, and reference checks (missing, cycles).
import { z } from 'zod';
import { BatonError, zodIssues, type FieldIssue } from './errors.js';

export const OPERATORS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'within_last',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a field holds; `json` is a free-form attribute whose type the condition's value decides. */
export type FieldKind = 'text' | 'number' | 'bool' | 'date' | 'json';

const OPS_BY_KIND: Record<FieldKind, readonly Operator[]> = {
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists'],
  number: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists'],
  bool: ['eq', 'neq', 'exists'],
  date: ['gt', 'gte', 'lt', 'lte', 'within_last', 'exists'],
  json: OPERATORS,
};

export const CONTACT_FIELDS: Record<string, FieldKind> = {
  external_id: 'text',
  email: 'text',
  phone: 'text',
  first_name: 'text',
  last_name: 'text',
  title: 'text',
  time_zone: 'text',
  lifecycle_stage: 'text',
  subscription_status: 'text',
  account_id: 'text',
  sms_consent: 'bool',
  created_at: 'date',
  updated_at: 'date',
};

export const ACCOUNT_FIELDS: Record<string, FieldKind> = {
  external_id: 'text',
  domain: 'text',
  name: 'text',
  industry: 'text',
  owner: 'text',
  size: 'number',
  created_at: 'date',
  updated_at: 'date',
};

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const MAX_NODES = 500;
const MAX_DEPTH = 16;
export const DAY_MS = 86_400_000;

// ---- the rule tree as written ----------------------------------------------------------------------

export type Scalar = string | number | boolean;
export interface AttributeCondition {
  attribute: string;
  op: Operator;
  value?: Scalar | Scalar[];
}
export interface PropertyCondition {
  property: string;
  op: Operator;
  value?: Scalar | Scalar[];
}
export interface EventCondition {
  event: string;
  did?: boolean;
  count_gte?: number;
  count_lte?: number;
  within_days?: number;
  between?: { from: string; to: string };
  where?: PropertyCondition[];
}
export type RuleNode =
  | { all: RuleNode[] }
  | { any: RuleNode[] }
  | { not: RuleNode }
  | AttributeCondition
  | EventCondition
  | { list: string }
  | { segment: string };

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const conditionValue = z.union([scalar, z.array(z.union([z.string(), z.number()]))]).optional();
const attributeShape = z
  .object({ attribute: z.string().min(1), op: z.enum(OPERATORS), value: conditionValue })
  .strict();
const propertyShape = z
  .object({ property: z.string().min(1), op: z.enum(OPERATORS), value: conditionValue })
  .strict();
const eventShape = z
  .object({
    event: z.string().min(1, 'names the event, for example pricing_page_viewed'),
    did: z.boolean().optional(),
    count_gte: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
    count_lte: z.number().int('must be a whole number').min(0, 'must not be negative').optional(),
    within_days: z.number().int('must be a whole number of days').positive('must be at least 1').optional(),
    between: z.object({ from: z.string(), to: z.string() }).strict().optional(),
    where: z.array(z.unknown()).optional(),
  })
  .strict();
const listShape = z.object({ list: z.string().min(1, 'names a list (its id or name)') }).strict();
const segmentShape = z
  .object({ segment: z.string().min(1, 'names a saved segment (its id or name)') })
  .strict();

/** The rule tree for OpenAPI and typing; `parseRule` does the validation with precise messages. */
export const ruleNodeSchema: z.ZodType<RuleNode> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(ruleNodeSchema) }).strict(),
    z.object({ any: z.array(ruleNodeSchema) }).strict(),
    z.object({ not: ruleNodeSchema }).strict(),
    attributeShape,
    eventShape.extend({ where: z.array(propertyShape).optional() }),
    listShape,
    segmentShape,
  ]),
) as z.ZodType<RuleNode>;

// ---- the checked tree the compiler consumes ---------------------------------------------------------

export interface FieldRef {
  entity: 'contact' | 'account' | 'event';
  /** A built-in column, or undefined for a JSON path into `attributes` / `properties`. */
  column?: string;
  jsonPath?: string[];
  kind: FieldKind;
}

export type TypedValue =
  | { type: 'text'; v: string }
  | { type: 'number'; v: number }
  | { type: 'bool'; v: boolean }
  /** `ms` for epoch columns; `text` (ISO 8601) for dates kept as text in JSON attributes. */
  | { type: 'date'; ms: number; text: string }
  | { type: 'texts'; v: string[] }
  | { type: 'numbers'; v: number[] }
  | { type: 'days'; v: number }
  | { type: 'exists'; v: boolean };

export interface CheckedCondition {
  field: FieldRef;
  op: Operator;
  value: TypedValue;
}

export type CheckedNode =
  | { kind: 'all' | 'any'; children: CheckedNode[] }
  | { kind: 'not'; child: CheckedNode }
  | ({ kind: 'field' } & CheckedCondition)
  | {
      kind: 'event';
      event: string;
      /** Matches when min ≤ count ≤ max over the window (did-not is min 0, max 0). */
      min: number;
      max?: number;
      withinDays?: number;
      fromMs?: number;
      toMs?: number;
      where: CheckedCondition[];
    }
  | { kind: 'list'; ref: string; path: string }
  | { kind: 'segment'; ref: string; path: string };

// ---- validation ---------------------------------------------------------------------------------

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_HELP = 'a date such as 2027-01-31 or a UTC time such as 2027-01-31T09:00:00Z';

/** Parses an ISO date (midnight UTC) or date-time with a zone; undefined when it is not one. */
export function parseDate(s: string): { ms: number; text: string } | undefined {
  if (DATE_ONLY.test(s)) {
    const ms = Date.parse(`${s}T00:00:00Z`);
    if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== s) return undefined;
    return { ms, text: s };
  }
  if (DATE_TIME.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isFinite(ms) || Number.isNaN(Date.parse(s.slice(0, 10)))) return undefined;
    if (new Date(Date.parse(`${s.slice(0, 10)}T00:00:00Z`)).toISOString().slice(0, 10) !== s.slice(0, 10))
      return undefined;
    return { ms, text: new Date(ms).toISOString() };
  }
  return undefined;
}

function resolveField(name: string, where: 'contact' | 'event'): FieldRef | string {
  const parts = name.split('.');
  const jsonPath = (rest: string[]): string[] | undefined =>
    rest.length > 0 && rest.every((p) => KEY.test(p)) ? rest : undefined;
  if (where === 'event') {
    const path = jsonPath(parts);
    return path
      ? { entity: 'event', jsonPath: path, kind: 'json' }
      : `${JSON.stringify(name)} is not a property name`;
  }
  const entity = parts[0] === 'account' ? 'account' : 'contact';
  const rest = entity === 'account' ? parts.slice(1) : parts;
  const builtIn = entity === 'account' ? ACCOUNT_FIELDS : CONTACT_FIELDS;
  if (rest.length === 1 && rest[0] !== undefined && Object.hasOwn(builtIn, rest[0])) {
    return { entity, column: rest[0], kind: builtIn[rest[0]]! };
  }
  if (rest[0] === 'attributes') {
    const path = jsonPath(rest.slice(1));
    if (path) return { entity, jsonPath: path, kind: 'json' };
  }
  const prefix = entity === 'account' ? 'account.' : '';
  return (
    `${JSON.stringify(name)} is not a known field; use one of ${Object.keys(builtIn)
      .map((f) => prefix + f)
      .join(', ')}, ${prefix}attributes.NAME` + (entity === 'contact' ? ' or account.FIELD' : '')
  );
}

function typedValue(field: FieldRef, op: Operator, value: unknown): TypedValue | string {
  const kind = field.kind;
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  switch (op) {
    case 'exists':
      if (value === undefined) return { type: 'exists', v: true };
      return typeof value === 'boolean'
        ? { type: 'exists', v: value }
        : '`exists` takes true, false or no value';
    case 'eq':
    case 'neq':
      if (kind === 'text' || (kind === 'json' && typeof value === 'string'))
        return typeof value === 'string'
          ? { type: 'text', v: value }
          : `\`${op}\` on this field takes a text value`;
      if (kind === 'number' || (kind === 'json' && typeof value === 'number'))
        return isNum(value) ? { type: 'number', v: value } : `\`${op}\` on this field takes a number`;
      if (kind === 'bool' || (kind === 'json' && typeof value === 'boolean'))
        return typeof value === 'boolean'
          ? { type: 'bool', v: value }
          : `\`${op}\` on this field takes true or false`;
      return `\`${op}\` takes a text, number or true/false value`;
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value)) return `\`${op}\` takes a list of values, for example [lead, mql]`;
      if (value.length === 0) return `\`${op}\` needs at least one value in its list`;
      if (value.length > 10_000) return `\`${op}\` takes at most 10,000 values`;
      const allText = value.every((v) => typeof v === 'string');
      const allNum = value.every(isNum);
      if ((kind === 'text' || kind === 'json') && allText) return { type: 'texts', v: value as string[] };
      if ((kind === 'number' || kind === 'json') && allNum) return { type: 'numbers', v: value as number[] };
      return kind === 'number'
        ? `\`${op}\` on this field takes a list of numbers`
        : kind === 'text'
          ? `\`${op}\` on this field takes a list of text values`
          : `\`${op}\` takes a list of text values or a list of numbers, not a mix`;
    }
    case 'contains':
    case 'starts_with':
      return typeof value === 'string' && value.length > 0
        ? { type: 'text', v: value }
        : `\`${op}\` takes a non-empty text value`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if ((kind === 'number' || kind === 'json') && isNum(value)) return { type: 'number', v: value };
      if ((kind === 'date' || kind === 'json') && typeof value === 'string') {
        const d = parseDate(value);
        return d ? { type: 'date', ...d } : `${JSON.stringify(value)} is not ${DATE_HELP}`;
      }
      return kind === 'date'
        ? `\`${op}\` on a date field takes ${DATE_HELP}`
        : kind === 'number'
          ? `\`${op}\` on this field takes a number`
          : `\`${op}\` takes a number or ${DATE_HELP}`;
    }
    case 'within_last':
      return isNum(value) && value > 0
        ? { type: 'days', v: value }
        : '`within_last` takes a positive number of days, for example 30';
  }
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function checkCondition(
  raw: { op: Operator; value?: unknown },
  name: string,
  where: 'contact' | 'event',
  path: string,
  issues: FieldIssue[],
): CheckedCondition | undefined {
  const field = resolveField(name, where);
  if (typeof field === 'string') {
    issues.push({ path: join(path, where === 'event' ? 'property' : 'attribute'), message: field });
    return undefined;
  }
  if (!OPS_BY_KIND[field.kind].includes(raw.op)) {
    issues.push({
      path: join(path, 'op'),
      message: `\`${raw.op}\` does not apply to ${name} (a ${field.kind} field); use one of ${OPS_BY_KIND[field.kind].join(', ')}`,
    });
    return undefined;
  }
  const value = typedValue(field, raw.op, raw.value);
  if (typeof value === 'string') {
    issues.push({ path: join(path, 'value'), message: value });
    return undefined;
  }
  return { field, op: raw.op, value };
}

const NODE_KEYS = ['all', 'any', 'not', 'attribute', 'event', 'list', 'segment'] as const;
const NODE_HELP =
  'a rule is a group ({ all: [...] }, { any: [...] }, { not: {...} }) or a condition ' +
  '({ attribute, op, value }, { event, ... }, { list }, { segment })';

function checkNode(
  raw: unknown,
  path: string,
  depth: number,
  issues: FieldIssue[],
  counter: { n: number },
): CheckedNode | undefined {
  const at = path || '(root)';
  if (++counter.n > MAX_NODES) {
    if (counter.n === MAX_NODES + 1)
      issues.push({ path: at, message: `a rule has at most ${MAX_NODES} nodes` });
    return undefined;
  }
  if (depth > MAX_DEPTH) {
    issues.push({ path: at, message: `rules nest at most ${MAX_DEPTH} levels deep` });
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push({ path: at, message: `is not a rule: ${NODE_HELP}` });
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  const key = NODE_KEYS.find((k) => k in obj);
  const sub = (k: string): string => (path ? `${path}.${k}` : k);
  const shapeIssues = (r: { success: boolean; error?: z.ZodError }): boolean => {
    if (r.success) return false;
    issues.push(...zodIssues(r.error!.issues, path).map((i) => withAllowedKeys(i, obj, key)));
    return true;
  };
  switch (key) {
    case 'all':
    case 'any': {
      const extra = Object.keys(obj).filter((k) => k !== key);
      if (extra.length > 0) {
        issues.push({
          path: sub(extra[0]!),
          message: `a group holds only \`${key}\`; put conditions inside it`,
        });
        return undefined;
      }
      const list = obj[key];
      if (!Array.isArray(list) || list.length === 0) {
        issues.push({ path: sub(key), message: `\`${key}\` takes a non-empty list of rules` });
        return undefined;
      }
      const children = list.map((c, i) => checkNode(c, `${sub(key)}.${i}`, depth + 1, issues, counter));
      return children.every((c) => c !== undefined) ? { kind: key, children } : undefined;
    }
    case 'not': {
      const extra = Object.keys(obj).filter((k) => k !== 'not');
      if (extra.length > 0) {
        issues.push({ path: sub(extra[0]!), message: '`not` holds exactly one rule and nothing else' });
        return undefined;
      }
      const child = checkNode(obj.not, sub('not'), depth + 1, issues, counter);
      return child && { kind: 'not', child };
    }
    case 'attribute': {
      const r = attributeShape.safeParse(obj);
      if (shapeIssues(r) || !r.success) return undefined;
      const c = checkCondition(r.data, r.data.attribute, 'contact', path, issues);
      return c && { kind: 'field', ...c };
    }
    case 'event':
      return checkEvent(obj, path, issues);
    case 'list': {
      const r = listShape.safeParse(obj);
      if (shapeIssues(r) || !r.success) return undefined;
      return { kind: 'list', ref: r.data.list, path: sub('list') };
    }
    case 'segment': {
      const r = segmentShape.safeParse(obj);
      if (shapeIssues(r) || !r.success) return undefined;
      return { kind: 'segment', ref: r.data.segment, path: sub('segment') };
    }
    default:
      issues.push({ path: at, message: `is not a rule: ${NODE_HELP}` });
      return undefined;
  }
}

const ALLOWED_KEYS: Record<string, string> = {
  attribute: 'attribute, op, value',
  event: 'event, did, count_gte, count_lte, within_days, between, where',
  list: 'list',
  segment: 'segment',
};

function withAllowedKeys(
  issue: FieldIssue,
  obj: Record<string, unknown>,
  key: string | undefined,
): FieldIssue {
  if (/unrecognized key/i.test(issue.message) && key) {
    const known = ALLOWED_KEYS[key]!.split(', ');
    const unknown = Object.keys(obj).find((k) => !known.includes(k));
    return {
      path: issue.path,
      message: `unknown key ${JSON.stringify(unknown)}; a ${key} condition takes ${ALLOWED_KEYS[key]}`,
    };
  }
  if (issue.path.endsWith('.op') || issue.path === 'op') {
    return { path: issue.path, message: `is not an operator; use one of ${OPERATORS.join(', ')}` };
  }
  return issue;
}

function checkEvent(
  obj: Record<string, unknown>,
  path: string,
  issues: FieldIssue[],
): CheckedNode | undefined {
  const r = eventShape.safeParse(obj);
  if (!r.success) {
    issues.push(...zodIssues(r.error.issues, path).map((i) => withAllowedKeys(i, obj, 'event')));
    return undefined;
  }
  const e = r.data;
  const sub = (k: string): string => (path ? `${path}.${k}` : k);
  const before = issues.length;
  if (e.did === false && (e.count_gte !== undefined || e.count_lte !== undefined)) {
    issues.push({ path: sub('did'), message: '`did: false` means zero times; drop count_gte / count_lte' });
  }
  if (e.count_gte !== undefined && e.count_lte !== undefined && e.count_gte > e.count_lte) {
    issues.push({ path: sub('count_lte'), message: 'must be at least count_gte' });
  }
  if (e.within_days !== undefined && e.between !== undefined) {
    issues.push({ path: sub('between'), message: 'use either within_days or between, not both' });
  }
  let fromMs: number | undefined;
  let toMs: number | undefined;
  if (e.between) {
    const from = parseDate(e.between.from);
    const to = parseDate(e.between.to);
    if (!from) issues.push({ path: sub('between.from'), message: `is not ${DATE_HELP}` });
    if (!to) issues.push({ path: sub('between.to'), message: `is not ${DATE_HELP}` });
    if (from && to) {
      fromMs = from.ms;
      // A date-only end includes that whole day.
      toMs = DATE_ONLY.test(e.between.to) ? to.ms + DAY_MS : to.ms;
      if (toMs <= fromMs) issues.push({ path: sub('between.to'), message: 'must be after between.from' });
    }
  }
  const where: CheckedCondition[] = [];
  (e.where ?? []).forEach((w, i) => {
    const wp = `${sub('where')}.${i}`;
    const pr = propertyShape.safeParse(w);
    if (!pr.success) {
      issues.push(...zodIssues(pr.error.issues, wp));
      return;
    }
    const c = checkCondition(pr.data, pr.data.property, 'event', wp, issues);
    if (c) where.push(c);
  });
  if (issues.length > before) return undefined;
  const did = e.did ?? true;
  const min = did ? (e.count_gte ?? (e.count_lte !== undefined ? 0 : 1)) : 0;
  const max = did ? e.count_lte : 0;
  return {
    kind: 'event',
    event: e.event,
    min,
    ...(max !== undefined ? { max } : {}),
    ...(e.within_days !== undefined ? { withinDays: e.within_days } : {}),
    ...(fromMs !== undefined ? { fromMs, toMs } : {}),
    where,
  };
}

/** Validates a rule tree; issues carry the JSON path of the offending node under `prefix`. */
export function checkRule(raw: unknown, prefix = ''): { rule?: CheckedNode; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const rule = checkNode(raw, prefix, 0, issues, { n: 0 });
  return issues.length === 0 && rule ? { rule, issues } : { issues };
}

/** Validates a rule tree or throws `invalid_input` naming the path and what is allowed. */
export function parseRule(raw: unknown, prefix = ''): CheckedNode {
  const { rule, issues } = checkRule(raw, prefix);
  if (!rule) throw BatonError.invalid(issues);
  return rule;
}

// ---- references -----------------------------------------------------------------------------------

/** Every list / segment reference in a checked tree, with the JSON path where it is made. */
export function referencesOf(rule: CheckedNode): {
  lists: Array<{ ref: string; path: string }>;
  segments: Array<{ ref: string; path: string }>;
} {
  const lists: Array<{ ref: string; path: string }> = [];
  const segments: Array<{ ref: string; path: string }> = [];
  const walk = (n: CheckedNode): void => {
    if (n.kind === 'all' || n.kind === 'any') n.children.forEach(walk);
    else if (n.kind === 'not') walk(n.child);
    else if (n.kind === 'list') lists.push({ ref: n.ref, path: n.path });
    else if (n.kind === 'segment') segments.push({ ref: n.ref, path: n.path });
  };
  walk(rule);
  return { lists, segments };
}

export interface KnownSegment {
  id: string;
  name: string;
  rule: CheckedNode;
}

/**
 * Checks that every referenced segment exists and that no segment contains itself, following
 * references through `lookup` (by id or name). `self` is the segment being saved, if any.
 */
export function checkSegmentReferences(
  rule: CheckedNode,
  lookup: (ref: string) => KnownSegment | undefined,
  self?: { id?: string; name: string },
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const visit = (
    node: CheckedNode,
    trail: string[],
    trailIds: string[],
    rootPath: string | undefined,
  ): void => {
    for (const { ref, path } of referencesOf(node).segments) {
      const where = rootPath ?? path;
      const target = self && (ref === self.id || ref === self.name) ? undefined : lookup(ref);
      const isSelf = self !== undefined && (ref === self.id || ref === self.name);
      const id = isSelf ? (self.id ?? `name:${self.name}`) : target?.id;
      const name = isSelf ? self.name : target?.name;
      if (id === undefined || name === undefined) {
        const via =
          rootPath === undefined
            ? ''
            : `segment ${JSON.stringify(trail[trail.length - 1])} refers to a missing segment: `;
        issues.push({
          path: where,
          message: `${via}no saved segment has the id or name ${JSON.stringify(ref)}; save it first or fix the reference`,
        });
        continue;
      }
      if (trailIds.includes(id)) {
        const cycle = [...trail.slice(trailIds.indexOf(id)), name];
        issues.push({
          path: where,
          message: `segments refer to each other in a cycle (${cycle.join(' → ')}); a segment cannot include itself`,
        });
        continue;
      }
      if (target) visit(target.rule, [...trail, name], [...trailIds, id], where);
    }
  };
  const rootName = self?.name ?? '(this rule)';
  const rootId = self ? (self.id ?? `name:${self.name}`) : '(root)';
  visit(rule, [rootName], [rootId], undefined);
  return issues;
}
