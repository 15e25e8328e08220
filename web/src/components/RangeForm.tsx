// A date range (From and To, each a day; To includes its day) for the journey views, with the API's
// reasons shown next to the field they name. Empty bounds leave the API's default: the last 90 days.
import type { FormEvent, ReactNode } from 'react';
import type { Issue } from '../api';
import { FilterInput } from './Paging';

export interface Range {
  from: string;
  to: string;
}

export function RangeForm({
  draft,
  onChange,
  onApply,
  issues,
  label,
  children,
}: {
  draft: Range;
  onChange: (r: Range) => void;
  onApply: () => void;
  issues: Issue[];
  label: string;
  children?: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply();
  };
  const field = (name: keyof Range, text: string) => (
    <FilterInput
      name={name}
      label={text}
      type="date"
      value={draft[name]}
      onChange={(v) => onChange({ ...draft, [name]: v })}
      issues={issues}
    />
  );
  return (
    <form className="filters" onSubmit={submit} aria-label={label}>
      {field('from', 'From')}
      {field('to', 'To')}
      {children}
      <button type="submit">Show</button>
    </form>
  );
}

/** The range's bounds that are set, as the API's query. */
export function rangeQuery(r: Range): { from?: string; to?: string } {
  return { ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}) };
}
