// Cursor pages (the API's `next_cursor`): Previous walks back through the cursors seen, Next follows the
// answer's. Field errors: an API error's issues shown next to the field whose name ends their path.
import { useCallback, useState } from 'react';
import { ApiError, type Issue } from '../api';

/** The cursor of the page shown and the moves between pages; `reset` goes back to the first page. */
export function useCursorPages() {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  const cursor = stack[stack.length - 1];
  const next = useCallback((c: string) => setStack((s) => [...s, c]), []);
  const previous = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([undefined]), []);
  return { cursor, page: stack.length, next, previous, reset };
}

export function Pager({
  page,
  nextCursor,
  onNext,
  onPrevious,
  label = 'Pages',
}: {
  page: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  label?: string;
}) {
  if (page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={page === 1} onClick={onPrevious}>
        Previous
      </button>
      <span>Page {page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
        Next
      </button>
    </nav>
  );
}

/** The issues of an API error (empty for other errors). */
export function issuesOf(e: unknown): Issue[] {
  return e instanceof ApiError ? e.issues : [];
}

/** The messages of the issues naming `field` (`querystring.due_before`, `body.outcome`, `due_before`). */
export function issuesFor(issues: Issue[], field: string): string[] {
  return issues
    .filter((i) => i.path === field || i.path.endsWith(`.${field}`) || i.path.startsWith(`${field}.`))
    .map((i) => i.message);
}

/** The error text shown next to one field, with the id the field's aria-describedby points to. */
export function FieldError({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <span id={id} role="alert" className="error small field-error">
      {messages.join('; ')}
    </span>
  );
}

/** A labelled input of a filter form, with the API's issues for `name` shown next to it. */
export function FilterInput({
  name,
  label,
  value,
  onChange,
  issues,
  type = 'text',
  placeholder,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  issues: Issue[];
  type?: 'text' | 'search' | 'date';
  placeholder?: string;
}) {
  const messages = issuesFor(issues, name);
  return (
    <div className="field">
      <label>
        {label}
        <input
          type={type}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder={placeholder}
          aria-describedby={`${name}-error`}
          aria-invalid={messages.length > 0 || undefined}
        />
      </label>
      <FieldError id={`${name}-error`} messages={messages} />
    </div>
  );
}

/** The part of an error no field shows: the message, when no issue names a field on the form. */
export function formError(e: unknown, fields: string[]): string | null {
  if (!e) return null;
  const issues = issuesOf(e);
  if (issues.length > 0 && issues.every((i) => fields.some((f) => issuesFor([i], f).length > 0))) return null;
  return e instanceof Error ? e.message : String(e);
}
