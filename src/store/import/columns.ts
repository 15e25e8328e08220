// The header row of an import file: which column feeds which field, and which go into `attributes`.
import type { z } from 'zod';
import { BatonError } from '../../domain/errors.js';

/** One problem with one row of an import file. */
export interface RowIssue {
  /** 1-based line of the file where the row starts. */
  line: number;
  /** The header name of the offending column, or '' when the row as a whole is wrong. */
  column: string;
  reason: string;
}

export interface HeaderPlan<F extends string> {
  /** Header names as written in the file (trimmed). */
  names: string[];
  /** Column index of each known field, -1 when the file has no such column. */
  index: Record<F, number>;
  /** Columns that are not fields: [index, attribute key]. */
  extras: Array<[number, string]>;
}

/** `First Name` and `first-name` both mean `first_name`. */
export function fieldName(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

export function planHeader<F extends string>(
  header: string[],
  fields: readonly F[],
  requireOneOf: readonly F[],
): HeaderPlan<F> {
  const names = header.map((h) => h.trim());
  const index = Object.fromEntries(fields.map((f) => [f, -1])) as Record<F, number>;
  const extras: Array<[number, string]> = [];
  const seen = new Map<string, number>();
  const issues: Array<{ path: string; message: string }> = [];
  names.forEach((name, i) => {
    const key = fieldName(name);
    if (name === '') {
      issues.push({ path: `column ${i + 1}`, message: 'has no name in the header row' });
      return;
    }
    const before = seen.get(key);
    if (before !== undefined) {
      issues.push({
        path: name,
        message: `appears twice in the header row (columns ${before + 1} and ${i + 1})`,
      });
      return;
    }
    seen.set(key, i);
    if ((fields as readonly string[]).includes(key)) index[key as F] = i;
    else extras.push([i, name]);
  });
  if (requireOneOf.every((f) => index[f] < 0)) {
    issues.push({ path: 'header', message: `needs ${requireOneOf.map(article).join(' or ')} column` });
  }
  if (issues.length > 0) {
    throw BatonError.invalid(
      issues.map((i) => ({ path: `line 1, ${i.path}`, message: i.message })),
      `the header row is not usable: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  return { names, index, extras };
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** The message the API's zod schema gives for a value (the same words in the API and the import). */
export function schemaMessage(schema: z.ZodType, value: unknown): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'is not valid');
}

/** The cells of unknown columns as a JSON object text, or undefined when they are all empty. */
export function extrasJson(fields: string[], extras: Array<[number, string]>): string | undefined {
  // Built as text: JSON.stringify of one string at a time is several times cheaper than of an object.
  let out = '';
  for (const [i, key] of extras) {
    const v = fields[i]!.trim();
    if (v !== '') out += (out === '' ? '{' : ',') + JSON.stringify(key) + ':' + JSON.stringify(v);
  }
  return out === '' ? undefined : out + '}';
}

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0']);

/** CSV spelling of a boolean: 1 / 0, or undefined when the text is none of true/false/yes/no/1/0. */
export function parseFlag(text: string): 0 | 1 | undefined {
  const t = text.toLowerCase();
  return TRUE.has(t) ? 1 : FALSE.has(t) ? 0 : undefined;
}
