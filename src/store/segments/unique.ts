// Tells a unique-key violation apart from other database errors, on both dialects.

export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; message?: unknown };
  return (
    err.code === '23505' ||
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (typeof err.message === 'string' && err.message.includes('UNIQUE constraint failed'))
  );
}
