// The campaign report as readable text lines: Goal, Pacing, Funnel, Attribution, Experiments, Holdout lift,
// Cost, Learnings (`baton report`, the demo's review).
import { DateTime } from 'luxon';
import type { Interval } from './experiments/arms.js';
import type { FunnelRow, Rate } from './funnel.js';
import type { CampaignReport } from './report.js';

const num = (x: number, digits = 2): string =>
  Number.isFinite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(digits)) : x > 0 ? '∞' : '−∞';
const pct = (x: number | null, digits = 1): string => (x === null ? '—' : `${(x * 100).toFixed(digits)}%`);
/** A difference of two rates, in percentage points: 0.1 − 0.2 is −10 points, not −10%. */
const points = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)} pp`;
const rateText = (r: Rate): string =>
  r.value === null ? `— (0 ${r.of})` : `${pct(r.value)} (${r.numerator}/${r.denominator} ${r.of})`;
const interval = (i: Interval, f: (x: number) => string): string => `[${f(i.lower)}, ${f(i.upper)}]`;
const day = (ms: number | null): string =>
  ms === null ? '—' : DateTime.fromMillis(ms, { zone: 'UTC' }).toFormat("yyyy-LL-dd HH:mm 'UTC'");
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padL = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => (i === 0 ? pad(c, widths[i]!) : padL(c, widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

function funnelRows(label: (r: FunnelRow) => string, rows: FunnelRow[]): string[][] {
  return rows.map((r) => [
    label(r),
    String(r.counts.enrolled),
    String(r.counts.touched),
    `${r.counts.delivered}${r.deliveredInferred ? '*' : ''}`,
    String(r.counts.opened),
    String(r.counts.clicked),
    String(r.counts.replied),
    String(r.counts.converted),
    String(r.counts.unsubscribed),
    String(r.counts.bounced),
    pct(r.rates.open_rate.value),
    pct(r.rates.click_rate.value),
    pct(r.rates.conversion_rate.value),
  ]);
}

/** The report as lines of text, one section after another. */
export function formatReport(report: CampaignReport): string[] {
  const out: string[] = [];
  const c = report.campaign;
  out.push(`Campaign ${c.id} — ${c.name} (${c.kind}, ${c.status})`);
  out.push(
    `  launched ${day(c.launchedAt)}, ended ${day(c.endedAt)}, report as of ${day(report.asOf)}; ` +
      (c.plan === 'frozen'
        ? `judged against the plan frozen at launch (sha256 ${c.frozenHash?.slice(0, 12) ?? '—'})`
        : 'not launched: judged against the current spec'),
  );

  out.push('', 'Goal');
  const g = report.goal;
  if (!g.available) out.push(`  ${g.reason}`);
  else {
    const f = g.metric === 'rate' ? (x: number) => pct(x, 2) : (x: number) => num(x);
    const verdict =
      g.outcome === 'met'
        ? `MET (${f(g.actual)} of ${f(g.target)}, ${g.difference >= 0 ? '+' : ''}${f(g.difference)})`
        : g.outcome === 'missed'
          ? `MISSED by ${f(-g.difference)} (${f(g.actual)} of ${f(g.target)}, ${pct(g.shareOfTarget, 0)} of target)`
          : `in progress: ${f(g.actual)} of ${f(g.target)} (${pct(g.shareOfTarget, 0)})`;
    out.push(
      `  ${g.metric} of ${g.event}${g.period ? ` in ${g.period}` : ''}, lookback ${g.lookbackDays} days: ${verdict}`,
    );
    if (g.rate) out.push(`  rate ${rateText(g.rate)}`);
  }

  out.push('', 'Pacing');
  const p = report.pacing;
  if (!p.available) out.push(`  ${p.reason}`);
  else if (p.kind === 'window') {
    out.push(
      `  status ${p.status}; ${num(p.actualToDate)} actual vs ${num(p.expectedToDate, 1)} expected at ${pct(p.elapsedFraction, 0)} of the window` +
        ` (${p.reference ? `shape of ${p.reference}` : 'linear'})`,
    );
    out.push(
      `  projected final ${num(p.projectedFinal, 1)} ${interval(p.projectedInterval, (x) => num(x, 1))} = ${pct(p.projectedShareOfTarget, 0)} of target`,
    );
    if (p.costPerResult !== null) out.push(`  cost per result so far ${num(p.costPerResult)}`);
    if (p.projectedCostPerResult !== null)
      out.push(`  projected cost per result ${num(p.projectedCostPerResult)}`);
    const history =
      p.history.length > 8
        ? p.history.filter((_, i, a) => i % Math.ceil(a.length / 8) === 0 || i === a.length - 1)
        : p.history;
    for (const h of history)
      out.push(`    ${day(h.at)}  actual ${num(h.actual)}  expected ${num(h.expected, 1)}`);
  } else {
    out.push(
      ...table(
        ['month', 'target', 'actual', 'expected', 'projected', 'status'],
        p.months.map((m) => [
          m.period,
          num(m.target),
          num(m.actualToDate),
          num(m.expectedToDate, 1),
          `${num(m.projectedFinal, 1)} ${interval(m.projectedInterval, (x) => num(x, 1))}`,
          m.status,
        ]),
      ),
    );
  }

  out.push('', 'Funnel (distinct contacts; * delivered inferred as touched − bounced)');
  const f = report.funnel;
  const header = [
    '',
    'enrolled',
    'touched',
    'delivered',
    'opened',
    'clicked',
    'replied',
    'converted',
    'unsub',
    'bounced',
    'open%',
    'click%',
    'conv%',
  ];
  out.push(
    ...table(header, [
      ...funnelRows(() => 'campaign', [f.campaign]),
      ...funnelRows((r) => `channel ${r.channel}`, f.channels),
      ...funnelRows((r) => `step ${r.step}`, f.steps),
      ...funnelRows((r) => `  ${r.step}/${r.variant}`, f.variants),
    ]),
  );
  out.push(
    `  rates: open and click over delivered, conversion over touched; converted: a conversion with a campaign touch in the lookback (campaign: over enrolled ${rateText(f.campaign.rates.conversion_rate)})`,
  );
  // The arms side by side by one rule (the lift section's), not the touch-attributed "converted" above.
  const armText = (a: typeof f.holdout) =>
    `${pct(a.conversionRate.value, 2)} (${a.converted}/${a.enrolled} enrolled)`;
  out.push(
    `  enrolled (treatment) converted ${armText(f.treatment)} vs holdout converted ${armText(f.holdout)}; ${f.comparisonBasis}, intention to treat`,
  );
  if (f.accounts)
    out.push(
      `  accounts: ${f.accounts.enrolled} enrolled, engaged ${rateText(f.accounts.engagedRate)}, converted ${rateText(f.accounts.convertedRate)}`,
    );

  out.push('', 'Attribution (conversions credited; every model side by side)');
  const a = report.attribution;
  if (!a.available) out.push(`  ${a.reason}`);
  else {
    out.push(`  headline model ${a.headline}, lookback ${a.lookbackDays} days`);
    for (const [label, r] of [
      ['channel', a.byChannel],
      ['step', a.byStep],
    ] as const) {
      const models = r.models.map((m) => m.model);
      // Rows in the funnel's order (the sequence's for steps), not in the order journeys first met them.
      const order = (
        label === 'step' ? f.steps.map((s) => s.step) : f.channels.map((c) => c.channel)
      ) as string[];
      const rank = (ch: string) => (order.includes(ch) ? order.indexOf(ch) : order.length);
      out.push(
        ...table(
          [label, ...models],
          [...r.channels]
            .sort((x, y) => rank(x) - rank(y))
            .map((ch) => [
              ch,
              ...r.models.map((m) => num(m.credits.find((x) => x.channel === ch)?.conversions ?? 0)),
            ]),
        ),
      );
    }
    if (a.unattributed.conversions > 0)
      out.push(
        `  ${a.unattributed.conversions} conversions had no campaign touch in their lookback (no credit)`,
      );
  }

  out.push('', 'Experiments');
  if (report.experiments.length === 0) out.push('  no A/B steps');
  for (const x of report.experiments) {
    const rec = x.recommendation === null ? 'no recommendation' : recommendationText(x.recommendation);
    out.push(
      `  step ${x.step} (${x.metric}, control ${x.control}): ${rec}${x.winner ? ` — ${x.winner}` : ''}`,
    );
    if (x.autoWinner) {
      const w = x.autoWinner;
      out.push(
        `    auto-winner: decided ${new Date(w.decidedAt).toISOString()} (due ${new Date(w.decideAt).toISOString()}, first send ${new Date(w.firstSendAt).toISOString()}) by ${w.decidedBy.replace('_', ' ')}: ${w.variantId} to ${w.released} held contacts`,
      );
    }
    for (const arm of x.arms) {
      const cmp = (x.decision?.comparisons ?? x.autoWinner?.comparisons)?.find(
        (k) => k.variantId === arm.variant,
      );
      const best = x.decision?.chanceToBeBest?.[arm.variant];
      out.push(
        `    ${pad(arm.variant, 10)} ${rateText(arm.rate)}` +
          (cmp
            ? `  diff ${points(cmp.difference)} ${interval(cmp.interval, (v) => points(v))} p=${cmp.pValue.toFixed(3)}`
            : '') +
          (best !== undefined ? `  chance to be best ${pct(best, 0)}` : ''),
      );
    }
    out.push(`    ${x.reason}`);
  }

  out.push('', 'Holdout lift');
  const l = report.lift;
  if (!l.available) out.push(`  ${l.reason}`);
  else {
    out.push(
      `  treatment ${pct(l.treatmentRate, 2)} (${l.treatment.converted}/${l.treatment.n}) vs holdout ${pct(l.holdoutRate, 2)} (${l.holdout.converted}/${l.holdout.n}); ${l.basis}`,
    );
    out.push(
      `  absolute lift ${points(l.absoluteLift.estimate)} ${interval(l.absoluteLift.interval, (v) => points(v))}, p=${l.pValue.toFixed(4)}${l.significant ? ' (significant)' : ' (not significant)'}`,
    );
    out.push(
      l.relativeLift
        ? `  relative lift ${pct(l.relativeLift.estimate)} ${interval(l.relativeLift.interval, (v) => pct(v))}`
        : '  relative lift undefined: the holdout converted nobody',
    );
    out.push(
      `  incremental conversions ${num(l.incrementalConversions.estimate, 1)} ${interval(l.incrementalConversions.interval, (v) => num(v, 1))}`,
    );
    if (l.incrementalValue)
      out.push(
        `  incremental value ${num(l.incrementalValue.estimate)} ${interval(l.incrementalValue.interval, (v) => num(v))}`,
      );
  }

  out.push('', 'Cost');
  const cost = report.cost;
  if (!cost.available) out.push(`  ${cost.reason}`);
  else {
    const k = cost;
    out.push(
      `  ${k.basis} ${num(k.spend ?? k.budget ?? 0)} ${k.currency} (budget ${k.budget === null ? 'none' : num(k.budget)}), ${num(k.results)} results, cost per result ${k.costPerResult === null ? '— (no results)' : num(k.costPerResult)}`,
    );
    for (const ch of k.byChannel)
      out.push(
        `    ${pad(ch.channel, 10)} spend ${num(ch.spend)}  credited ${num(ch.credited)}  per result ${ch.costPerResult === null ? '—' : num(ch.costPerResult)}`,
      );
  }

  out.push('', 'Learnings');
  if (report.learnings) {
    for (const line of report.learnings.text.split(/\r?\n/)) out.push(`  ${line}`);
    out.push(`  — ${report.learnings.author ?? 'the team'}, ${day(report.learnings.updatedAt)}`);
  } else out.push('  none written yet (PUT /api/v1/campaigns/:id/review)');
  return out;
}

const TIME_KEYS = new Set([
  'at',
  'asOf',
  'launchedAt',
  'endedAt',
  'updatedAt',
  'periodStart',
  'periodEnd',
  'firstSendAt',
  'decideAt',
  'decidedAt',
]);

/**
 * The report as plain JSON for the CLI and the API: times as ISO 8601, infinite interval ends (a projection
 * before anything is expected) as null.
 */
export function reportToJson(report: CampaignReport): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(report, (key, v: unknown) => {
      if (typeof v !== 'number') return v;
      if (!Number.isFinite(v)) return null;
      return TIME_KEYS.has(key) ? new Date(v).toISOString() : v;
    }),
  ) as Record<string, unknown>;
}

/**
 * How a recommendation reads: an inconclusive test says that no difference was found, and that this is not
 * evidence of none (`no difference` is kept for a test that showed equivalence within its margin).
 */
export function recommendationText(verdict: string): string {
  if (verdict === 'inconclusive') return 'no difference found (inconclusive: not evidence of none)';
  return verdict.replace('_', ' ');
}
