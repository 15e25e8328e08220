// A filtered, cursor-paged list: the filters applied (a new set goes back to the first page), the page
// shown, and the answer or the error of the latest request (an answer that arrives after the filters or
// the page moved on is dropped).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../api';
import { useCursorPages } from './Paging';

export function usePagedList<T, F>(
  fetch: (filters: F, cursor: string | undefined) => Promise<Page<T>>,
  initial: F,
) {
  const [filters, setFilters] = useState<F>(initial);
  const pages = useCursorPages();
  const [result, setResult] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // The latest fetch, so a page may pass an inline function without reloading on every render.
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;

  useEffect(() => {
    let live = true;
    setResult(null);
    setError(null);
    fetchRef.current(filters, pages.cursor).then(
      (r) => live && setResult(r),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [filters, pages.cursor, tick]);

  const { reset } = pages;
  /** Applies a new set of filters from the first page. */
  const apply = useCallback(
    (next: F) => {
      setFilters(next);
      reset();
    },
    [reset],
  );
  /** Asks for the page shown again (after a change to one of its rows). */
  const reload = useCallback(() => setTick((t) => t + 1), []);

  return { filters, apply, reload, result, error, pages };
}

/** The query of the filters that are set (trimmed), with the page size and cursor. */
export function filterQuery(
  filters: Record<string, string>,
  limit: string,
  cursor: string | undefined,
): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = { limit, cursor };
  for (const [k, v] of Object.entries(filters)) if (v.trim()) query[k] = v.trim();
  return query;
}
