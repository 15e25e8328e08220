// Opaque list cursors over time-ordered ids: clients pass back what they got and never parse it.
import { BatonError } from '../domain/errors.js';

const VERSION = 'c1:';

export interface Page<T> {
  data: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** A `next_cursor` from the previous page. */
  cursor?: string;
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(VERSION + lastId, 'utf8').toString('base64url');
}

/** The id after which the next page starts; a cursor Baton did not issue is an input error. */
export function decodeCursor(cursor: string): string {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (
    !raw.startsWith(VERSION) ||
    raw.length === VERSION.length ||
    !/^[\w-]+$/.test(raw.slice(VERSION.length))
  ) {
    throw BatonError.invalid([{ path: 'cursor', message: 'is not a cursor returned by a previous page' }]);
  }
  return raw.slice(VERSION.length);
}

/** The largest page a list call returns. */
export const MAX_PAGE = 1000;

/** Refuses a page size the caller cannot mean (the API already bounds it; other callers may not). */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw BatonError.invalid([{ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE}` }]);
  }
  return limit;
}

/** Cuts a `limit + 1` fetch into a page and its cursor. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
