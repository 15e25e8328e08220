// Case-insensitive substring search that gives the same answer on both dialects, beyond ASCII.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Store } from './db.js';

const FOLD = 'baton_lower';
const registered = new WeakSet<object>();

/**
 * SQLite's lower() and LIKE fold ASCII letters only (`Élodie` would never match `élodie`), so SQLite
 * gets JavaScript's Unicode lower-casing as a function; PostgreSQL's lower() already folds Unicode.
 */
function fold(store: Store, expr: RawBuilder<unknown>): RawBuilder<unknown> {
  if (!store.sqlite) return sql`lower(${expr})`;
  if (!registered.has(store.sqlite)) {
    store.sqlite.function(FOLD, { deterministic: true }, (s: unknown) =>
      s === null || s === undefined ? null : String(s).toLowerCase(),
    );
    registered.add(store.sqlite);
  }
  return sql`${sql.raw(FOLD)}(${expr})`;
}

/** True when any of `exprs` contains `text`, ignoring case; `%`, `_` and `\` in `text` are literal. */
export function containsText(store: Store, exprs: RawBuilder<unknown>[], text: string): RawBuilder<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  const tests = exprs.map((e) => sql<SqlBool>`${fold(store, e)} like ${pattern} escape '\\'`);
  return sql<SqlBool>`(${sql.join(tests, sql` or `)})`;
}
