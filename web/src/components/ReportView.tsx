// Results of a campaign from GET /campaigns/:id/report: pacing against the target, the funnel, attribution
// models side by side, experiments and holdout lift.
import { useMemo } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { FUNNEL_STAGES, type AutoWinnerDecision, type FunnelRow, type Interval, type Report } from '../api';
import { fmtInstant, fmtNumber, fmtPercent, label } from '../format';
import { Chart } from './Chart';

/** A difference of two rates, in percentage points (0.1 − 0.2 is −10 points, not −10%). */
const fmtPoints = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} pp` : '—');
const ival = (i: Interval, f: (x: number) => string) =>
  `[${i.lower === null ? '−∞' : f(i.lower)}, ${i.upper === null ? '∞' : f(i.upper)}]`;

export function ReportView({ report }: { report: Report }) {
  return (
    <section aria-labelledby="results" className="results">
      <h2 id="results">Results</h2>
      <p className="muted small">
        As of {report.asOf.slice(0, 16).replace('T', ' ')} UTC, judged against the{' '}
        {report.campaign.plan === 'frozen' ? 'plan frozen at launch' : 'current spec'}.
      </p>
      <PacingView report={report} />
      <FunnelView report={report} />
      <AttributionView report={report} />
      <ExperimentsView report={report} />
      <LiftView report={report} />
      {report.learnings && (
        <>
          <h3>Learnings</h3>
          <pre className="learnings">{report.learnings.text}</pre>
        </>
      )}
    </section>
  );
}

function PacingView({ report }: { report: Report }) {
  const p = report.pacing;
  const option = useMemo((): EChartsCoreOption | null => {
    if (!p.available || p.kind !== 'window') return null;
    // From launch (nothing yet) through every recorded point to the report's instant.
    const start = report.campaign.launchedAt;
    const points = [
      ...(start ? [{ at: start, actual: 0, expected: 0 }] : []),
      ...p.history,
      { at: report.asOf, actual: p.actualToDate, expected: p.expectedToDate },
    ];
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: ['actual', 'expected'], top: 0 },
      grid: { left: 50, right: 70, top: 40, bottom: 30 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', max: (v: { max: number }) => Math.max(v.max, p.target) * 1.05 },
      series: [
        {
          name: 'actual',
          type: 'line',
          step: 'end',
          data: points.map((h) => [h.at, h.actual]),
          markLine: {
            symbol: 'none',
            data: [{ yAxis: p.target, name: 'target' }],
            label: { formatter: 'target {c}' },
          },
        },
        {
          name: 'expected',
          type: 'line',
          lineStyle: { type: 'dashed' },
          data: points.map((h) => [h.at, h.expected]),
        },
      ],
    };
  }, [p, report.campaign.launchedAt, report.asOf]);
  return (
    <>
      <h3>Pacing</h3>
      {!p.available && <p className="muted">{p.reason}</p>}
      {p.available && p.kind === 'window' && (
        <p>
          <span className={`pace pace-${p.status}`}>{label(p.status)}</span> {fmtNumber(p.actualToDate)}{' '}
          actual vs {fmtNumber(p.expectedToDate)} expected at {fmtPercent(p.elapsedFraction, 0)} of the
          window; projected {fmtNumber(p.projectedFinal)} {ival(p.projectedInterval, (x) => fmtNumber(x))} of{' '}
          {fmtNumber(p.target)}
        </p>
      )}
      {p.available && p.kind === 'monthly' && (
        <table>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Actual</th>
              <th scope="col">Target</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {p.months.map((m) => (
              <tr key={m.period}>
                <td>{m.period}</td>
                <td>{fmtNumber(m.actualToDate)}</td>
                <td>{fmtNumber(m.target)}</td>
                <td>{label(m.status)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {option && <Chart option={option} label="Goal progress against the expected pace and the target" />}
    </>
  );
}

const FUNNEL_SHOWN = [
  'enrolled',
  'touched',
  'delivered',
  'opened',
  'clicked',
  'replied',
  'converted',
] as const;

function FunnelTable({ rows, name }: { rows: FunnelRow[]; name: (r: FunnelRow) => string }) {
  return (
    <table className="numbers">
      <thead>
        <tr>
          <th scope="col"> </th>
          {FUNNEL_STAGES.map((s) => (
            <th scope="col" key={s}>
              {s}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <th scope="row">{name(r)}</th>
            {FUNNEL_STAGES.map((s) => (
              <td key={s}>
                {r.counts[s]}
                {s === 'delivered' && r.deliveredInferred ? '*' : ''}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FunnelView({ report }: { report: Report }) {
  const f = report.funnel;
  const option = useMemo(
    (): EChartsCoreOption => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c}' },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          left: '10%',
          width: '80%',
          label: { show: true, position: 'inside', formatter: '{b} {c}' },
          data: FUNNEL_SHOWN.map((s) => ({ name: s, value: f.campaign.counts[s] })),
        },
      ],
    }),
    [f],
  );
  return (
    <>
      <h3>Funnel</h3>
      <Chart option={option} label="Funnel of distinct contacts per stage" />
      <FunnelTable rows={[f.campaign, ...f.channels]} name={(r) => r.channel ?? 'campaign'} />
      {f.steps.length > 0 && <FunnelTable rows={f.steps} name={(r) => `step ${r.step ?? ''}`} />}
      <p className="muted small">
        Converted: a conversion with a campaign touch in the lookback. * delivered inferred for channels that
        report no deliveries.
      </p>
      {/* The arms side by side by one rule (the lift's), not the touch-attributed "converted" above. */}
      <p className="small">
        <span>
          Enrolled (treatment): {f.treatment.enrolled} enrolled, {f.treatment.converted} converted (
          {fmtPercent(f.treatment.conversionRate.value, 2)})
        </span>{' '}
        vs{' '}
        <span>
          Holdout: {f.holdout.enrolled} enrolled, {f.holdout.converted} converted (
          {fmtPercent(f.holdout.conversionRate.value, 2)})
        </span>
        ; {f.comparisonBasis}, intention to treat.
      </p>
    </>
  );
}

function AttributionView({ report }: { report: Report }) {
  const a = report.attribution;
  const option = useMemo((): EChartsCoreOption | null => {
    if (!a.available) return null;
    const r = a.byChannel;
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: r.channels as string[], top: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 50 },
      xAxis: {
        type: 'category',
        data: r.models.map((m) => label(m.model)),
        axisLabel: { interval: 0, rotate: 20 },
      },
      yAxis: { type: 'value', name: 'conversions' },
      series: r.channels.map((ch) => ({
        name: ch,
        type: 'bar',
        data: r.models.map((m) =>
          Number((m.credits.find((c) => c.channel === ch)?.conversions ?? 0).toFixed(3)),
        ),
      })),
    };
  }, [a]);
  if (!a.available)
    return (
      <>
        <h3>Attribution</h3>
        <p className="muted">{a.reason}</p>
      </>
    );
  const r = a.byChannel;
  return (
    <>
      <h3>Attribution</h3>
      <p className="muted small">
        Credit by channel under every model (headline: {label(a.headline)}, lookback {a.lookbackDays} days);{' '}
        {fmtNumber(a.unattributed.conversions)} conversion(s) had no campaign touch.
      </p>
      {option && <Chart option={option} label="Attributed conversions per channel under each model" />}
      <table className="numbers attribution">
        <thead>
          <tr>
            <th scope="col">Model</th>
            {r.channels.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {r.models.map((m) => (
            <tr key={m.model}>
              <th scope="row">{label(m.model)}</th>
              {r.channels.map((c) => (
                <td key={c}>{fmtNumber(m.credits.find((x) => x.channel === c)?.conversions ?? 0, 2)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function ExperimentsView({ report }: { report: Report }) {
  if (report.experiments.length === 0) return null;
  return (
    <>
      <h3>Experiments</h3>
      {report.experiments.map((x) => (
        <div key={x.step} className="experiment">
          <p>
            Step <code>{x.step}</code> on {x.metric}:{' '}
            <strong>
              {x.recommendation === 'winner'
                ? `winner ${x.winner}`
                : x.recommendation === 'inconclusive'
                  ? 'no difference found (inconclusive)'
                  : label(x.recommendation ?? 'no decision')}
            </strong>{' '}
            — {x.reason}
          </p>
          {x.autoWinner && <AutoWinnerView step={x.step} decision={x.autoWinner} />}
          <table className="numbers">
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col">Touched</th>
                <th scope="col">{x.metric}</th>
                <th scope="col">Rate</th>
                <th scope="col">vs {x.control}</th>
                <th scope="col">p-value</th>
              </tr>
            </thead>
            <tbody>
              {x.arms.map((arm) => (
                <tr key={arm.variant}>
                  <th scope="row">{arm.variant}</th>
                  <td>{arm.n}</td>
                  <td>{arm.successes}</td>
                  <td>{fmtPercent(arm.rate.value)}</td>
                  <td>{arm.versusControl ? fmtPoints(arm.versusControl.difference) : '—'}</td>
                  <td>{arm.versusControl ? arm.versusControl.pValue.toFixed(3) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

function AutoWinnerView({ step, decision: d }: { step: string; decision: AutoWinnerDecision }) {
  const tested = d.arms.reduce((sum, a) => sum + a.n, 0);
  return (
    <div role="group" aria-label={`Auto-winner decision for step ${step}`}>
      <dl className="facts auto-winner">
        <dt>Auto-winner</dt>
        <dd>
          <strong>{d.variantId}</strong> sent to {d.released} held contact{d.released === 1 ? '' : 's'}
        </dd>
        <dt>Decided by</dt>
        <dd>
          {label(d.decidedBy)} ({label(d.verdict)}) on {d.metric}, from a test share of {tested}
        </dd>
        <dt>Decided at</dt>
        <dd>
          {fmtInstant(d.decidedAt)} (due {fmtInstant(d.decideAt)}, first send {fmtInstant(d.firstSendAt)})
        </dd>
        <dt>Why</dt>
        <dd>{d.reason}</dd>
      </dl>
    </div>
  );
}

function LiftView({ report }: { report: Report }) {
  const l = report.lift;
  return (
    <>
      <h3>Holdout lift</h3>
      {!l.available ? (
        <p className="muted">{l.reason}</p>
      ) : (
        <table className="numbers lift">
          <tbody>
            <tr>
              <th scope="row">Treatment</th>
              <td>
                {l.treatment.converted} / {l.treatment.n} ({fmtPercent(l.treatmentRate)})
              </td>
            </tr>
            <tr>
              <th scope="row">Holdout</th>
              <td>
                {l.holdout.converted} / {l.holdout.n} ({fmtPercent(l.holdoutRate)})
              </td>
            </tr>
            <tr>
              <th scope="row">Absolute lift</th>
              <td>
                {fmtPoints(l.absoluteLift.estimate)} {ival(l.absoluteLift.interval, (x) => fmtPoints(x))}
              </td>
            </tr>
            <tr>
              <th scope="row">Relative lift</th>
              <td>
                {l.relativeLift
                  ? `${fmtPercent(l.relativeLift.estimate)} ${ival(l.relativeLift.interval, (x) => fmtPercent(x))}`
                  : '— (the holdout converted nobody)'}
              </td>
            </tr>
            <tr>
              <th scope="row">Incremental conversions</th>
              <td>
                {fmtNumber(l.incrementalConversions.estimate)}{' '}
                {ival(l.incrementalConversions.interval, (x) => fmtNumber(x))}
              </td>
            </tr>
            <tr>
              <th scope="row">p-value</th>
              <td>
                {l.pValue.toFixed(3)} ({l.significant ? 'significant' : 'not significant'} at α = {l.alpha})
              </td>
            </tr>
          </tbody>
        </table>
      )}
    </>
  );
}
