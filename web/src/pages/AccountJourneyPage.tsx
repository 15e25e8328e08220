// One account's journey (GET /journey/accounts/:id/timeline) in a date range, oldest first: the touches
// sent to its contacts, its and its contacts' stage changes (and what caused each), and its deals; 25 a page.
import { useEffect, useState } from 'react';
import { api, type Account, type AccountTimeline, type AccountTimelineItem } from '../api';
import { formError, issuesOf } from '../components/Paging';
import { RangeForm, rangeQuery, type Range } from '../components/RangeForm';
import { fmtInstant, fmtNumber, label } from '../format';
import { Link } from '../router';

const PAGE = 25;

function itemKey(i: AccountTimelineItem, n: number): string {
  if (i.kind === 'touch') return `touch-${i.id}`;
  if (i.kind === 'deal') return `deal-${i.eventId}`;
  return `stage-${i.subjectId}-${i.at}-${n}`;
}

function ItemView({ item: i }: { item: AccountTimelineItem }) {
  const when = <span className="muted small">{fmtInstant(i.at)}</span>;
  if (i.kind === 'touch')
    return (
      <>
        <strong>{i.channel} touch</strong> {when} · to{' '}
        <Link href={`/contacts/${encodeURIComponent(i.contactId)}`}>{i.contactId}</Link> from{' '}
        <Link href={`/campaigns/${encodeURIComponent(i.campaignId)}`}>{i.campaignId}</Link> / {i.stepId}
      </>
    );
  if (i.kind === 'stage')
    return (
      <>
        <strong>
          {i.subject === 'account' ? 'Account' : 'Contact'} stage {i.from ?? 'none'} → {i.to}
        </strong>{' '}
        {when} ·{' '}
        {i.subject === 'contact' ? (
          <Link href={`/contacts/${encodeURIComponent(i.subjectId)}`}>{i.subjectId}</Link>
        ) : (
          'the account'
        )}
        , {label(i.cause)}
        {i.eventType ? ` (${i.eventType})` : ''}
      </>
    );
  return (
    <>
      <strong>
        {i.type}
        {i.amount !== null ? ` ${fmtNumber(i.amount, 2)}` : ''}
      </strong>{' '}
      {when}
      {i.dealId ? ` · deal ${i.dealId}` : ''}
    </>
  );
}

export function AccountJourneyPage({ id }: { id: string }) {
  const [account, setAccount] = useState<Account | null>(null);
  const [draft, setDraft] = useState<Range>({ from: '', to: '' });
  const [range, setRange] = useState<Range>(draft);
  const [timeline, setTimeline] = useState<AccountTimeline | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [page, setPage] = useState(0);

  useEffect(() => {
    let live = true;
    api.getAccount(id).then(
      (a) => live && setAccount(a),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    let live = true;
    setTimeline(null);
    setError(null);
    setPage(0);
    api.accountTimeline(id, rangeQuery(range)).then(
      (t) => live && setTimeline(t),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [id, range]);

  const items = timeline?.items ?? [];
  const pages = Math.max(1, Math.ceil(items.length / PAGE));
  const current = Math.min(page, pages - 1);
  const shown = items.slice(current * PAGE, (current + 1) * PAGE);
  const count = (kind: AccountTimelineItem['kind']) => items.filter((i) => i.kind === kind).length;
  const general = formError(error, ['from', 'to']);
  const title = account ? (account.name ?? account.domain ?? account.id) : id;

  return (
    <section>
      <p className="crumbs">
        <Link href="/accounts">Accounts</Link> ›{' '}
        <Link href={`/accounts/${encodeURIComponent(id)}`}>{title}</Link>
      </p>
      <h1>Journey of {title}</h1>
      <RangeForm
        draft={draft}
        onChange={setDraft}
        onApply={() => setRange({ ...draft })}
        issues={issuesOf(error)}
        label="Timeline range"
      />
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!timeline && !error && <p className="muted">Loading the journey…</p>}
      {timeline && (
        <>
          <dl className="facts">
            <dt>Stage now</dt>
            <dd>{timeline.stage ?? '—'}</dd>
            <dt>Range</dt>
            <dd>
              {fmtInstant(timeline.from)} to {fmtInstant(timeline.to)}
            </dd>
            <dt>In the range</dt>
            <dd>
              {count('touch')} touch(es), {count('stage')} stage change(s), {count('deal')} deal(s)
            </dd>
          </dl>
          {items.length === 0 && <p className="muted">Nothing happened on this account in the range.</p>}
          {items.length > 0 && (
            <ol className="timeline" aria-label="Touches, stage changes and deals, oldest first">
              {shown.map((i, n) => (
                <li key={itemKey(i, current * PAGE + n)} className={`item-${i.kind}`}>
                  <ItemView item={i} />
                </li>
              ))}
            </ol>
          )}
          {pages > 1 && (
            <nav className="pager" aria-label="Journey pages">
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
        </>
      )}
    </section>
  );
}
