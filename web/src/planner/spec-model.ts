// The planner's pure half: the campaign spec as the form edits it (a plain object in the campaign-file
// shape), the segment rule tree as editable rows (with a raw fallback for what the rows cannot say), step
// conditions as a choice, and the API's field errors keyed by spec path. No imports and no DOM: the root
// type check and the unit tests (test/web/planner-model.test.ts) read this file too.

/** A campaign spec being edited: the campaign-file shape, not yet validated (the API does that). */
export type Spec = { [key: string]: unknown };

export const CHANNELS = ['email', 'ads', 'social', 'sms', 'webhook', 'task', 'log'] as const;
export const OBJECTIVES = ['leads', 'launch', 'pipeline', 'awareness', 'retention', 'custom'] as const;
export const GOAL_METRICS = [
  'conversions',
  'unique_converters',
  'value',
  'rate',
  'pipeline_created',
  'revenue_won',
] as const;
export const ATTRIBUTION_MODELS = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;
export const TASK_TYPES = ['call', 'linkedin_connect', 'linkedin_message', 'manual_email', 'custom'] as const;

// ---- paths into the spec ---------------------------------------------------------------------------

export type Path = ReadonlyArray<string | number>;

const isObject = (v: unknown): v is Spec => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getIn(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === 'number') cur = cur[key];
    else if (isObject(cur) && typeof key === 'string') cur = cur[key];
    else return undefined;
  }
  return cur;
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === '' || (isObject(v) && Object.keys(v).length === 0);

/**
 * A copy of `obj` with the value at `path` set; `undefined` or '' removes the key, and an object left
 * empty by the removal goes too (a cleared goal leaves no `goal: {}` behind). Array items are replaced
 * in place, never removed (removing a step is `removeAt`).
 */
export function setIn<T>(obj: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [key, ...rest] = path;
  if (typeof key === 'number') {
    const arr = Array.isArray(obj) ? [...(obj as unknown[])] : [];
    arr[key] = setIn(arr[key], rest, value);
    return arr as T;
  }
  const src: Spec = isObject(obj) ? obj : {};
  const next = setIn(src[key as string], rest, value);
  const out: Spec = { ...src };
  if (isEmpty(next)) delete out[key as string];
  else out[key as string] = next;
  return out as T;
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  return list.filter((_, i) => i !== index);
}

/** A path as the API writes it (`sequence.0.delay`), without the `body.` prefix of request errors. */
export function pathKey(path: Path): string {
  return path.join('.');
}

/** The API's field issues grouped by spec path (`body.goal.target` → `goal.target`). */
export function issuesByPath(
  issues: ReadonlyArray<{ path: string; message: string }>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of issues) {
    const key = i.path.replace(/^body(\.|$)/, '');
    out.set(key, [...(out.get(key) ?? []), i.message]);
  }
  return out;
}

/**
 * A number field's text as the spec value: '' is no value; text that is not a number as written (`ten`,
 * or `0.` half typed) is kept as is, so the field shows what was typed and the API names the problem.
 */
export function numberValue(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) && String(n) === t ? n : t;
}

// ---- audience reachability --------------------------------------------------------------------------

/** The reachability channel the audience preview applies: the campaign's first reach-limited channel. */
export function previewChannel(channels: readonly unknown[]): 'email' | 'sms' | 'none' {
  if (channels.includes('email')) return 'email';
  if (channels.includes('sms')) return 'sms';
  return 'none';
}

/** The audience part the preview API takes (same shape as `audience` in the spec, enrollment aside). */
export function previewBody(spec: Spec): Spec {
  const a = isObject(spec.audience) ? spec.audience : {};
  const out: Spec = {};
  for (const key of ['segment', 'segment_id', 'exclude', 'accounts'] as const) {
    if (a[key] !== undefined) out[key] = a[key];
  }
  const channels = Array.isArray(spec.channels) ? spec.channels : [];
  return { ...out, channel: previewChannel(channels), sample_size: 20 };
}

/** The audience's exclusions as one line: lists by name, saved segments as `segment:NAME`. */
export function excludeText(exclude: unknown): string {
  if (!Array.isArray(exclude)) return '';
  return exclude
    .map((x) =>
      isObject(x) && typeof x.list === 'string'
        ? x.list
        : isObject(x) && typeof x.segment_id === 'string'
          ? `segment:${x.segment_id}`
          : JSON.stringify(x),
    )
    .join(', ');
}

