// Recorded auto-winner decisions of a campaign (table auto_winner_decisions; written by the engine's tick).
import type { Kysely } from 'kysely';
import type { AutoWinnerArm, AutoWinnerRecord } from '../measure/experiments/index.js';
import { fromJson } from './json.js';
import type { Database } from './schema.js';

export async function listAutoWinnerDecisions(
  db: Kysely<Database>,
  workspaceId: string,
  campaignId: string,
): Promise<AutoWinnerRecord[]> {
  const rows = await db
    .selectFrom('auto_winner_decisions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .orderBy('decided_at')
    .execute();
  return rows.map((r) => {
    const stored = fromJson<{ arms: AutoWinnerArm[]; comparisons: AutoWinnerRecord['comparisons'] }>(r.arms, {
      arms: [],
      comparisons: [],
    });
    return {
      campaignId: r.campaign_id,
      stepId: r.step_id,
      metric: r.metric,
      firstSendAt: Number(r.first_send_at),
      decideAt: Number(r.decide_at),
      decidedAt: Number(r.decided_at),
      variantId: r.variant_id,
      verdict: r.verdict as AutoWinnerRecord['verdict'],
      decidedBy: r.decided_by as AutoWinnerRecord['decidedBy'],
      reason: r.reason,
      arms: stored.arms,
      comparisons: stored.comparisons,
      released: Number(r.released),
    };
  });
}
