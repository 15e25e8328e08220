// Prints each demo campaign's review (the same report `baton report` prints), and with --truth the
// simulator's ground truth beside what Baton measured: incremental conversions against the holdout lift,
// each channel's true contribution against every attribution model's credit, with each model's error.
import { campaignWindow } from '../domain/campaign.js';
import { formatReport } from '../measure/report-text.js';
import type { CampaignReport } from '../measure/report.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import { buildCampaignReport } from '../store/report-data.js';
import type { DemoRun } from './demo.js';
import { campaignTruth, type CampaignTruth } from './truth-check.js';

const DAY = 86_400_000;

export interface PrintOptions {
  truth: boolean;
  out: (line: string) => void;
}

export async function printDemoReview(run: DemoRun, opts: PrintOptions): Promise<void> {
  const { store, workspaceId } = run;
  const now = run.clock.now();
  const campaigns = new CampaignsRepository(store);
  for (const id of run.campaignIds) {
    const report = await buildCampaignReport(store, workspaceId, id, now);
    opts.out('');
    for (const line of formatReport(report)) opts.out(line);
    if (!opts.truth) continue;
    const c = await campaigns.get(workspaceId, id);
    const goal = c?.frozenPlan?.goal ?? c?.spec.goal;
    const w = c ? campaignWindow(c.spec) : null;
    if (!c || !goal || !w) continue;
    const treatment = await store.db
      .selectFrom('enrollments')
      .innerJoin('contacts', 'contacts.id', 'enrollments.contact_id')
      .select('contacts.external_id as ext')
      .where('enrollments.workspace_id', '=', workspaceId)
      .where('enrollments.campaign_id', '=', id)
      .where('enrollments.arm', '=', 'treatment')
      .execute();
    const truth = campaignTruth(run.market.conversions(), {
      goalEvent: goal.event,
      from: w.start,
      to: Math.min(now, (c.endedAt ?? now) + goal.lookback_days * DAY),
      treatment: new Set(treatment.map((t) => t.ext ?? '')),
    });
    for (const line of truthLines(report, truth)) opts.out(line);
  }
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function truthLines(report: CampaignReport, truth: CampaignTruth): string[] {
  const out = ['', '  Ground truth (known only to the simulator)'];
  out.push(
    `    treatment conversions ${truth.treatmentConversions}, of which ${truth.counterfactualConversions} would have happened anyway: ` +
      `true incremental ${truth.incremental}`,
  );
  if (report.lift.available) {
    const inc = report.lift.incrementalConversions;
    const inside = truth.incremental >= inc.interval.lower && truth.incremental <= inc.interval.upper;
    out.push(
      `    holdout lift measured ${fmt(inc.estimate)} [${fmt(inc.interval.lower)}, ${fmt(inc.interval.upper)}]: ` +
        `${inside ? 'the interval contains the truth' : 'the interval misses the truth'} (error ${fmt(inc.estimate - truth.incremental)})`,
    );
  } else {
    out.push(`    holdout lift: not measured (${report.lift.reason})`);
  }
  if (!report.attribution.available) return out;
  const channels = [
    ...new Set([...report.attribution.byChannel.channels, ...Object.keys(truth.byChannel)]),
  ].sort();
  const trueTotal = Object.values(truth.byChannel).reduce((s, v) => s + v, 0);
  out.push(
    `    true incremental conversions by channel: ${channels.map((ch) => `${ch} ${truth.byChannel[ch] ?? 0}`).join(', ')}`,
  );
  out.push(
    '    attribution error (share of credit − true share of incremental conversions, mean absolute, percentage points):',
  );
  for (const m of report.attribution.byChannel.models) {
    const total = m.credits.reduce((s, c) => s + c.conversions, 0);
    if (total <= 0 || trueTotal <= 0) continue;
    const errors = channels.map((ch) => {
      const credit = m.credits.find((c) => c.channel === ch)?.conversions ?? 0;
      return Math.abs(credit / total - (truth.byChannel[ch] ?? 0) / trueTotal);
    });
    const mae = (100 * errors.reduce((s, e) => s + e, 0)) / errors.length;
    out.push(`      ${m.model.padEnd(16)} ${fmt(mae)} pp`);
  }
  return out;
}
