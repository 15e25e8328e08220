// Campaigns: kind, status, window, owner and goal progress with pacing; filters; 25 a page.
import { useEffect, useMemo, useState } from 'react';
import { api, CAMPAIGN_STATUSES, type Campaign, type CampaignStatus, type Report } from '../api';
import { GoalProgress, StatusBadge } from '../components/Progress';
import { fmtWindow } from '../format';
import { Link } from '../router';

const PAGE = 25;

interface Progress {
  actual: number;
  target: number;
  status: string | null;
}

/** Goal progress from the report (launched campaigns), else just the target from the spec. */
function progressOf(c: Campaign, report: Report | undefined): Progress | null {
  const goal = c.spec.goal;
  if (report && report.goal.available) {
    const pacing = report.pacing.available && report.pacing.kind === 'window' ? report.pacing.status : null;
    return { actual: report.goal.actual, target: report.goal.target, status: pacing };
  }
  return goal
    ? { actual: 0, target: goal.target, status: c.status === 'draft' ? 'not_launched' : null }
    : null;
}

export function CampaignsPage() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [reports, setReports] = useState<Record<string, Report>>({});
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<CampaignStatus | ''>('');
  const [kind, setKind] = useState('');
  const [text, setText] = useState('');
  const [page, setPage] = useState(0);

  useEffect(() => {
    let live = true;
    setCampaigns(null);
    api.listCampaigns(status || undefined).then(
      (list) => live && setCampaigns(list),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [status]);

  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return (campaigns ?? []).filter(
      (c) =>
        (!kind || c.kind === kind) &&
        (!q ||
          c.name.toLowerCase().includes(q) ||
          c.id.includes(q) ||
          (c.spec.owner ?? '').toLowerCase().includes(q)),
    );
  }, [campaigns, kind, text]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  const visible = useMemo(() => shown.slice(current * PAGE, (current + 1) * PAGE), [shown, current]);

  // Reports for the campaigns on this page that ran (a draft has no progress yet), two at a time.
  useEffect(() => {
    let live = true;
    const todo = visible.filter((c) => c.status !== 'draft' && c.spec.goal && !(c.id in reports));
    const next = async (): Promise<void> => {
      const c = todo.shift();
      if (!c || !live) return;
      const r = await api.report(c.id).catch(() => undefined);
      if (r && live) setReports((prev) => ({ ...prev, [c.id]: r }));
      return next();
    };
    void Promise.all([next(), next()]);
    return () => {
      live = false;
    };
    // `reports` is left out on purpose: each fetched report would restart the queue.
  }, [visible]);

  return (
    <section>
      <div className="title-row">
        <h1>Campaigns</h1>
        <Link href="/campaigns/new" className="button">
          New campaign
        </Link>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => (setStatus(e.target.value as CampaignStatus | ''), setPage(0))}
          >
            <option value="">any</option>
            {CAMPAIGN_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => (setKind(e.target.value), setPage(0))}>
            <option value="">any</option>
            <option value="campaign">campaign</option>
            <option value="always-on">always-on</option>
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={text}
            onChange={(e) => (setText(e.target.value), setPage(0))}
            placeholder="name, id or owner"
          />
        </label>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {campaigns === null && !error && <p className="muted">Loading campaigns…</p>}
      {campaigns && shown.length === 0 && <p className="muted">No campaigns match.</p>}
      {shown.length > 0 && (
        <table className="campaigns">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Window</th>
              <th scope="col">Owner</th>
              <th scope="col">Goal</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((c) => {
              const p = progressOf(c, reports[c.id]);
              return (
                <tr key={c.id}>
                  <td>
                    <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</Link>
                    <div className="muted small">{c.id}</div>
                  </td>
                  <td>{c.kind}</td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td>{fmtWindow(c.spec.window)}</td>
                  <td>{c.spec.owner ?? '—'}</td>
                  <td>
                    {p ? (
                      <>
                        <div className="muted small">{c.spec.goal?.event}</div>
                        <GoalProgress name={c.name} actual={p.actual} target={p.target} status={p.status} />
                      </>
                    ) : (
                      <span className="muted">no goal</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
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
  );
}
