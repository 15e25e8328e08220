// The worker's sweep over elapsed time windows (decision 0022): subjects whose `stage_recheck_at` has come
// are re-evaluated at `now` in either direction.
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import { evaluateAccounts } from './account-stages.js';
import { CHUNK, TIME_WINDOW_ELAPSED } from './stage-common.js';
import { evaluateStages } from './stage-evaluator.js';

/**
 * The sweep: subjects of one workspace whose `stage_recheck_at` has come (a time window in their criteria
 * elapsed), re-evaluated at `now` in either direction; changes are recorded with cause
 * `time_window_elapsed`. Reads the recheck index in pages; each evaluation moves the subject's recheck
 * past `now`, so the loop ends.
 */
export async function sweepStageWindows(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  now: number,
): Promise<{ contacts: number; accounts: number; changes: number }> {
  const out = { contacts: 0, accounts: 0, changes: 0 };
  for (let round = 0; round < 100; round++) {
    const due = await store.db
      .selectFrom('journey_stages')
      .select(['subject_kind', 'subject_id'])
      .where('workspace_id', '=', workspaceId)
      .where('stage_recheck_at', '<=', now)
      .orderBy('stage_recheck_at')
      .limit(CHUNK)
      .execute();
    if (due.length === 0) break;
    const contacts = due.filter((d) => d.subject_kind === 'contact').map((d) => d.subject_id);
    const accounts = due.filter((d) => d.subject_kind === 'account').map((d) => d.subject_id);
    if (contacts.length > 0) {
      const r = await evaluateStages(store, workspaceId, journey, contacts, {
        now,
        cause: TIME_WINDOW_ELAPSED,
        mode: 'recheck',
      });
      out.contacts += contacts.length;
      out.changes += r.contactChanges + r.accountChanges;
    }
    if (accounts.length > 0) {
      out.accounts += accounts.length;
      out.changes += await evaluateAccounts(store, workspaceId, journey, accounts, {
        now,
        mode: 'recheck',
        cause: TIME_WINDOW_ELAPSED,
      });
    }
    // Subjects whose recheck could not move past now (a contact deleted meanwhile) must not loop.
    await store.db
      .updateTable('journey_stages')
      .set({ stage_recheck_at: null })
      .where('workspace_id', '=', workspaceId)
      .where('stage_recheck_at', '<=', now)
      .where(
        'subject_id',
        'in',
        due.map((d) => d.subject_id),
      )
      .execute();
    if (due.length < CHUNK) break;
  }
  return out;
}
