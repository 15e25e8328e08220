// A campaign: its plan (goal, audience, channels, sequence), guardrail findings, lifecycle moves, and the
// forecast before launch or the results after.
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type Campaign, type LintResult, type Report } from '../api';
import { Findings, GoalProgress, StatusBadge } from '../components/Progress';
import { ForecastView } from '../components/ForecastView';
import { ReportView } from '../components/ReportView';
import { ReviewForm } from '../components/ReviewForm';
import { SpecEditor } from '../components/SpecEditor';
import { fmtInstant, fmtWindow, label } from '../format';
import { Link } from '../router';

type Move = 'launch' | 'pause' | 'resume' | 'end';

const MOVES: Record<string, Move[]> = {
  draft: ['launch', 'end'],
  scheduled: ['pause', 'end'],
  running: ['pause', 'end'],
  paused: ['resume', 'end'],
};

export function CampaignPage({ id }: { id: string }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [lint, setLint] = useState<LintResult | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [moveError, setMoveError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const c = await api.getCampaign(id);
      setCampaign(c);
      setError(null);
      const [l, r] = await Promise.all([
        api.lintCampaign(id).catch(() => null),
        c.status === 'draft' ? Promise.resolve(null) : api.report(id).catch(() => null),
      ]);
      setLint(l);
      setReport(r);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!campaign) return <p className="muted">Loading the campaign…</p>;
  const spec = campaign.spec;
  const goal = spec.goal;

  const move = async (m: Move) => {
    if (m === 'end' && !window.confirm(`End ${campaign.name} now? This cannot be undone.`)) return;
    setBusy(true);
    setMoveError(null);
    try {
      await api[m](campaign.id);
      await load();
    } catch (e) {
      setMoveError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };
  const blocking = lint?.blocking ?? 0;
  const blockedDetails = (moveError?.details as { findings?: LintResult['findings'] } | undefined)?.findings;

  return (
    <article>
      <p className="crumbs">
        <Link href="/campaigns">Campaigns</Link> / {campaign.id}
      </p>
      <div className="title-row">
        <h1>{campaign.name}</h1>
        <StatusBadge status={campaign.status} />
      </div>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{campaign.kind}</dd>
        <dt>Objective</dt>
        <dd>{spec.objective ?? '—'}</dd>
        <dt>Owner</dt>
        <dd>{spec.owner ?? '—'}</dd>
        <dt>Window</dt>
        <dd>{fmtWindow(spec.window)}</dd>
        <dt>Priority</dt>
        <dd>{spec.priority ?? 50}</dd>
        <dt>Revision</dt>
        <dd>{campaign.revision}</dd>
        <dt>Launched</dt>
        <dd>{fmtInstant(campaign.launched_at)}</dd>
        {campaign.ended_at && (
          <>
            <dt>Ended</dt>
            <dd>{fmtInstant(campaign.ended_at)}</dd>
          </>
        )}
      </dl>

      <section aria-labelledby="lifecycle">
        <h2 id="lifecycle">Lifecycle</h2>
        <div className="actions">
          {(MOVES[campaign.status] ?? []).map((m) => (
            <button
              key={m}
              type="button"
              className={m === 'launch' ? 'primary' : m === 'end' ? 'danger' : undefined}
              disabled={busy || (m === 'launch' && blocking > 0)}
              title={
                m === 'launch' && blocking > 0
                  ? `${blocking} blocking finding(s) must be fixed first`
                  : undefined
              }
              onClick={() => void move(m)}
            >
              {label(m)}
            </button>
          ))}
          {(MOVES[campaign.status] ?? []).length === 0 && (
            <span className="muted">No moves from {campaign.status}.</span>
          )}
        </div>
        {campaign.status === 'draft' && (
          <p>
            <Link href={`/campaigns/${encodeURIComponent(campaign.id)}/plan`}>Open in the planner</Link>
          </p>
        )}
        {campaign.status === 'draft' && blocking > 0 && (
          <p className="warn">
            Launch is disabled: {blocking} blocking finding(s) below must be fixed first.
          </p>
        )}
        {moveError && (
          <div role="alert" className="error">
            <p>{moveError.message}</p>
            {blockedDetails && <Findings findings={blockedDetails} />}
          </div>
        )}
      </section>

      <section aria-labelledby="goal">
        <h2 id="goal">Goal</h2>
        {goal ? (
          <>
            <p>
              <strong>{label(goal.metric)}</strong> of <code>{goal.event}</code>, target{' '}
              <strong>{goal.target}</strong>, lookback {goal.lookback_days} days, attribution{' '}
              {label(goal.attribution ?? 'position_based')}
              {spec.measurement?.holdout_percent ? `, holdout ${spec.measurement.holdout_percent}%` : ''}
            </p>
            {report?.goal.available && (
              <GoalProgress
                name="Goal"
                actual={report.goal.actual}
                target={report.goal.target}
                status={
                  report.pacing.available && report.pacing.kind === 'window'
                    ? report.pacing.status
                    : report.goal.outcome
                }
              />
            )}
          </>
        ) : (
          <p className="muted">No goal: this campaign is not measured against a target.</p>
        )}
      </section>

      <section aria-labelledby="guardrails">
        <h2 id="guardrails">Guardrails</h2>
        {lint ? <Findings findings={lint.findings} /> : <p className="muted">Checking…</p>}
      </section>

      <PlanView campaign={campaign} />
      {['draft', 'scheduled', 'running', 'paused'].includes(campaign.status) && (
        <SpecEditor key={campaign.revision} campaign={campaign} onSaved={() => void load()} />
      )}

      {campaign.status === 'draft' && <ForecastView id={campaign.id} />}
      {report && <ReportView report={report} />}
      {report && campaign.launched_at && (
        <p>
          <Link href={`/journey?campaign=${encodeURIComponent(campaign.id)}`}>
            Journey moves of the enrolled contacts against the holdout
          </Link>
        </p>
      )}
      {report && (campaign.status === 'completed' || campaign.status === 'reviewed') && (
        <ReviewForm campaign={campaign} report={report} onSaved={() => void load()} />
      )}
    </article>
  );
}

function PlanView({ campaign }: { campaign: Campaign }) {
  const spec = campaign.spec;
  const a = spec.audience;
  return (
    <>
      <section aria-labelledby="audience">
        <h2 id="audience">Audience</h2>
        {!a && <p className="muted">No audience.</p>}
        {a?.segment_id && (
          <p>
            Segment <code>{a.segment_id}</code>
          </p>
        )}
        {a?.segment !== undefined && <pre className="json">{JSON.stringify(a.segment, null, 2)}</pre>}
        {a?.accounts && (
          <p>
            Target accounts: list <code>{a.accounts.list}</code>
          </p>
        )}
        {a && (a.exclude?.length ?? 0) > 0 && (
          <p>Excluded: {a.exclude!.map((x) => JSON.stringify(x)).join(', ')}</p>
        )}
        {a && <p className="muted small">Enrollment: {a.enrollment ?? 'snapshot'}</p>}
      </section>
      <section aria-labelledby="sequence">
        <h2 id="sequence">Channels and sequence</h2>
        <p>Channels: {(spec.channels ?? []).join(', ') || '—'}</p>
        <table>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Channel</th>
              <th scope="col">Delay</th>
              <th scope="col">Condition</th>
              <th scope="col">Content</th>
            </tr>
          </thead>
          <tbody>
            {(spec.sequence ?? []).map((s) => (
              <tr key={s.id}>
                <td>{s.id}</td>
                <td>{s.channel}</td>
                <td>{String(s.delay ?? '0d')}</td>
                <td>{s.when ? <code>{JSON.stringify(s.when)}</code> : '—'}</td>
                <td>
                  {s.variants
                    ? s.variants.map((v) => `${v.id}: ${v.subject ?? v.template ?? ''}`).join(' | ')
                    : (s.subject ?? s.template ?? s.body ?? s.audience ?? s.task?.type ?? '—')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
