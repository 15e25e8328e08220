// Upserts a campaign (and the templates it references) in one transaction: validate → diff against the
// stored spec → refuse edits to a frozen plan → write the spec and a revision. A second apply of the same
// file changes nothing.
import { canonicalJson, jsonDiff, type DiffEntry } from '../../domain/campaign-diff.js';
import type { CampaignSpec } from '../../domain/campaign.js';
import { BatonError } from '../../domain/errors.js';
import type { TemplateSource } from '../../domain/guardrails/render-check.js';
import { CampaignsRepository, type Campaign } from '../campaigns.repository.js';
import type { Store } from '../db.js';
import { TemplatesRepository } from '../templates.repository.js';
import { uniqueViolationColumn } from '../unique-violation.js';
import { validateCampaignSpec } from './validate-spec.js';

export interface ApplyInput {
  /** The campaign spec as parsed from YAML or JSON (validated here). */
  spec: unknown;
  /** Template sources to upsert with the campaign (campaign files); the API sends none. */
  templates?: readonly TemplateSource[];
  /** Who made the change (an API key id, `cli:<user>`), kept on the revision. */
  author?: string | null;
  /** `create` refuses an existing id, `update` a missing one; `upsert` (default) takes either. */
  mode?: 'create' | 'update' | 'upsert';
}

export interface ApplyResult {
  campaign: Campaign;
  change: 'created' | 'updated' | 'unchanged';
  diff: DiffEntry[];
  templates: Array<{ id: string; change: 'created' | 'updated' | 'unchanged' }>;
}

const ENDED = new Set(['completed', 'reviewed', 'cancelled']);

/** The parts of a spec that the frozen measurement plan fixes once a campaign is launched. */
function frozenFields(spec: CampaignSpec): Record<string, unknown> {
  return {
    kind: spec.kind,
    'goal.metric': spec.goal?.metric,
    'goal.event': spec.goal?.event,
    'goal.filter': spec.goal?.filter,
    'goal.target': spec.goal?.target,
    'goal.lookback_days': spec.goal?.lookback_days,
    'goal.value_property': spec.goal?.value_property,
    'goal.count': spec.goal?.count,
    'measurement.holdout_percent': spec.measurement?.holdout_percent ?? 0,
    'measurement.primary_metric': spec.measurement?.primary_metric,
  };
}

/** Paths of frozen fields that differ between two specs. */
export function frozenChanges(before: CampaignSpec, after: CampaignSpec): string[] {
  const a = frozenFields(before);
  const b = frozenFields(after);
  return Object.keys(a).filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
}

export async function applyCampaign(
  store: Store,
  workspaceId: string,
  input: ApplyInput,
  now: number,
): Promise<ApplyResult> {
  const spec = validateCampaignSpec(input.spec);
  const mode = input.mode ?? 'upsert';
  return store.db.transaction().execute(async (trx) => {
    const repo = new CampaignsRepository({ db: trx });
    const templatesRepo = new TemplatesRepository({ db: trx });
    const existing = await repo.get(workspaceId, spec.id);
    if (existing && mode === 'create') {
      throw new BatonError(
        'conflict',
        `campaign ${JSON.stringify(spec.id)} already exists: update it instead`,
        {
          issues: [{ path: 'id', message: 'is taken by another campaign' }],
        },
      );
    }
    if (!existing && mode === 'update') throw BatonError.notFound('campaign', spec.id);

    const templates: ApplyResult['templates'] = [];
    for (const t of input.templates ?? []) {
      templates.push({ id: t.id, change: await templatesRepo.upsert(workspaceId, t, now) });
    }

    if (!existing) {
      try {
        await repo.insert(workspaceId, spec, now);
      } catch (e) {
        if (uniqueViolationColumn(e) === undefined) throw e;
        throw new BatonError(
          'conflict',
          `campaign ${JSON.stringify(spec.id)} was created meanwhile: apply again`,
        );
      }
      const diff = jsonDiff({}, spec);
      await repo.insertRevision(
        workspaceId,
        { campaignId: spec.id, revision: 1, spec, diff, author: input.author ?? null },
        now,
      );
      return { campaign: (await repo.get(workspaceId, spec.id))!, change: 'created', diff, templates };
    }

    const diff = jsonDiff(existing.spec, spec);
    if (diff.length === 0) return { campaign: existing, change: 'unchanged', diff, templates };
    if (ENDED.has(existing.status)) {
      throw new BatonError(
        'conflict',
        `campaign ${spec.id} is ${existing.status}: an ended campaign cannot be edited (clone it instead)`,
      );
    }
    if (existing.frozenPlan) {
      const frozen = frozenChanges(existing.spec, spec);
      if (frozen.length > 0) {
        throw new BatonError(
          'frozen',
          `campaign ${spec.id} was launched: its measurement plan is frozen, so ${frozen.join(', ')} cannot change`,
          { issues: frozen.map((path) => ({ path, message: 'is part of the frozen measurement plan' })) },
        );
      }
    }
    const ok = await repo.updateSpec(workspaceId, spec, existing.revision, now);
    if (!ok)
      throw new BatonError(
        'conflict',
        `campaign ${spec.id} changed while this edit was being applied: retry`,
      );
    await repo.insertRevision(
      workspaceId,
      { campaignId: spec.id, revision: existing.revision + 1, spec, diff, author: input.author ?? null },
      now,
    );
    return { campaign: (await repo.get(workspaceId, spec.id))!, change: 'updated', diff, templates };
  });
}

/** Deletes a campaign that never launched (a draft or a cancelled draft). */
export async function deleteCampaign(store: Store, workspaceId: string, id: string): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    const repo = new CampaignsRepository({ db: trx });
    const c = await repo.get(workspaceId, id);
    if (!c) throw BatonError.notFound('campaign', id);
    if (c.launchedAt !== null) {
      throw new BatonError(
        'conflict',
        `campaign ${id} was launched (${c.status}): end it instead of deleting it`,
      );
    }
    await repo.delete(workspaceId, id);
  });
}
