// The buyer journey (GET /journey/flows): a Sankey of the stage-to-stage moves in a date range, the time
// spent in each stage and the conversion between stages; with a campaign chosen, the moves of its enrolled
// contacts against its holdout — did the campaign move people, or would they have moved anyway?
import { useEffect, useMemo, useState } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { api, type Campaign, type JourneyFlows, type StageTransition } from '../api';
import { Chart } from '../components/Chart';
import { formError, issuesOf } from '../components/Paging';
import { RangeForm, rangeQuery, type Range } from '../components/RangeForm';
import { fmtInstant, fmtNumber, fmtPercent } from '../format';
import { ENTERED, sankeyOf } from '../journey-sankey';
import { Link, navigate, useLocation } from '../router';

interface Filters extends Range {
  campaign: string;
  subject: 'contact' | 'account';
}

function initialFilters(query: URLSearchParams): Filters {
  return {
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    campaign: query.get('campaign') ?? '',
    subject: query.get('subject') === 'account' ? 'account' : 'contact',
  };
}

export function JourneyPage() {
  const { query } = useLocation();
  const [draft, setDraft] = useState<Filters>(() => initialFilters(query));
  const [applied, setApplied] = useState<Filters>(draft);
  const [flows, setFlows] = useState<JourneyFlows | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [mapped, setMapped] = useState(true);

  useEffect(() => {
    let live = true;
    api.listCampaigns().then(
      (c) => live && setCampaigns(c),
      () => undefined,
    );
    api.journeyStages().then(
      (j) => live && setMapped(j.enabled),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    let live = true;
    setFlows(null);
    setError(null);
    api
      .journeyFlows({
        ...rangeQuery(applied),
        ...(applied.campaign ? { campaign: applied.campaign } : {}),
        ...(applied.subject === 'account' ? { subject: 'account' } : {}),
      })
      .then(
        (f) => live && setFlows(f),
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [applied]);

  const apply = () => {
    setApplied({ ...draft });
    const q = new URLSearchParams(
      Object.entries(draft).filter(([k, v]) => v && !(k === 'subject' && v === 'contact')),
    );
    navigate(`/journey${q.size ? `?${q}` : ''}`, { replace: true });
  };
  const issues = issuesOf(error);
  const general = formError(error, ['from', 'to', 'campaign', 'subject']);
  const nameOf = (id: string | null) =>
    id === null ? ENTERED : (flows?.stages.find((s) => s.id === id)?.name ?? id);
  const who = applied.subject === 'account' ? 'accounts' : 'contacts';

  return (
    <section>
      <h1>Buyer journey</h1>
      <RangeForm
        draft={draft}
        onChange={(r) => setDraft({ ...draft, ...r })}
        onApply={apply}
        issues={issues}
        label="Journey range"
      >
        <label>
          People
          <select
            value={draft.subject}
            onChange={(e) => setDraft({ ...draft, subject: e.target.value as Filters['subject'] })}
          >
            <option value="contact">contacts</option>
            <option value="account">accounts</option>
          </select>
        </label>
        <label>
          Campaign
          <select value={draft.campaign} onChange={(e) => setDraft({ ...draft, campaign: e.target.value })}>
            <option value="">none</option>
            {campaigns.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </RangeForm>
      {!mapped && (
        <p role="status" className="warn">
          This workspace has no journey map yet, so no stage is tracked: an admin saves one (a preset or its
          own stages) with PUT /api/v1/journey/stages.
        </p>
      )}
      {general && (
        <p role="alert" className="error">
          {general}
        </p>
      )}
      {!flows && !error && <p className="muted">Loading the journey…</p>}
      {flows && (
        <>
          <p className="muted small">
            Moves of {who} from {fmtInstant(flows.from)} to {fmtInstant(flows.to)}, through{' '}
            {flows.stages.map((s) => s.name).join(' → ')}.
          </p>
          <FlowsView flows={flows} nameOf={nameOf} />
          <TimeInStageView flows={flows} nameOf={nameOf} />
          <ConversionView flows={flows} nameOf={nameOf} />
          {flows.campaign && <CampaignMovesView flows={flows} nameOf={nameOf} />}
        </>
      )}
    </section>
  );
}

type NameOf = (id: string | null) => string;

function FlowsView({ flows, nameOf }: { flows: JourneyFlows; nameOf: NameOf }) {
  const sankey = useMemo(() => sankeyOf(flows), [flows]);
  const option = useMemo(
    (): EChartsCoreOption => ({
      tooltip: { trigger: 'item' },
      series: [
        {
          type: 'sankey',
          left: 10,
          right: 150,
          top: 20,
          bottom: 20,
          nodeAlign: 'left',
          layoutIterations: 0,
          emphasis: { focus: 'adjacency' },
          data: sankey.nodes,
          links: sankey.links,
          label: { formatter: '{b}: {c}' },
          edgeLabel: { show: true, formatter: '{c}', color: '#1f2633' },
          lineStyle: { color: 'gradient', opacity: 0.35 },
        },
      ],
    }),
    [sankey],
  );
  return (
    <section aria-labelledby="flows">
      <h2 id="flows">Stage-to-stage moves</h2>
      {sankey.links.length === 0 ? (
        <p className="muted">Nobody moved between stages in this range.</p>
      ) : (
        <Chart option={option} label="Sankey of the moves between journey stages" height={360} />
      )}
      {sankey.backward.length > 0 && (
        <p className="muted small">
          Moves back (after the journey map changed), not drawn:{' '}
          {sankey.backward.map((t) => `${nameOf(t.from)} → ${nameOf(t.to)} ${t.count}`).join(', ')}.
        </p>
      )}
      {flows.transitions.length > 0 && (
        <table className="numbers">
          <caption className="visually-hidden">Moves between stages</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Moves</th>
            </tr>
          </thead>
          <tbody>
            {flows.transitions.map((t) => (
              <tr key={`${t.from ?? ''}>${t.to}`}>
                <td className="stage">{nameOf(t.from)}</td>
                <td className="stage">{nameOf(t.to)}</td>
                <td>{t.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TimeInStageView({ flows, nameOf }: { flows: JourneyFlows; nameOf: NameOf }) {
  return (
    <section aria-labelledby="time-in-stage">
      <h2 id="time-in-stage">Time in stage</h2>
      <table className="numbers">
        <caption className="visually-hidden">Time spent in each stage</caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Stays ended</th>
            <th scope="col">Median days</th>
            <th scope="col">Mean days</th>
            <th scope="col">In it at the end</th>
          </tr>
        </thead>
        <tbody>
          {flows.time_in_stage.map((t) => (
            <tr key={t.stage}>
              <th scope="row">{nameOf(t.stage)}</th>
              <td>{t.completed}</td>
              <td>{fmtNumber(t.median_days)}</td>
              <td>{fmtNumber(t.mean_days)}</td>
              <td>{t.current}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ConversionView({ flows, nameOf }: { flows: JourneyFlows; nameOf: NameOf }) {
  return (
    <section aria-labelledby="conversion">
      <h2 id="conversion">Conversion between stages</h2>
      <table className="numbers">
        <caption className="visually-hidden">Conversion from each stage to the next</caption>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Were in From</th>
            <th scope="col">Reached To or later</th>
            <th scope="col">Rate</th>
          </tr>
        </thead>
        <tbody>
          {flows.conversion.map((c) => (
            <tr key={`${c.from}>${c.to}`}>
              <td className="stage">{nameOf(c.from)}</td>
              <td className="stage">{nameOf(c.to)}</td>
              <td>{c.entered}</td>
              <td>{c.reached}</td>
              <td>{fmtPercent(c.rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CampaignMovesView({ flows, nameOf }: { flows: JourneyFlows; nameOf: NameOf }) {
  const c = flows.campaign!;
  const key = (t: StageTransition) => `${t.from ?? ''}>${t.to}`;
  const rows = new Map<string, { from: string | null; to: string; treatment: number; holdout: number }>();
  for (const arm of ['treatment', 'holdout'] as const)
    for (const t of c[arm].transitions) {
      const r = rows.get(key(t)) ?? { from: t.from, to: t.to, treatment: 0, holdout: 0 };
      r[arm] += t.count;
      rows.set(key(t), r);
    }
  return (
    <section aria-labelledby="campaign-moves">
      <h2 id="campaign-moves">
        Did <Link href={`/campaigns/${encodeURIComponent(c.id)}`}>{c.id}</Link> move people?
      </h2>
      <table className="numbers">
        <caption className="visually-hidden">Enrolled contacts against the holdout</caption>
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Enrolled</th>
            <th scope="col">Moved forward</th>
            <th scope="col">Rate</th>
          </tr>
        </thead>
        <tbody>
          {[c.treatment, c.holdout].map((a) => (
            <tr key={a.arm}>
              <th scope="row">{a.arm === 'treatment' ? 'Enrolled (treatment)' : 'Holdout'}</th>
              <td>{a.enrolled}</td>
              <td>{a.moved}</td>
              <td>{fmtPercent(a.rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="lift">
        {c.lift ? (
          <>
            Difference in the rate of moving forward: <strong>{fmtPercent(c.lift.difference)}</strong>, 95%
            interval [{fmtPercent(c.lift.interval.lower)}, {fmtPercent(c.lift.interval.upper)}], p ={' '}
            {c.lift.p_value.toFixed(3)}.{' '}
            {c.lift.interval.lower > 0
              ? 'The campaign moved people.'
              : c.lift.interval.upper < 0
                ? 'The holdout moved more.'
                : 'Not distinguishable from what the holdout did anyway.'}
          </>
        ) : (
          <span className="muted">No comparison yet: an arm has nobody enrolled.</span>
        )}
      </p>
      {rows.size > 0 && (
        <table className="numbers">
          <caption className="visually-hidden">Moves per arm after enrolling</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Enrolled</th>
              <th scope="col">Holdout</th>
            </tr>
          </thead>
          <tbody>
            {[...rows.values()].map((r) => (
              <tr key={`${r.from ?? ''}>${r.to}`}>
                <td className="stage">{nameOf(r.from)}</td>
                <td className="stage">{nameOf(r.to)}</td>
                <td>{r.treatment}</td>
                <td>{r.holdout}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