/** The exclusions of a line written as `excludeText` writes it. */
export function parseExclude(text: string): Spec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith('segment:') ? { segment_id: s.slice(8).trim() } : { list: s }));
}

// ---- segment rules as rows --------------------------------------------------------------------------

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
export type FieldKind = 'text' | 'number' | 'bool' | 'date' | 'json';

/** The built-in fields of src/domain/segment.ts (the unit test holds the two lists equal). */
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

/** Every field name a condition can start from (custom attributes are `attributes.NAME`). */
export const FIELD_NAMES: string[] = [
  ...Object.keys(CONTACT_FIELDS),
  ...Object.keys(ACCOUNT_FIELDS).map((f) => `account.${f}`),
];

export function fieldKind(attribute: string): FieldKind {
  const parts = attribute.split('.');
  if (parts[0] === 'account' && parts.length === 2) return ACCOUNT_FIELDS[parts[1]!] ?? 'json';
  if (parts.length === 1) return CONTACT_FIELDS[parts[0]!] ?? 'json';
  return 'json';
}

export type SegRow =
  /** `lone`: the root of a rule that was one condition, written back as that condition. */
  | { kind: 'group'; negate: boolean; join: 'all' | 'any'; children: SegRow[]; lone?: boolean }
  | { kind: 'attribute'; negate: boolean; attribute: string; op: Operator; value: string }
  | {
      kind: 'event';
      negate: boolean;
      event: string;
      did: boolean;
      countGte: string;
      countLte: string;
      withinDays: string;
      from: string;
      to: string;
    }
  | { kind: 'list'; negate: boolean; list: string }
  | { kind: 'segment'; negate: boolean; segment: string }
  /** A rule the rows cannot say (an event's `where`, a double `not`, a typo): edited as JSON. */
  | { kind: 'raw'; negate: boolean; text: string };

export type SegKind = SegRow['kind'];

export function emptyRow(kind: SegKind): SegRow {
  switch (kind) {
    case 'group':
      return { kind, negate: false, join: 'all', children: [] };
    case 'attribute':
      return { kind, negate: false, attribute: 'lifecycle_stage', op: 'eq', value: '' };
    case 'event':
      return {
        kind,
        negate: false,
        event: '',
        did: true,
        countGte: '',
        countLte: '',
        withinDays: '',
        from: '',
        to: '',
      };
    case 'list':
      return { kind, negate: false, list: '' };
    case 'segment':
      return { kind, negate: false, segment: '' };
    case 'raw':
      return { kind, negate: false, text: '{}' };
  }
}

const EVENT_KEYS = new Set(['event', 'did', 'count_gte', 'count_lte', 'within_days', 'between']);
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const onlyKeys = (o: Spec, keys: string[]): boolean => Object.keys(o).every((k) => keys.includes(k));

/** The text a condition value is edited as: lists comma-separated, scalars as written. */
export function valueText(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  return String(value);
}

/** A condition value from its text, typed by the field (a custom attribute's by how the text reads). */
export function parseValue(attribute: string, op: Operator, text: string): unknown {
  const kind = fieldKind(attribute);
  const t = text.trim();
  const typed = (s: string): string | number | boolean => {
    if (kind === 'number' || (kind === 'json' && /^-?\d+(\.\d+)?$/.test(s))) {
      const n = Number(s);
      return Number.isFinite(n) ? n : s;
    }
    if (kind === 'bool' || (kind === 'json' && (s === 'true' || s === 'false'))) {
      return s === 'true' ? true : s === 'false' ? false : s;
    }
    return s;
  };
  if (op === 'exists') return t === '' ? undefined : t === 'false' ? false : t === 'true' ? true : t;
  if (op === 'in' || op === 'not_in') {
    return t === ''
      ? []
      : t
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map(typed);
  }
  if (op === 'within_last') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : t;
  }
  return typed(t);
}

function raw(rule: unknown, negate: boolean): SegRow {
  return { kind: 'raw', negate, text: JSON.stringify(rule, null, 2) ?? 'null' };
}

