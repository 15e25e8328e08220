// Bulk writes of one import: prepared statements on the raw SQLite handle (one row each, no per-row
// promise), multi-row statements of 500 rows on PostgreSQL. Both run inside the import's one transaction.
import type SQLite from 'better-sqlite3';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';

export type Cell = string | number | null;

export interface TableSpec {
  table: 'contacts' | 'accounts';
  /** Data columns, in the order of the values handed to insert/update. */
  columns: readonly string[];
  /** PostgreSQL types of columns that are not text (for the typed VALUES list of a batch update). */
  pgTypes: Readonly<Record<string, string>>;
}

export interface TableWriter {
  /** A new row. `attributes` is a JSON object text. */
  insert(id: string, values: Cell[], attributes: string): void;
  /** Changes an existing row: null values keep the stored value, attributes merge into the stored ones. */
  update(id: string, values: Cell[], attributes: string): void;
  /** Sends what is pending (PostgreSQL: full batches; all of it when `final`). */
  flush(final: boolean): Promise<void>;
}

export function sqliteWriter(
  sqlite: SQLite.Database,
  spec: TableSpec,
  workspaceId: string,
  now: number,
): TableWriter {
  const cols = spec.columns;
  const insert = sqlite.prepare(
    `INSERT INTO ${spec.table} (id, workspace_id, ${cols.join(', ')}, attributes, created_at, updated_at) ` +
      `VALUES (${Array(cols.length + 5)
        .fill('?')
        .join(', ')})`,
  );
  const update = sqlite.prepare(
    `UPDATE ${spec.table} SET ${cols.map((c) => `${c} = coalesce(?, ${c})`).join(', ')}, ` +
      `attributes = json_patch(attributes, ?), updated_at = ? WHERE workspace_id = ? AND id = ?`,
  );
  return {
    insert: (id, values, attributes) => void insert.run(id, workspaceId, values, attributes, now, now),
    update: (id, values, attributes) => void update.run(values, attributes, now, workspaceId, id),
    flush: () => Promise.resolve(),
  };
}

export const PG_BATCH = 500;

export function postgresWriter(
  trx: Kysely<Database>,
  spec: TableSpec,
  workspaceId: string,
  now: number,
): TableWriter {
  const cols = spec.columns;
  let inserts: Cell[][] = [];
  let updates: Cell[][] = [];
  const insertColumns = sql.join(
    ['id', 'workspace_id', ...cols, 'attributes', 'created_at', 'updated_at'].map((c) => sql.ref(c)),
  );
  const typed = (v: Cell, col: string): RawBuilder<unknown> =>
    sql`${v}::${sql.raw(spec.pgTypes[col] ?? 'text')}`;
  const updateColumns = ['id', ...cols, 'attributes'];

  async function sendInserts(rows: Cell[][]): Promise<void> {
    const values = rows.map((r) => sql`(${sql.join(r)})`);
    await sql`INSERT INTO ${sql.table(spec.table)} (${insertColumns}) VALUES ${sql.join(values)}`.execute(
      trx,
    );
  }

  async function sendUpdates(rows: Cell[][]): Promise<void> {
    const values = rows.map((r) => sql`(${sql.join(r.map((v, i) => typed(v, updateColumns[i]!)))})`);
    const sets = cols.map((c) => sql`${sql.ref(c)} = coalesce(v.${sql.ref(c)}, t.${sql.ref(c)})`);
    await sql`UPDATE ${sql.table(spec.table)} AS t SET ${sql.join(sets)},
        attributes = t.attributes || v.attributes, updated_at = ${now}
      FROM (VALUES ${sql.join(values)}) AS v(${sql.join(updateColumns.map((c) => sql.ref(c)))})
      WHERE t.workspace_id = ${workspaceId} AND t.id = v.id`.execute(trx);
  }

  return {
    insert: (id, values, attributes) => void inserts.push([id, workspaceId, ...values, attributes, now, now]),
    update: (id, values, attributes) => void updates.push([id, ...values, attributes]),
    async flush(final) {
      while (inserts.length >= PG_BATCH || (final && inserts.length > 0)) {
        await sendInserts(inserts.slice(0, PG_BATCH));
        inserts = inserts.slice(PG_BATCH);
      }
      while (updates.length >= PG_BATCH || (final && updates.length > 0)) {
        await sendUpdates(updates.slice(0, PG_BATCH));
        updates = updates.slice(PG_BATCH);
      }
    },
  };
}
