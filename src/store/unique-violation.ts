// Recognises a unique-key violation from either dialect and names the column that collided.

/**
 * The first non-workspace column of the violated unique key, or undefined when `e` is not a unique
 * violation. SQLite: `UNIQUE constraint failed: contacts.workspace_id, contacts.email`; PostgreSQL
 * (code 23505): `Key (workspace_id, email)=(…) already exists.`
 */
export function uniqueViolationColumn(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as { code?: unknown; message?: unknown; detail?: unknown };
  let columns: string[] | undefined;
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /constraint failed: (.+)$/.exec(String(err.message));
    columns = m?.[1]?.split(',').map((c) => c.trim().replace(/^.*\./, ''));
  } else if (err.code === '23505') {
    const m = /^Key \(([^)]+)\)/.exec(String(err.detail ?? ''));
    columns = m?.[1]?.split(',').map((c) => c.trim().replace(/"/g, ''));
    columns ??= ['id'];
  } else {
    return undefined;
  }
  return columns?.find((c) => c !== 'workspace_id') ?? 'id';
}