/** The rows of one rule (a `not` becomes the row's negate flag; a second `not` is raw). */
export function ruleToRow(rule: unknown, negate = false): SegRow {
  if (!isObject(rule)) return raw(rule, negate);
  if ('not' in rule && Object.keys(rule).length === 1) {
    return negate ? raw(rule, true) : ruleToRow(rule.not, true);
  }
  if (('all' in rule || 'any' in rule) && Object.keys(rule).length === 1) {
    const list = rule.all ?? rule.any;
    if (!Array.isArray(list)) return raw(rule, negate);
    return {
      kind: 'group',
      negate,
      join: 'all' in rule ? 'all' : 'any',
      children: list.map((r) => ruleToRow(r)),
    };
  }
  if ('attribute' in rule && onlyKeys(rule, ['attribute', 'op', 'value'])) {
    const op = rule.op as Operator;
    const value = rule.value;
    const valueOk =
      value === undefined ||
      isScalar(value) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'));
    // A value that would not read back the same (a list under eq, a comma inside a list item) stays raw.
    const text = valueText(value);
    if (
      typeof rule.attribute === 'string' &&
      OPERATORS.includes(op) &&
      valueOk &&
      JSON.stringify(parseValue(rule.attribute, op, text)) === JSON.stringify(value)
    ) {
      return { kind: 'attribute', negate, attribute: rule.attribute, op, value: text };
    }
    return raw(rule, negate);
  }
  if ('event' in rule && Object.keys(rule).every((k) => EVENT_KEYS.has(k))) {
    const between = rule.between;
    const betweenOk =
      between === undefined ||
      (isObject(between) &&
        onlyKeys(between, ['from', 'to']) &&
        typeof between.from === 'string' &&
        typeof between.to === 'string');
    const num = (v: unknown): v is number | undefined => v === undefined || typeof v === 'number';
    if (
      typeof rule.event === 'string' &&
      (rule.did === undefined || typeof rule.did === 'boolean') &&
      num(rule.count_gte) &&
      num(rule.count_lte) &&
      num(rule.within_days) &&
      betweenOk
    ) {
      const b = between as { from: string; to: string } | undefined;
      return {
        kind: 'event',
        negate,
        event: rule.event,
        did: rule.did !== false,
        countGte: valueText(rule.count_gte),
        countLte: valueText(rule.count_lte),
        withinDays: valueText(rule.within_days),
        from: b?.from ?? '',
        to: b?.to ?? '',
      };
    }
    return raw(rule, negate);
  }
  if ('list' in rule && Object.keys(rule).length === 1 && typeof rule.list === 'string') {
    return { kind: 'list', negate, list: rule.list };
  }
  if ('segment' in rule && Object.keys(rule).length === 1 && typeof rule.segment === 'string') {
    return { kind: 'segment', negate, segment: rule.segment };
  }
  return raw(rule, negate);
}

/** A raw row whose JSON does not parse: the rule cannot be built until it is fixed. */
export class RawRuleError extends Error {}

