// Text that no store can keep: PostgreSQL refuses a NUL character in text and jsonb, and a lone UTF-16
// surrogate (half of a pair, which JSON can carry as `\ud800`) in jsonb. Input carrying either is refused at the
// edge with the path of the value, instead of failing deep in a write with a database error.

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Whether `s` can be stored as text and inside JSON on every dialect. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/**
 * The JSON path (`properties.url`, `batch.3.name`) of the first key or string value in `value` that cannot be
 * stored, or null when everything can. `base` prefixes the path.
 */
export function unstorableTextPath(value: unknown, base = ''): string | null {
  const stack: Array<[unknown, string]> = [[value, base]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return path || '(root)';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], path ? `${path}.${i}` : String(i)]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const at = path ? `${path}.${k}` : k;
        if (!isStorableText(k)) return at;
        stack.push([child, at]);
      }
    }
  }
  return null;
}

export const UNSTORABLE_TEXT =
  'contains a NUL character or a lone UTF-16 surrogate, which Baton cannot store';

/** `s` with every NUL character and lone surrogate replaced by U+FFFD (the Unicode replacement character). */
export function toStorableText(s: string): string {
  if (isStorableText(s)) return s;
  return s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');
}

/**
 * `value` itself when everything in it can be stored, else a copy with each bad key and string value made
 * storable: for text Baton records on its own account (a bounce's diagnostic line, a user agent), where
 * refusing would lose the event.
 */
export function toStorableJson<T>(value: T): T {
  if (unstorableTextPath(value) === null) return value;
  const copy = (v: unknown): unknown => {
    if (typeof v === 'string') return toStorableText(v);
    if (Array.isArray(v)) return v.map(copy);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, child]) => [toStorableText(k), copy(child)]),
      );
    }
    return v;
  };
  return copy(value) as T;
}
