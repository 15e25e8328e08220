// Audit: the workspace's audit trail, newest first (admins only), filtered by actor, action (or a prefix
// ending in a dot), target and start time, 20 a page. A refused filter shows its reason next to the field.
import { useState, type FormEvent } from 'react';
import { api, ApiError, type AuditQuery } from '../api';
import { FilterInput, formError, issuesOf, Pager } from '../components/Paging';
import { filterQuery, usePagedList } from '../components/usePagedList';
import { fmtInstant } from '../format';

const PAGE = '20';

interface Filters {
  actor: string;
  action: string;
  target: string;
  since: string;
}

const FIELDS: Array<{ name: keyof Filters; text: string; placeholder: string }> = [
  { name: 'actor', text: 'Actor', placeholder: 'user or key id' },
  { name: 'action', text: 'Action', placeholder: 'campaign.launch or campaign.' },
  { name: 'target', text: 'Target', placeholder: 'campaign, user or key id' },
  { name: 'since', text: 'Since', placeholder: '2027-01-01T00:00Z' },
];

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ actor: '', action: '', target: '', since: '' });
  const {
    apply: applyFilters,
    result,
    error,
    pages,
  } = usePagedList(
    (f: Filters, cursor) => api.audit(filterQuery({ ...f }, PAGE, cursor) as AuditQuery),
    draft,
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    applyFilters({ ...draft });
  };
  const issues = issuesOf(error);
  const forbidden = error instanceof ApiError && error.status === 403;
  const general = forbidden
    ? null
    : formError(
        error,
        FIELDS.map((f) => f.name),
      );

  return (
    <section>
      <h1>Audit trail</h1>
      {forbidden ? (
        <p role="alert" className="error">
          Only admins read the audit trail.
        </p>
      ) : (
        <form className="filters" onSubmit={apply} aria-label="Audit filters">
          {FIELDS.map((f) => (
            <FilterInput
              key={f.name}
              name={f.name}
              label={f.text}
              value={draft[f.name]}
              onChange={(v) => setDraft({ ...draft, [f.name]: v })}
              placeholder={f.placeholder}
              issues={issues}
            />
          ))}
          <button type="submit">Filter</button>
        </form>
      )}
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!result && !error && <p className="muted">Loading the audit trail…</p>}
      {result && result.data.length === 0 && <p className="muted">No entries match.</p>}
      {result && result.data.length > 0 && (
        <table>
          <caption className="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Address</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {result.data.map((a) => (
              <tr key={a.seq}>
                <td>{fmtInstant(a.at)}</td>
                <td>
                  {a.actor.type}
                  {a.actor.id && <div className="muted small">{a.actor.id}</div>}
                  {a.actor.role && <div className="muted small">{a.actor.role}</div>}
                </td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td>{a.target ? `${a.target.type} ${a.target.id}` : '—'}</td>
                <td>{a.ip ?? '—'}</td>
                <td className="small">
                  {Object.keys(a.details).length > 0 ? <code>{JSON.stringify(a.details)}</code> : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={pages.page}
        nextCursor={result?.next_cursor}
        onNext={pages.next}
        onPrevious={pages.previous}
        label="Audit pages"
      />
    </section>
  );
}
