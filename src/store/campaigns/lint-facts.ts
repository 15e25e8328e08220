// Gathers what the pure guardrails need besides the spec: audience size and share, goal-event history,
// overlap with other running campaigns, template renders for sample contacts, workspace settings.
// The one place that changes when the audience or content modules change shape.
import { campaignWindow, type CampaignSpec } from '../../domain/campaign.js';
import { BatonError, isBatonError } from '../../domain/errors.js';
import {
  lint,
  type Finding,
  type JourneyFacts,
  type LintFacts,
  type OverlapFact,
} from '../../domain/guardrails/index.js';
import {
  renderChecks,
  templateRefs,
  type SampleContact,
  type TemplateSource,
} from '../../domain/guardrails/render-check.js';
import { workspaceSettings } from '../../domain/workspace-settings.js';
import { previewAudience, resolveAudience } from '../audience.js';
import { CampaignsRepository } from '../campaigns.repository.js';
import type { Store } from '../db.js';
import { fromJson } from '../json.js';
import { getJourney } from '../journey/journey-map.repository.js';
import { specReachChannel } from './reach-channel.js';
import { TemplatesRepository } from '../templates.repository.js';
import { WorkspacesRepository } from '../workspaces.repository.js';

const DAY = 86_400_000;
const SAMPLE_SIZE = 20;
const CHUNK = 500;

export interface LintOptions {
  /** Template sources that override the workspace's (a file being linted before apply). */
  templates?: readonly TemplateSource[];
}

export async function gatherLintFacts(
  store: Store,
  workspaceId: string,
  spec: CampaignSpec,
  now: number,
  options: LintOptions = {},
): Promise<LintFacts> {
  const ws = await new WorkspacesRepository(store).get(workspaceId);
  if (!ws) throw BatonError.notFound('workspace', workspaceId);
  const settings = workspaceSettings(ws.settings);

  const audienceSpec: Partial<NonNullable<CampaignSpec['audience']>> = spec.audience ?? {};
  const channel = specReachChannel(spec);
  let facts: LintFacts['audience'] = null;
  let audienceError: string | null = null;
  let sampleIds: string[] = [];
  let audienceIds: string[] = [];
  try {
    const preview = await previewAudience(store, workspaceId, audienceSpec, {
      now,
      channel,
      sampleSize: SAMPLE_SIZE,
    });
    sampleIds = preview.sample.map((s) => s.id);
    const hasCondition =
      audienceSpec.segment !== undefined ||
      audienceSpec.segment_id !== undefined ||
      audienceSpec.accounts !== undefined;
    // Contact ids only when a rule needs them: the holdout baseline or an overlap with a live campaign.
    const holdout = (spec.measurement?.holdout_percent ?? 0) > 0;
    const others = await otherLiveCampaigns(store, workspaceId, spec.id);
    if (preview.count > 0 && ((holdout && spec.goal) || others.length > 0)) {
      audienceIds = (await resolveAudience(store, workspaceId, audienceSpec, { now, channel })).contactIds;
    }
    let goalBaselineRate: number | null = null;
    if (spec.goal && holdout && preview.count > 0) {
      const from = now - spec.goal.lookback_days * DAY;
      goalBaselineRate =
        (await convertersAmong(store, workspaceId, spec.goal.event, from, now, audienceIds)) / preview.count;
    }
    facts = {
      count: preview.count,
      reachable: preview.reachable,
      shareOfReachable: preview.share,
      hasCondition,
      goalBaselineRate,
    };
  } catch (e) {
    if (!isBatonError(e) || e.code !== 'invalid_input') throw e;
    const issue = (e.details as { issues?: Array<{ path: string; message: string }> } | undefined)
      ?.issues?.[0];
    audienceError = issue ? `audience.${issue.path}: ${issue.message}` : e.message;
  }

  const goalEventSeen = spec.goal
    ? (await store.db
        .selectFrom('events')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('type', '=', spec.goal.event)
        .limit(1)
        .executeTakeFirst()) !== undefined
    : false;

  const overlaps = audienceIds.length ? await overlapsWith(store, workspaceId, spec.id, audienceIds) : [];

  const templates = new Map<string, TemplateSource>();
  const stored = await new TemplatesRepository(store).getMany(workspaceId, templateRefs(spec));
  for (const [id, t] of stored) templates.set(id, t);
  for (const t of options.templates ?? []) templates.set(t.id, t);
  const renders = await renderChecks(spec, templates, await sampleContacts(store, workspaceId, sampleIds));

  const journey = await journeyFacts(store, workspaceId, spec, async () =>
    facts && facts.count > 0
      ? audienceIds.length > 0
        ? audienceIds
        : (await resolveAudience(store, workspaceId, audienceSpec, { now, channel })).contactIds
      : [],
  );

  return { now, settings, audience: facts, goalEventSeen, overlaps, renders, audienceError, journey };
}

/**
 * Where the audience stands in the workspace's journey, when the campaign or a step declares a stage and
 * the workspace has a journey map; null otherwise.
 */