/** The rule of a row (throws RawRuleError when a raw row is not JSON). */
export function rowToRule(row: SegRow): unknown {
  const inner = ((): unknown => {
    switch (row.kind) {
      case 'group':
        return { [row.join]: row.children.map(rowToRule) };
      case 'attribute': {
        const value = parseValue(row.attribute, row.op, row.value);
        return value === undefined
          ? { attribute: row.attribute, op: row.op }
          : { attribute: row.attribute, op: row.op, value };
      }
      case 'event': {
        const out: Spec = { event: row.event };
        if (!row.did) out.did = false;
        const n = (s: string): unknown => numberValue(s);
        if (row.countGte.trim() !== '') out.count_gte = n(row.countGte);
        if (row.countLte.trim() !== '') out.count_lte = n(row.countLte);
        if (row.withinDays.trim() !== '') out.within_days = n(row.withinDays);
        if (row.from.trim() !== '' || row.to.trim() !== '') {
          out.between = { from: row.from.trim(), to: row.to.trim() };
        }
        return out;
      }
      case 'list':
        return { list: row.list };
      case 'segment':
        return { segment: row.segment };
      case 'raw':
        try {
          return JSON.parse(row.text) as unknown;
        } catch (e) {
          throw new RawRuleError(`a raw rule is not JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
    }
  })();
  return row.negate ? { not: inner } : inner;
}

/**
 * The editor's root for a segment: always a group (a lone condition is a group of one, which
 * `rootToRule` writes back as the lone condition while it stays alone); no segment is an empty group.
 */
export function ruleToRoot(rule: unknown): SegRow & { kind: 'group' } {
  if (rule === undefined) return { kind: 'group', negate: false, join: 'all', children: [] };
  const row = ruleToRow(rule);
  return row.kind === 'group'
    ? row
    : { kind: 'group', negate: false, join: 'all', children: [row], lone: true };
}

/** The segment rule of the editor's root; undefined when there is no condition at all. */
export function rootToRule(root: SegRow & { kind: 'group' }): unknown {
  if (root.children.length === 0 && !root.negate) return undefined;
  if (root.lone && root.children.length === 1 && !root.negate && root.join === 'all') {
    return rowToRule(root.children[0]!);
  }
  const { lone: _, ...group } = root;
  return rowToRule(group);
}

/** Edits the row at `at` (indexes of children from the root) with `f`. */
export function updateRow(root: SegRow, at: readonly number[], f: (row: SegRow) => SegRow | null): SegRow {
  if (at.length === 0) return f(root) ?? root;
  if (root.kind !== 'group') return root;
  const [i, ...rest] = at;
  const children: SegRow[] = [];
  root.children.forEach((c, k) => {
    if (k !== i) children.push(c);
    else if (rest.length === 0) {
      const next = f(c);
      if (next) children.push(next);
    } else children.push(updateRow(c, rest, f));
  });
  return { ...root, children };
}

// ---- step conditions ----------------------------------------------------------------------------------

export const CONDITION_OUTCOMES = ['opened', 'clicked', 'replied', 'delivered'] as const;
export type ConditionOutcome = (typeof CONDITION_OUTCOMES)[number];

/** A step's `when` as the form offers it: always, (not) OUTCOME of an earlier step, or raw JSON. */
export type WhenChoice =
  | { kind: 'always' }
  | { kind: 'simple'; negate: boolean; outcome: ConditionOutcome; step: string }
  | { kind: 'raw'; text: string };

export function whenToChoice(when: unknown): WhenChoice {
  if (when === undefined) return { kind: 'always' };
  let negate = false;
  let cond: unknown = when;
  if (isObject(cond) && Object.keys(cond).length === 1 && 'not' in cond) {
    negate = true;
    cond = cond.not;
  }
  if (isObject(cond) && Object.keys(cond).length === 1) {
    const [key, step] = Object.entries(cond)[0]!;
    if ((CONDITION_OUTCOMES as readonly string[]).includes(key) && typeof step === 'string') {
      return { kind: 'simple', negate, outcome: key as ConditionOutcome, step };
    }
  }
  return { kind: 'raw', text: JSON.stringify(when, null, 2) ?? '' };
}

/** The `when` of a choice; a raw choice that is not JSON is kept as its text (the API names the error). */
export function choiceToWhen(c: WhenChoice): unknown {
  if (c.kind === 'always') return undefined;
  if (c.kind === 'simple') {
    const cond = { [c.outcome]: c.step };
    return c.negate ? { not: cond } : cond;
  }
  try {
    return JSON.parse(c.text) as unknown;
  } catch {
    return c.text;
  }
}

// ---- launch -----------------------------------------------------------------------------------------

/** Why Launch is disabled, in words, or null when it may be pressed. */
export function launchBlocker(state: {
  fieldErrors: number;
  blocking: Array<{ code: string; message: string }> | null;
  checking: boolean;
}): string | null {
  if (state.fieldErrors > 0) {
    return `Launch is disabled: ${state.fieldErrors} field error(s) must be fixed first.`;
  }
  if (state.blocking === null) return 'Launch waits for the guardrail check.';
  if (state.blocking.length > 0) {
    return `Launch is disabled: ${state.blocking.length} blocking finding(s) must be fixed first (${state.blocking
      .map((f) => f.code)
      .join(', ')}).`;
  }
  if (state.checking) return 'Launch waits for the guardrail check.';
  return null;
}

/** A new step id not used yet: `step-1`, `step-2`, … */
export function nextStepId(sequence: readonly unknown[]): string {
  const used = new Set(sequence.map((s) => (isObject(s) ? s.id : undefined)));
  let n = sequence.length + 1;
  while (used.has(`step-${n}`)) n++;
  return `step-${n}`;
}
