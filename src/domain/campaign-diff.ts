// A small structural JSON diff for campaign revisions: the leaf paths whose value changed.

export interface DiffEntry {
  /** Dotted path (`sequence.1.delay`); array elements by index. */
  path: string;
  /** Absent (undefined) when the value was added. */
  before?: unknown;
  /** Absent (undefined) when the value was removed. */
  after?: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Entries for every path where `before` and `after` differ, in document order. */
export function jsonDiff(before: unknown, after: unknown, path = ''): DiffEntry[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((k) => !(k in before))];
    return keys.flatMap((k) => jsonDiff(before[k], after[k], join(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      out.push(...jsonDiff(before[i], after[i], join(path, String(i))));
    }
    return out;
  }
  if (canonicalJson(before) === canonicalJson(after)) return [];
  const entry: DiffEntry = { path };
  if (before !== undefined) entry.before = before;
  if (after !== undefined) entry.after = after;
  return [entry];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** JSON with object keys sorted, so equal values serialise equally (used for hashes and equality). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (value[k] !== undefined) out[k] = sortKeys(value[k]);
    }
    return out;
  }
  return value;
}
