// Contacts: search by name or email, stage, account (10 a page); one contact's facts and its timeline of
// touches and events, newest first.
import { useEffect, useState, type FormEvent } from 'react';
import { api, LIFECYCLE_STAGES, type Contact, type ContactTimeline } from '../api';
import { FilterInput, formError, issuesOf, Pager } from '../components/Paging';
import { filterQuery, usePagedList } from '../components/usePagedList';
import { fmtInstant, label } from '../format';
import { Link } from '../router';
import { contactName } from './TasksPage';

const PAGE = '10';
const TIMELINE_PAGE = 20;

interface Filters {
  q: string;
  email: string;
  lifecycle_stage: string;
  account_id: string;
}

export function ContactsPage() {
  const [draft, setDraft] = useState<Filters>({ q: '', email: '', lifecycle_stage: '', account_id: '' });
  const {
    apply: applyFilters,
    result,
    error,
    pages,
  } = usePagedList((f: Filters, cursor) => api.listContacts(filterQuery({ ...f }, PAGE, cursor)), draft);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    applyFilters({ ...draft });
  };
  const issues = issuesOf(error);
  const general = formError(error, ['q', 'email', 'lifecycle_stage', 'account_id']);
  const field = (name: keyof Filters, text: string, placeholder: string) => (
    <FilterInput
      name={name}
      label={text}
      type={name === 'q' ? 'search' : 'text'}
      value={draft[name]}
      onChange={(v) => setDraft({ ...draft, [name]: v })}
      placeholder={placeholder}
      issues={issues}
    />
  );

  return (
    <section>
      <div className="title-row">
        <h1>Contacts</h1>
        <Link href="/accounts">Accounts</Link>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Contact search">
        {field('q', 'Search', 'name or email')}
        {field('email', 'Email', 'exact address')}
        <label>
          Stage
          <select
            value={draft.lifecycle_stage}
            onChange={(e) => setDraft({ ...draft, lifecycle_stage: e.target.value })}
          >
            <option value="">any</option>
            {LIFECYCLE_STAGES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {field('account_id', 'Account id', 'acc_…')}
        <button type="submit">Search</button>
      </form>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!result && !error && <p className="muted">Loading contacts…</p>}
      {result && result.data.length === 0 && <p className="muted">No contacts match.</p>}
      {result && result.data.length > 0 && (
        <table>
          <caption className="visually-hidden">Contacts, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Stage</th>
              <th scope="col">Account</th>
              <th scope="col">Subscription</th>
            </tr>
          </thead>
          <tbody>
            {result.data.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={`/contacts/${encodeURIComponent(c.id)}`}>{contactName(c)}</Link>
                </td>
                <td>{c.email ?? '—'}</td>
                <td>{c.lifecycle_stage ?? '—'}</td>
                <td>
                  {c.account_id ? (
                    <Link href={`/accounts/${encodeURIComponent(c.account_id)}`}>{c.account_id}</Link>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{c.subscription_status}</td>
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
        label="Contact pages"
      />
    </section>
  );
}

export function ContactPage({ id }: { id: string }) {
  const [contact, setContact] = useState<Contact | null>(null);
  const [timeline, setTimeline] = useState<ContactTimeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState(0);

  useEffect(() => {
    let live = true;
    const fail = (e: unknown) => live && setError(e instanceof Error ? e.message : String(e));
    api.getContact(id).then((c) => live && setContact(c), fail);
    api.contactTimeline(id).then((t) => live && setTimeline(t), fail);
    return () => {
      live = false;
    };
  }, [id]);

  const items = timeline?.items ?? [];
  const pages = Math.max(1, Math.ceil(items.length / TIMELINE_PAGE));
  const current = Math.min(page, pages - 1);
  const shown = items.slice(current * TIMELINE_PAGE, (current + 1) * TIMELINE_PAGE);

  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!contact && !error && <p className="muted">Loading the contact…</p>}
      {contact && (
        <>
          <h1>{contactName(contact)}</h1>
          <dl className="facts">
            <dt>Email</dt>
            <dd>{contact.email ?? '—'}</dd>
            <dt>Phone</dt>
            <dd>{contact.phone ?? '—'}</dd>
            <dt>Stage</dt>
            <dd>{contact.lifecycle_stage ?? '—'}</dd>
            <dt>Account</dt>
            <dd>
              {contact.account_id ? (
                <Link href={`/accounts/${encodeURIComponent(contact.account_id)}`}>{contact.account_id}</Link>
              ) : (
                '—'
              )}
            </dd>
            <dt>Subscription</dt>
            <dd>{contact.subscription_status}</dd>
            <dt>Time zone</dt>
            <dd>{contact.time_zone ?? '—'}</dd>
          </dl>
        </>
      )}
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        {timeline && items.length === 0 && <p className="muted">No touches or events yet.</p>}
        {items.length > 0 && (
          <ol className="timeline" aria-label="Touches and events, newest first">
            {shown.map((i) => (
              <li key={`${i.kind}-${i.id}`} className={`item-${i.kind}`}>
                <strong>
                  {i.kind === 'touch' ? `${i.channel ?? ''} touch ${label(i.type)}` : label(i.type)}
                </strong>{' '}
                <span className="muted small">{fmtInstant(i.at)}</span>
                {i.campaign_id && (
                  <span className="small">
                    {' '}
                    · <Link href={`/campaigns/${encodeURIComponent(i.campaign_id)}`}>{i.campaign_id}</Link>
                    {i.step_id ? ` / ${i.step_id}` : ''}
                  </span>
                )}
              </li>
            ))}
          </ol>
        )}
        {pages > 1 && (
          <nav className="pager" aria-label="Timeline pages">
            <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
              Previous
            </button>
            <span>
              Page {current + 1} of {pages}
            </span>
            <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
              Next
            </button>
          </nav>
        )}
      </section>
    </section>
  );
}
