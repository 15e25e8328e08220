// zod pieces shared by the REST resources: id params, list paging, the error shape, times as ISO 8601.
import { z } from 'zod';
import { BatonError, type FieldIssue } from '../../domain/errors.js';

export const idParams = z.object({ id: z.string().min(1).max(100).describe('the resource id') });

export const limitQuery = z.coerce
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(500, 'must be at most 500')
  .default(50)
  .describe('page size (1–500, default 50)');

export const cursorQuery = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('`next_cursor` of the previous page; omit for the first page');

export const updatedSinceQuery = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2027-01-04T12:00:00Z' })
  .optional()
  .describe('only rows updated at or after this instant');

export const errorResponse = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .describe('`code` is stable; `message` names the field and the reason');

/** The error statuses every authenticated resource route can answer with, for the OpenAPI document. */
export const commonErrors = {
  401: errorResponse,
  403: errorResponse,
  413: errorResponse,
  422: errorResponse,
} as const;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  });
}

export const isoTime = z.string().describe('ISO 8601 UTC date-time');

/** Epoch-millisecond store times become ISO 8601 strings at the HTTP edge. */
export function withIsoTimes<T extends { created_at: number; updated_at: number }>(
  row: T,
): Omit<T, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string } {
  return {
    ...row,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function sinceMs(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

/**
 * Repository input errors name fields as the store sees them (`account_id`, `cursor`); over HTTP they
 * carry the request part, as schema errors do (`body.account_id`, `querystring.cursor`). Use as `.catch`.
 */
export function inRequest(where: 'body' | 'querystring') {
  return (e: unknown): never => {
    if (!(e instanceof BatonError) || e.code !== 'invalid_input') throw e;
    const issues = (e.details as { issues?: FieldIssue[] } | undefined)?.issues ?? [];
    throw BatonError.invalid(
      issues.map((i) => ({ path: i.path ? `${where}.${i.path}` : where, message: i.message })),
    );
  };
}