async function journeyFacts(
  store: Store,
  workspaceId: string,
  spec: CampaignSpec,
  audience: () => Promise<string[]>,
): Promise<JourneyFacts | null> {
  if (!spec.stage && !spec.sequence.some((s) => s.stage)) return null;
  const { enabled, journey } = await getJourney(store, workspaceId);
  if (!enabled) return null;
  const ids = await audience();
  const byStage: Record<string, number> = {};
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await store.db
      .selectFrom('journey_stages')
      .select(['stage', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('subject_kind', '=', 'contact')
      .where('subject_id', 'in', ids.slice(i, i + CHUNK))
      .groupBy('stage')
      .execute();
    for (const r of rows) byStage[r.stage] = (byStage[r.stage] ?? 0) + Number(r.n);
  }
  return { stages: journey.map.stages.map((s) => s.id), audienceByStage: byStage, audienceTotal: ids.length };
}

/** Findings for a spec in its workspace at `now`. */
export async function lintCampaignSpec(
  store: Store,
  workspaceId: string,
  spec: CampaignSpec,
  now: number,
  options: LintOptions = {},
): Promise<Finding[]> {
  return lint(spec, await gatherLintFacts(store, workspaceId, spec, now, options));
}

async function otherLiveCampaigns(store: Store, workspaceId: string, selfId: string) {
  const live = await new CampaignsRepository(store).list(workspaceId, {
    statuses: ['running', 'scheduled', 'paused'],
  });
  return live.filter((c) => c.id !== selfId);
}

/** Contacts of `among` who did `event` in [from, to]. */
async function convertersAmong(
  store: Store,
  workspaceId: string,
  event: string,
  from: number,
  to: number,
  among: string[],
): Promise<number> {
  if (among.length === 0) return 0;
  const rows = await store.db
    .selectFrom('events')
    .select('contact_id')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', event)
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<=', to)
    .where('contact_id', 'is not', null)
    .execute();
  const set = new Set(among);
  return rows.filter((r) => r.contact_id !== null && set.has(r.contact_id)).length;
}

/** Active enrollments of these contacts in other live campaigns, counted per campaign. */
async function overlapsWith(
  store: Store,
  workspaceId: string,
  selfId: string,
  contactIds: string[],
): Promise<OverlapFact[]> {
  const others = await otherLiveCampaigns(store, workspaceId, selfId);
  if (others.length === 0) return [];
  const ids = others.map((c) => c.id);
  const counts = new Map<string, number>();
  const enrolled = Number(
    (
      await store.db
        .selectFrom('enrollments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('state', '=', 'active')
        .where('campaign_id', 'in', ids)
        .executeTakeFirst()
    )?.n ?? 0,
  );
  if (enrolled <= contactIds.length) {
    // Fewer live enrollments than audience contacts: read them and intersect here.
    const audience = new Set(contactIds);
    const rows = await store.db
      .selectFrom('enrollments')
      .select(['campaign_id', 'contact_id'])
      .where('workspace_id', '=', workspaceId)
      .where('state', '=', 'active')
      .where('campaign_id', 'in', ids)
      .execute();
    const seen = new Set<string>();
    for (const r of rows) {
      const key = `${r.campaign_id}\u0000${r.contact_id}`;
      if (!audience.has(r.contact_id) || seen.has(key)) continue;
      seen.add(key);
      counts.set(r.campaign_id, (counts.get(r.campaign_id) ?? 0) + 1);
    }
  } else {
    for (let i = 0; i < contactIds.length; i += CHUNK) {
      const rows = await store.db
        .selectFrom('enrollments')
        .select(['campaign_id', (eb) => eb.fn.count<number>('contact_id').distinct().as('n')])
        .where('workspace_id', '=', workspaceId)
        .where('state', '=', 'active')
        .where('campaign_id', 'in', ids)
        .where('contact_id', 'in', contactIds.slice(i, i + CHUNK))
        .groupBy('campaign_id')
        .execute();
      for (const r of rows) counts.set(r.campaign_id, (counts.get(r.campaign_id) ?? 0) + Number(r.n));
    }
  }
  return others
    .filter((c) => (counts.get(c.id) ?? 0) > 0)
    .map((c) => {
      const w = campaignWindow(c.spec);
      return {
        campaignId: c.id,
        name: c.name,
        sharedContacts: counts.get(c.id)!,
        window: w ? { start: w.start, end: w.end } : null,
      };
    });
}

async function sampleContacts(store: Store, workspaceId: string, ids: string[]): Promise<SampleContact[]> {
  if (ids.length === 0) return [];
  const contacts = await store.db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  const accountIds = [...new Set(contacts.map((c) => c.account_id).filter((a): a is string => a !== null))];
  const accounts = accountIds.length
    ? await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', accountIds)
        .execute()
    : [];
  const byId = new Map(accounts.map((a) => [a.id, a]));
  return contacts.map((c) => {
    const { attributes, workspace_id: _w, ...fields } = c;
    const attrs = fromJson<Record<string, unknown>>(attributes, {});
    const a = c.account_id ? byId.get(c.account_id) : undefined;
    let account: Record<string, unknown> | null = null;
    if (a) {
      const { attributes: aAttrs, workspace_id: _aw, ...aFields } = a;
      const aa = fromJson<Record<string, unknown>>(aAttrs, {});
      account = { ...aa, ...aFields, attributes: aa };
    }
    return { id: c.id, contact: { ...attrs, ...fields, attributes: attrs }, account };
  });
}
