// Auto-winner steps (an A/B step with `test`): only `share` of the contacts reaching the step get a variant at
// once; the others' touches wait as `held` with reason `awaiting_winner`. At `decide_after` from the step's
// first send, the worker's tick decides the test with the sequential statistics (`decideWinner`) on the test's
// metric, records the decision and its reason, and hands the held touches the winner (or the fallback when no
// variant is demonstrably better). Released touches go back to `planned`, so the dispatcher places them in
// each person's send window and under the caps like any touch. docs/decisions/0018-auto-winner-hold-back.md.
import { sql, type Kysely } from 'kysely';
import type { Step } from '../domain/campaign.js';
import { workspaceSettings } from '../domain/workspace-settings.js';
import {
  autoWinnerDecision,
  type AutoWinnerArm,
  type AutoWinnerRecord,
} from '../measure/experiments/index.js';
import { addDelay, parseDelay } from '../planning/index.js';
import { CampaignsRepository, type Campaign } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import { toJson } from '../store/json.js';
import { buildCampaignReport } from '../store/report-data.js';
import type { Database } from '../store/schema.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { buildRuntime } from './campaign-runtime.js';

/** The reason a touch of a test step waits for the decision. */
export const AWAITING_WINNER = 'awaiting_winner';

/**
 * The variant a contact's touch of `step` carries, and whether it waits for the decision. Once a test step is
 * decided everyone reaching it gets the decided variant; before, the contacts of the test share carry the
 * variant drawn at enrollment and the others (no variant drawn for the step) are held.
 */
export function stepVariant(
  step: Step,
  enrollmentVariants: Readonly<Record<string, string>> | undefined,
  decided: ReadonlyMap<string, string>,
): { variantId: string | null; held: boolean } {
  const won = decided.get(step.id);
  if (won !== undefined) return { variantId: won, held: false };
  const variantId = enrollmentVariants?.[step.id] ?? null;
  return { variantId, held: Boolean(step.test && step.variants && variantId === null) };
}

/** Whether a campaign has an auto-winner step (the decision lookups are skipped otherwise). */
export function hasTestSteps(steps: readonly Step[]): boolean {
  return steps.some((s) => s.test && s.variants);
}

/** The decided variant per step of a campaign. */
export async function decidedVariants(
  db: Kysely<Database>,
  workspaceId: string,
  campaignId: string,
): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('auto_winner_decisions')
    .select(['step_id', 'variant_id'])
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .execute();
  return new Map(rows.map((r) => [r.step_id, r.variant_id]));
}

interface PendingTest {
  campaign: Campaign;
  step: Step & { test: NonNullable<Step['test']>; variants: NonNullable<Step['variants']> };
  firstSendAt: number;
  decideAt: number;
}

/** Undecided test steps of the workspace's running campaigns that have sent, with their decision time. */
async function pendingTests(store: Store, workspaceId: string): Promise<PendingTest[]> {
  const running = (await new CampaignsRepository(store).list(workspaceId, { statuses: ['running'] })).filter(
    (c) => hasTestSteps(c.spec.sequence),
  );
  if (running.length === 0) return [];
  const ws = await new WorkspacesRepository(store).get(workspaceId);
  const settings = workspaceSettings(ws?.settings ?? {});
  const out: PendingTest[] = [];
  for (const c of running) {
    const decided = await decidedVariants(store.db, workspaceId, c.id);
    const rt = buildRuntime(workspaceId, c.spec, c.revision, settings);
    for (const step of c.spec.sequence) {
      if (!step.test || !step.variants || decided.has(step.id)) continue;
      const first = await store.db
        .selectFrom('touches')
        .select((eb) => eb.fn.min('sent_at').as('t'))
        .where('workspace_id', '=', workspaceId)
        .where('campaign_id', '=', c.id)
        .where('step_id', '=', step.id)
        .where('status', '=', 'sent')
        .executeTakeFirst();
      if (first?.t === null || first?.t === undefined) continue;
      const firstSendAt = Number(first.t);
      const delay = parseDelay(step.test.decide_after, `sequence.${step.id}.test.decide_after`);
      out.push({
        campaign: c,
        step: step as PendingTest['step'],
        firstSendAt,
        decideAt: addDelay(firstSendAt, delay, rt.zone, rt.holidays),
      });
    }
  }
  return out;
}

/** The earliest pending decision time in the workspace (Infinity when none), for simulated clocks. */
export async function nextAutoWinnerAt(store: Store, workspaceId: string): Promise<number> {
  let next = Infinity;
  for (const p of await pendingTests(store, workspaceId)) next = Math.min(next, p.decideAt);
  return next;
}

/**
 * Decides every test step whose time has come and releases its held touches to the chosen variant, each in
 * one transaction. A decision is recorded once (primary key per campaign step): of two workers deciding at
 * once, only the one whose insert lands releases.
 */
export async function decideAutoWinners(
  store: Store,
  workspaceId: string,
  now: number,
): Promise<AutoWinnerRecord[]> {
  const due = (await pendingTests(store, workspaceId)).filter((p) => p.decideAt <= now);
  const out: AutoWinnerRecord[] = [];
  for (const p of due) {
    const record = await decide(store, workspaceId, p, now);
    const released = await store.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('auto_winner_decisions')
        .values({
          workspace_id: workspaceId,
          campaign_id: record.campaignId,
          step_id: record.stepId,
          first_send_at: record.firstSendAt,
          decide_at: record.decideAt,
          decided_at: record.decidedAt,
          metric: record.metric,
          variant_id: record.variantId,
          verdict: record.verdict,
          decided_by: record.decidedBy,
          reason: record.reason,
          arms: toJson({ arms: record.arms, comparisons: record.comparisons }),
          released: 0,
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'campaign_id', 'step_id']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return null;
      const r = await trx
        .updateTable('touches')
        .set({
          status: 'planned',
          reason: null,
          variant_id: record.variantId,
          due_at: sql<number>`case when due_at < ${now} then ${now} else due_at end`,
        })
        .where('workspace_id', '=', workspaceId)
        .where('campaign_id', '=', record.campaignId)
        .where('step_id', '=', record.stepId)
        .where('status', '=', 'held')
        .where('reason', '=', AWAITING_WINNER)
        .executeTakeFirst();
      const released = Number(r.numUpdatedRows);
      await trx
        .updateTable('auto_winner_decisions')
        .set({ released })
        .where('workspace_id', '=', workspaceId)
        .where('campaign_id', '=', record.campaignId)
        .where('step_id', '=', record.stepId)
        .execute();
      return released;
    });
    if (released !== null) out.push({ ...record, released });
  }
  return out;
}

/** The decision for one test step from the campaign report's counts at `now` (the test share only). */
async function decide(
  store: Store,
  workspaceId: string,
  p: PendingTest,
  now: number,
): Promise<AutoWinnerRecord> {
  const report = await buildCampaignReport(store, workspaceId, p.campaign.id, now);
  const section = report.experiments.find((x) => x.step === p.step.id);
  const arms: AutoWinnerArm[] = p.step.variants.map((v) => {
    const a = section?.arms.find((x) => x.variant === v.id);
    return { id: v.id, n: a?.n ?? 0, successes: a?.successes ?? 0 };
  });
  return autoWinnerDecision(p.campaign.id, p.step, arms, {
    firstSendAt: p.firstSendAt,
    decideAt: p.decideAt,
    now,
  });
}
