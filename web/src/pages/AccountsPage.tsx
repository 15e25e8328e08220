// Accounts (ABM): search by name, domain, industry or owner (10 a page); one account's contacts, its
// engagement per campaign over the last 90 days (touches on its contacts, people reached, channels) and
// the target-account lists it is on.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, type Account, type AccountTimeline, type Contact, type ContactList, type Page } from '../api';
import { FilterInput, formError, issuesOf, Pager, useCursorPages } from '../components/Paging';
import { filterQuery, usePagedList } from '../components/usePagedList';
import { fmtInstant } from '../format';
import { Link } from '../router';
import { contactName } from './TasksPage';

const PAGE = '10';

interface Filters {
  q: string;
  domain: string;
  industry: string;
  owner: string;
}

export function AccountsPage() {
  const [draft, setDraft] = useState<Filters>({ q: '', domain: '', industry: '', owner: '' });
  const {
    apply: applyFilters,
    result,
    error,
    pages,
  } = usePagedList((f: Filters, cursor) => api.listAccounts(filterQuery({ ...f }, PAGE, cursor)), draft);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    applyFilters({ ...draft });
  };
  const issues = issuesOf(error);
  const general = formError(error, ['q', 'domain', 'industry', 'owner']);
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
        <h1>Accounts</h1>
        <Link href="/contacts">Contacts</Link>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Account search">
        {field('q', 'Search', 'name or domain')}
        {field('domain', 'Domain', 'acme.com')}
        {field('industry', 'Industry', 'exact industry')}
        {field('owner', 'Owner', 'account owner')}
        <button type="submit">Search</button>
      </form>
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!result && !error && <p className="muted">Loading accounts…</p>}
      {result && result.data.length === 0 && <p className="muted">No accounts match.</p>}
      {result && result.data.length > 0 && (
        <table>
          <caption className="visually-hidden">Accounts, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Domain</th>
              <th scope="col">Industry</th>
              <th scope="col">Size</th>
              <th scope="col">Owner</th>
            </tr>
          </thead>
          <tbody>
            {result.data.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link href={`/accounts/${encodeURIComponent(a.id)}`}>{a.name ?? a.domain ?? a.id}</Link>
                </td>
                <td>{a.domain ?? '—'}</td>
                <td>{a.industry ?? '—'}</td>
                <td>{a.size ?? '—'}</td>
                <td>{a.owner ?? '—'}</td>
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
        label="Account pages"
      />
    </section>
  );
}

interface Engagement {
  campaign: string;
  touches: number;
  contacts: number;
  channels: string[];
  last: string;
}

/** Touches on the account's contacts grouped by campaign, most touches first. */
export function engagementOf(t: AccountTimeline): Engagement[] {
  const by = new Map<
    string,
    { touches: number; contacts: Set<string>; channels: Set<string>; last: string }
  >();
  for (const i of t.items) {
    if (i.kind !== 'touch') continue;
    const e = by.get(i.campaignId) ?? { touches: 0, contacts: new Set(), channels: new Set(), last: i.at };
    e.touches += 1;
    e.contacts.add(i.contactId);
    e.channels.add(i.channel);
    if (i.at > e.last) e.last = i.at;
    by.set(i.campaignId, e);
  }
  return [...by.entries()]
    .map(([campaign, e]) => ({
      campaign,
      touches: e.touches,
      contacts: e.contacts.size,
      channels: [...e.channels].sort(),
      last: e.last,
    }))
    .sort((a, b) => b.touches - a.touches || a.campaign.localeCompare(b.campaign));
}

/** The target-account lists holding the account (members are paged through in id order). */
async function listsHolding(accountId: string): Promise<ContactList[]> {
  const lists = (await api.listLists()).filter((l) => l.kind === 'account');
  const holding: ContactList[] = [];
  for (const l of lists) {
    let after: string | undefined;
    for (;;) {
      const page = await api.listMembers(l.id, after);
      if (page.data.includes(accountId)) {
        holding.push(l);
        break;
      }
      if (!page.next) break;
      after = page.next;
    }
  }
  return holding;
}

export function AccountPage({ id }: { id: string }) {
  const [account, setAccount] = useState<Account | null>(null);
  const [timeline, setTimeline] = useState<AccountTimeline | null>(null);
  const [lists, setLists] = useState<ContactList[] | null>(null);
  const [contacts, setContacts] = useState<Page<Contact> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const pages = useCursorPages();

  useEffect(() => {
    let live = true;
    const fail = (e: unknown) => live && setError(e instanceof Error ? e.message : String(e));
    api.getAccount(id).then((a) => live && setAccount(a), fail);
    api.accountTimeline(id).then((t) => live && setTimeline(t), fail);
    listsHolding(id).then((l) => live && setLists(l), fail);
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => {
    let live = true;
    api.listContacts({ account_id: id, limit: PAGE, cursor: pages.cursor }).then(
      (r) => live && setContacts(r),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [id, pages.cursor]);

  const engagement = useMemo(() => (timeline ? engagementOf(timeline) : null), [timeline]);
  const deals = timeline?.items.filter((i) => i.kind === 'deal').length ?? 0;

  return (
    <section>
      <p className="crumbs">
        <Link href="/accounts">Accounts</Link>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!account && !error && <p className="muted">Loading the account…</p>}
      {account && (
        <>
          <h1>{account.name ?? account.domain ?? account.id}</h1>
          <dl className="facts">
            <dt>Domain</dt>
            <dd>{account.domain ?? '—'}</dd>
            <dt>Industry</dt>
            <dd>{account.industry ?? '—'}</dd>
            <dt>Owner</dt>
            <dd>{account.owner ?? '—'}</dd>
            <dt>Journey stage</dt>
            <dd>
              {timeline?.stage ?? '—'} ·{' '}
              <Link href={`/accounts/${encodeURIComponent(account.id)}/journey`}>Journey timeline</Link>
            </dd>
          </dl>
        </>
      )}
      <section aria-labelledby="lists">
        <h2 id="lists">Target-account lists</h2>
        {lists === null && !error && <p className="muted">Loading lists…</p>}
        {lists && lists.length === 0 && <p className="muted">On no target-account list.</p>}
        {lists && lists.length > 0 && (
          <ul>
            {lists.map((l) => (
              <li key={l.id}>
                {l.name} <span className="muted small">({l.member_count} accounts)</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="engagement">
        <h2 id="engagement">Engagement across campaigns</h2>
        {timeline && (
          <p className="muted small">
            Touches sent to the account’s contacts from {fmtInstant(timeline.from)} to{' '}
            {fmtInstant(timeline.to)}; {deals} deal(s) in that time.
          </p>
        )}
        {engagement && engagement.length === 0 && <p className="muted">No touches in that time.</p>}
        {engagement && engagement.length > 0 && (
          <table>
            <caption className="visually-hidden">Engagement per campaign</caption>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">Touches</th>
                <th scope="col">Contacts reached</th>
                <th scope="col">Channels</th>
                <th scope="col">Last touch</th>
              </tr>
            </thead>
            <tbody>
              {engagement.map((e) => (
                <tr key={e.campaign}>
                  <td>
                    <Link href={`/campaigns/${encodeURIComponent(e.campaign)}`}>{e.campaign}</Link>
                  </td>
                  <td>{e.touches}</td>
                  <td>{e.contacts}</td>
                  <td>{e.channels.join(', ')}</td>
                  <td>{fmtInstant(e.last)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="people">
        <h2 id="people">Contacts</h2>
        {contacts && contacts.data.length === 0 && <p className="muted">No contacts on this account.</p>}
        {contacts && contacts.data.length > 0 && (
          <ul>
            {contacts.data.map((c) => (
              <li key={c.id}>
                <Link href={`/contacts/${encodeURIComponent(c.id)}`}>{contactName(c)}</Link>{' '}
                <span className="muted small">{c.email ?? ''}</span>
              </li>
            ))}
          </ul>
        )}
        <Pager
          page={pages.page}
          nextCursor={contacts?.next_cursor}
          onNext={pages.next}
          onPrevious={pages.previous}
          label="Account contact pages"
        />
      </section>
    </section>
  );
}
