// A workspace's journey map: read (the default preset, not yet enabled, when none is set) and replace. A
// new map re-evaluates every contact of the workspace at once, since stage ids and criteria may change.
import { BatonError } from '../../domain/errors.js';
import { checkJourney, presetJourney, type CheckedJourney, type JourneyMap } from '../../domain/journey.js';
import { referencesOf } from '../../domain/segment.js';
import type { CheckedNode } from '../../domain/segment.js';
import type { Store } from '../db.js';
import { fromJson, toJson } from '../json.js';
import { resolveReferences } from '../segments/references.js';
import { evaluateStages, type EvaluateResult } from './stage-evaluator.js';

export interface WorkspaceJourney {
  /** False until the workspace sets a map: no stage is tracked before that. */
  enabled: boolean;
  journey: CheckedJourney;
  updatedAt: number | null;
}

/** Re-checks a stored map (its criteria become typed rule trees again). */
export function checkStoredJourney(map: JourneyMap): CheckedJourney {
  const checked = checkJourney({
    stages: map.stages,
    milestones: map.milestones,
    w_shares: map.w_shares,
    deal_lookback_days: map.deal_lookback_days,
    ...(map.account_stage ? { account_stage: map.account_stage } : {}),
  });
  return { ...checked, map: { ...checked.map, preset: map.preset } };
}

export async function getJourney(store: Store, workspaceId: string): Promise<WorkspaceJourney> {
  const row = await store.db
    .selectFrom('journey_maps')
    .select(['map', 'updated_at'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) return { enabled: false, journey: checkJourney({}), updatedAt: null };
  return {
    enabled: true,
    journey: checkStoredJourney(fromJson<JourneyMap>(row.map, presetJourney())),
    updatedAt: Number(row.updated_at),
  };
}

/** Every workspace with a journey map, with its checked map. */
export async function enabledJourneys(store: Store): Promise<Map<string, CheckedJourney>> {
  const rows = await store.db.selectFrom('journey_maps').select(['workspace_id', 'map']).execute();
  const out = new Map<string, CheckedJourney>();
  for (const r of rows)
    out.set(r.workspace_id, checkStoredJourney(fromJson<JourneyMap>(r.map, presetJourney())));
  return out;
}

/**
 * Validates and stores the map (`invalid_input` names the field; nothing is written then), then
 * re-evaluates every contact: a contact may move back here, because the stages themselves changed.
 */
export async function setJourney(
  store: Store,
  workspaceId: string,
  input: unknown,
  now: number,
): Promise<{ journey: CheckedJourney; evaluation: EvaluateResult }> {
  const journey = checkJourney(input);
  // Criteria referring to missing lists or segments fail here, before anything is written.
  await resolveReferences(
    store,
    workspaceId,
    journey.rules.filter((r): r is CheckedNode => r !== undefined),
  );
  const accountRules = journey.accountRules.filter((r): r is CheckedNode => r !== undefined);
  if (accountRules.length > 0) {
    const refs = await resolveReferences(store, workspaceId, accountRules);
    const contactLists = accountRules
      .flatMap((r) => referencesOf(r).lists)
      .filter((l) => refs.lists.get(l.ref)?.kind !== 'account');
    if (contactLists.length > 0)
      throw BatonError.invalid(
        contactLists.map((l) => ({
          path: l.path,
          message: `list ${JSON.stringify(l.ref)} holds contacts; account criteria take an account list`,
        })),
      );
  }
  await store.db
    .insertInto('journey_maps')
    .values({ workspace_id: workspaceId, map: toJson(journey.map), updated_at: now })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ map: toJson(journey.map), updated_at: now }))
    .execute();
  const result = await evaluateStages(store, workspaceId, journey, 'all', {
    now,
    cause: 'journey_changed',
    mode: 'reset',
  });
  return { journey, evaluation: result };
}
