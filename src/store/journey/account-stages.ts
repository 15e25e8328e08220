// Account stages: an account's stage is the furthest stage of its contacts, the furthest its own criteria
// meet (src/store/journey/account-criteria.ts), or the further of both, as the journey map's
// `account_stage` says; one SQL statement per chunk of accounts, changes written with their cause.
import { sql, type Insertable, type Kysely, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import type { CompileContext } from '../segments/compile.js';
import { accountRechecks, accountStageIndexExpr } from './account-criteria.js';
import {
  CHUNK,
  eventsOf,
  insertChanges,
  journeyContext,
  usesContacts,
  usesOwnCriteria,
  type CauseEvent,
  type TIME_WINDOW_ELAPSED,
} from './stage-common.js';

/** The furthest contact move of a pass for one account, to date and name the account's move. */
export interface ContactMove {
  index: number;
  at: number;
  because?: CauseEvent | undefined;
}

export interface AccountEvaluateOptions {
  now: number;
  /** As for contacts: `forward` only moves further; `reset` and `recheck` move either way. */
  mode: 'forward' | 'reset' | 'recheck';
  /** The cause recorded when the account follows its contacts (own criteria record `account_criteria`). */
  cause: 'contact' | 'journey_changed' | typeof TIME_WINDOW_ELAPSED;
  /** Per account: its events of this pass (oldest first), to name the one that met its own criteria. */
  events?: ReadonlyMap<string, readonly CauseEvent[]>;
  contactMoves?: ReadonlyMap<string, ContactMove>;
}

/** Re-derives the stage of `accountIds` (or every account of the workspace), in chunks. */
export async function evaluateAccounts(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  accountIds: readonly string[] | 'all',
  options: AccountEvaluateOptions,
): Promise<number> {
  const ctx = await journeyContext(store, workspaceId, journey, options.now);
  if (accountIds !== 'all') {
    let n = 0;
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const ids = accountIds.slice(i, i + CHUNK);
      n += await store.db.transaction().execute((trx) => evaluateAccountsIn(trx, ctx, journey, ids, options));
    }
    return n;
  }
  let n = 0;
  let after = '';
  for (;;) {
    const ids = (
      await store.db
        .selectFrom('accounts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '>', after)
        .orderBy('id')
        .limit(CHUNK)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    n += await store.db.transaction().execute((trx) => evaluateAccountsIn(trx, ctx, journey, ids, options));
    after = ids[ids.length - 1]!;
    if (ids.length < CHUNK) break;
  }
  return n;
}

interface AccountRow {
  id: string;
  current_stage: string | null;
  entered_at: number | string | null;
  current_index: number | string | null;
  contact_index: number | string | null;
  own_index: number | string | null;
}

/**
 * One chunk of accounts: the furthest stage of their contacts and the furthest stage their own criteria
 * meet, combined as the map says; the accounts whose stage changes are written with the cause.
 */
export async function evaluateAccountsIn(
  db: Kysely<Database>,
  ctx: CompileContext,
  journey: CheckedJourney,
  ids: readonly string[],
  options: AccountEvaluateOptions,
): Promise<number> {
  if (ids.length === 0) return 0;
  const ws = ctx.workspaceId;
  const own = usesOwnCriteria(journey);
  const contactIndex = usesContacts(journey)
    ? sql`(select max(cs.stage_index) from contacts c
        join journey_stages cs on cs.workspace_id = c.workspace_id and cs.subject_kind = 'contact' and cs.subject_id = c.id
        where c.workspace_id = a.workspace_id and c.account_id = a.id)`
    : sql`null`;
  const ownIndex = own ? accountStageIndexExpr(ctx, journey.accountRules) : sql`null`;
  const rows = await sql<AccountRow>`
    select a.id, s.stage as current_stage, s.stage_index as current_index, s.entered_at,
      ${contactIndex} as contact_index, ${ownIndex} as own_index
    from accounts a
    left join journey_stages s on s.workspace_id = a.workspace_id and s.subject_kind = 'account' and s.subject_id = a.id
    where a.workspace_id = ${ws} and a.id in (${sql.join(ids.map((id) => sql.val(id)))})`.execute(db);
  const stages = journey.map.stages;
  const ownEvents = journey.accountRules.map((r) => eventsOf(r));
  const writes: Array<Insertable<Database['journey_stage_changes']> & { index: number }> = [];
  for (const r of rows.rows) {
    const fromContacts = r.contact_index === null ? -1 : Number(r.contact_index);
    const fromOwn = r.own_index === null ? -1 : Number(r.own_index);
    const next = Math.max(fromContacts, fromOwn);
    if (next < 0) continue;
    const cur = r.current_index === null ? null : Number(r.current_index);
    const stale = r.current_stage !== null && stages[cur ?? -1]?.id !== r.current_stage;
    const moves =
      r.current_stage === null || stale || (options.mode === 'forward' ? next > cur! : next !== cur);
    if (!moves) continue;
    const byOwn = fromOwn > fromContacts;
    let cause: string = options.cause;
    let because: CauseEvent | undefined;
    let at = options.now;
    if (options.mode === 'forward' && byOwn) {
      cause = 'account_criteria';
      const events = options.events?.get(r.id) ?? [];
      because = [...events].reverse().find((e) => ownEvents[next]!.has(e.type));
    } else if (options.mode === 'forward') {
      const m = options.contactMoves?.get(r.id);
      because = m?.because;
      if (m) at = m.at;
    }
    if (because) at = Math.min(because.at, options.now);
    if (r.entered_at !== null) at = Math.max(at, Number(r.entered_at));
    writes.push({
      index: next,
      id: newId('stg', options.now),
      workspace_id: ws,
      subject_kind: 'account',
      subject_id: r.id,
      from_stage: r.current_stage,
      to_stage: stages[next]!.id,
      changed_at: at,
      cause,
      event_id: because?.id ?? null,
      event_type: because?.type ?? null,
      recorded_at: options.now,
    });
  }
  for (const w of writes) {
    const values = { stage: w.to_stage, stage_index: w.index, entered_at: w.changed_at };
    await db
      .insertInto('journey_stages')
      .values({ workspace_id: ws, subject_kind: 'account', subject_id: w.subject_id, ...values })
      .onConflict((oc) => oc.columns(['workspace_id', 'subject_kind', 'subject_id']).doUpdateSet(values))
      .execute();
  }
  await insertChanges(
    db,
    writes.map(({ index: _index, ...w }) => w),
  );
  if (!own && options.mode === 'reset')
    // Accounts following their contacts have no windows of their own (the map may have had some).
    await db
      .updateTable('journey_stages')
      .set({ stage_recheck_at: null })
      .where('workspace_id', '=', ws)
      .where('subject_kind', '=', 'account')
      .where('subject_id', 'in', ids)
      .where('stage_recheck_at', 'is not', null)
      .execute();
  if (own) {
    // As for contacts: a forward-only evaluation leaves a recheck that is already due to the sweep.
    const pending = (q: UpdateQueryBuilder<Database, 'journey_stages', 'journey_stages', UpdateResult>) =>
      options.mode === 'forward'
        ? q.where((eb) => eb.or([eb('stage_recheck_at', 'is', null), eb('stage_recheck_at', '>', ctx.now)]))
        : q;
    const due = await accountRechecks(db, ctx, journey.accountRules, ids);
    await pending(
      db
        .updateTable('journey_stages')
        .set({ stage_recheck_at: null })
        .where('workspace_id', '=', ws)
        .where('subject_kind', '=', 'account')
        .where('subject_id', 'in', ids)
        .where('stage_recheck_at', 'is not', null),
    ).execute();
    for (const [id, t] of due)
      await pending(
        db
          .updateTable('journey_stages')
          .set({ stage_recheck_at: t })
          .where('workspace_id', '=', ws)
          .where('subject_kind', '=', 'account')
          .where('subject_id', '=', id),
      ).execute();
  }
  return writes.length;
}
