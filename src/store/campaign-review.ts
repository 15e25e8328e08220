// The review loop: learnings written for a campaign (a completed one becomes reviewed), and the next campaign
// cloned from a reviewed one with the winning variants as defaults and the learnings linked.
import type { CampaignSpec, Step } from '../domain/campaign.js';
import { BatonError } from '../domain/errors.js';
import type { ExperimentSection } from '../measure/report.js';
import { CampaignsRepository, type Campaign } from './campaigns.repository.js';
import { applyCampaign, reviewCampaign } from './campaigns/index.js';
import type { Store } from './db.js';
import { buildCampaignReport } from './report-data.js';
import { ReviewsRepository, type CampaignReview } from './reviews.repository.js';

export const MAX_LEARNINGS = 20_000;

export interface ReviewResult {
  review: CampaignReview;
  campaign: Campaign;
  /** True when this write moved the campaign from completed to reviewed. */
  moved: boolean;
}

/**
 * Writes the learnings of a campaign. A completed campaign moves to reviewed (through the lifecycle table);
 * learnings can be written earlier too (notes during the run) and rewritten after, without a move.
 */
export async function writeReview(
  store: Store,
  workspaceId: string,
  campaignId: string,
  learnings: string,
  author: string | null,
  now: number,
): Promise<ReviewResult> {
  const text = learnings.trim();
  if (text === '')
    throw BatonError.invalid([{ path: 'learnings', message: 'is empty: write what the team learned' }]);
  if (text.length > MAX_LEARNINGS)
    throw BatonError.invalid([{ path: 'learnings', message: `is longer than ${MAX_LEARNINGS} characters` }]);
  const campaigns = new CampaignsRepository(store);
  const campaign = await campaigns.get(workspaceId, campaignId);
  if (!campaign) throw BatonError.notFound('campaign', campaignId);
  const review = await new ReviewsRepository(store).put(workspaceId, campaignId, text, author, now);
  if (campaign.status !== 'completed') return { review, campaign, moved: false };
  const moved = await reviewCampaign(store, workspaceId, campaignId, now);
  return { review, campaign: moved, moved: true };
}

export interface CloneOptions {
  name: string;
  /** The new campaign's id; by default a slug of the name. */
  id?: string;
  author?: string | null;
}

export interface CloneResult {
  campaign: Campaign;
  source: string;
  /** Steps whose test found a winner: that variant is now the step's only content. */
  winners: Array<{ step: string; variant: string }>;
  /** Steps whose test was not conclusive: their variants are kept for the next test. */
  stillTesting: string[];
}

export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug === '' ? 'campaign' : slug;
}

/** The step with the winner's content as its own and no variants or test left. */
function withWinner(step: Step, variantId: string): Step {
  const v = step.variants?.find((x) => x.id === variantId);
  if (!v) return step;
  const next: Step = { ...step };
  delete next.variants;
  delete next.test;
  for (const key of ['subject', 'preheader', 'template', 'body'] as const) {
    if (v[key] !== undefined) next[key] = v[key];
  }
  return next;
}

/** The next campaign's spec: the source's, winners made the default, learnings linked, no window yet. */
export function nextCampaignSpec(
  source: Campaign,
  experiments: readonly ExperimentSection[],
  learnings: string | null,
  options: CloneOptions,
): { spec: CampaignSpec; winners: CloneResult['winners']; stillTesting: string[] } {
  const winners: CloneResult['winners'] = [];
  const stillTesting: string[] = [];
  const sequence = source.spec.sequence.map((step) => {
    if (!step.variants) return step;
    const x = experiments.find((e) => e.step === step.id);
    if (x?.recommendation === 'winner' && x.winner) {
      winners.push({ step: step.id, variant: x.winner });
      return withWinner(step, x.winner);
    }
    stillTesting.push(step.id);
    return step;
  });
  const lines = [
    source.spec.description,
    `Cloned from ${source.id} (${source.name}); its report: GET /api/v1/campaigns/${source.id}/report.`,
    winners.length > 0
      ? `Winning variants made the default: ${winners.map((w) => `${w.step} → ${w.variant}`).join(', ')}.`
      : undefined,
    learnings ? `Learnings from ${source.id}:\n${learnings}` : undefined,
  ].filter((l): l is string => l !== undefined && l !== '');
  const spec: CampaignSpec = structuredClone({
    ...source.spec,
    id: options.id ?? slugOf(options.name),
    name: options.name,
    description: lines.join('\n\n'),
    sequence,
  });
  // The old window is over: the team sets the next one. The source's pacing curve shapes the next campaign's.
  delete spec.window;
  if (spec.kind === 'campaign' && spec.measurement)
    spec.measurement = { ...spec.measurement, reference_campaign: source.id };
  return { spec, winners, stillTesting };
}

/** Starts the next campaign (a draft) from a reviewed one. */
export async function cloneCampaign(
  store: Store,
  workspaceId: string,
  sourceId: string,
  options: CloneOptions,
  now: number,
): Promise<CloneResult> {
  if (options.name.trim() === '') throw BatonError.invalid([{ path: 'name', message: 'must not be empty' }]);
  const source = await new CampaignsRepository(store).get(workspaceId, sourceId);
  if (!source) throw BatonError.notFound('campaign', sourceId);
  if (source.status !== 'reviewed')
    throw new BatonError(
      'conflict',
      `campaign ${sourceId} is ${source.status}: clone a reviewed campaign (write its review first with PUT /api/v1/campaigns/${sourceId}/review)`,
      { status: source.status },
    );
  const report = await buildCampaignReport(store, workspaceId, sourceId, now);
  const next = nextCampaignSpec(source, report.experiments, report.learnings?.text ?? null, options);
  const applied = await applyCampaign(
    store,
    workspaceId,
    { spec: next.spec, author: options.author ?? null, mode: 'create' },
    now,
  );
  return {
    campaign: applied.campaign,
    source: sourceId,
    winners: next.winners,
    stillTesting: next.stillTesting,
  };
}
