// Buyer-journey stage evaluation: for a set of contacts, one SQL statement per chunk computes the
// furthest stage whose entry criteria (segment rules, compiled by the segment compiler) hold and returns
// only the contacts that moved; their stage, their account's stage and the history are then written in
// one transaction per chunk, the accounts re-derived there (account-stages.ts). Stages move forward on
// events and attribute changes; they move either way when the journey map changes and when a time window
// in the criteria elapses (the worker's sweep, decision 0022). Each evaluated subject's `stage_recheck_at`
// says when the next window elapses for it.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { CheckedNode } from '../../domain/segment.js';
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import { compileRule, condition, type CompileContext } from '../segments/compile.js';
import { windowChange, windowedEvents } from './account-criteria.js';
import { evaluateAccounts, evaluateAccountsIn, type ContactMove } from './account-stages.js';
import {
  CHUNK,
  TIME_WINDOW_ELAPSED,
  eventsOf,
  insertChanges,
  journeyContext,
  usesContacts,
  type CauseEvent,
  type StageCause,
} from './stage-common.js';

export interface EvaluateOptions {
  now: number;
  cause: StageCause;
  /** Per contact: the events of this pass (oldest first), to name the one that caused a move. */
  events?: ReadonlyMap<string, readonly CauseEvent[]>;
  /**
   * `forward` (events, attributes): only moves further along. `reset`: the map changed, so a subject may
   * move back; stages not in the map are replaced. `recheck`: a time window elapsed, either way.
   */
  mode?: 'forward' | 'reset' | 'recheck';
}

export interface EvaluateResult {
  evaluated: number;
  contactChanges: number;
  accountChanges: number;
}

interface Moved {
  id: string;
  account_id: string | null;
  current_stage: string | null;
  entered_at: number | string | null;
  next_index: number;
}

/**
 * The stage-index expression: the furthest stage whose criteria hold, -1 when none does. A stage without
 * criteria holds for everyone, unless it is an account stage (`accountOnly`: it has account criteria only).
 */
export function stageIndexExpr(
  ctx: CompileContext,
  rules: ReadonlyArray<CheckedNode | undefined>,
  accountOnly: readonly boolean[] = [],
): RawBuilder<number> {
  const whens: RawBuilder<unknown>[] = [];
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (!rule && accountOnly[i]) continue;
    const cond = rule ? compileRule(ctx, rule) : sql<SqlBool>`(1 = 1)`;
    whens.push(sql`when coalesce(${cond}, false) then ${sql.lit(i)}`);
  }
  return sql<number>`(case ${sql.join(whens, sql` `)} else -1 end)`;
}

/**
 * Sets `stage_recheck_at` of the contacts in `scope` (a chunk of ids or all of the workspace) to the
 * earliest instant a windowed event condition of the criteria changes what it counts for them (null when
 * none will). Set-based like the criteria: each windowed condition reads its events once for the chunk
 * (a `group by` per contact), and one UPDATE … FROM writes the minimum.
 */
async function updateContactRechecks(
  db: Kysely<Database>,
  ctx: CompileContext,
  journey: CheckedJourney,
  scope: readonly string[] | 'all',
  keepDue: boolean,
): Promise<void> {
  const nodes = journey.rules.flatMap((r) => windowedEvents(r, ctx.segments));
  const ws = ctx.workspaceId;
  if (nodes.length === 0) {
    // A new map without windows: due times of the previous map go (evaluations of chunks have none).
    if (scope === 'all')
      await db
        .updateTable('journey_stages')
        .set({ stage_recheck_at: null })
        .where('workspace_id', '=', ws)
        .where('subject_kind', '=', 'contact')
        .where('stage_recheck_at', 'is not', null)
        .execute();
    return;
  }
  const list = scope === 'all' ? null : sql.join(scope.map((id) => sql.val(id)));
  const parts = nodes.map((n) => {
    const where = n.where.map((w) => sql` and ${condition(ctx, w, 'e')}`);
    return sql`select e.contact_id as id, ${windowChange(ctx, n)} as t from events e
      where e.workspace_id = ${ws} and e.type = ${n.event} and e.contact_id is not null
        and e.occurred_at >= ${ctx.now - n.withinDays! * 86_400_000}${sql.join(where, sql``)}${
          list ? sql` and e.contact_id in (${list})` : sql``
        }`;
  });
  // A forward-only evaluation leaves a recheck that is already due to the sweep (it may move back).
  const due = keepDue
    ? sql` and (journey_stages.stage_recheck_at is null or journey_stages.stage_recheck_at > ${ctx.now})`
    : sql``;
  const ids = list ? sql` and subject_id in (${list})` : sql``;
  await sql`update journey_stages set stage_recheck_at = null
    where workspace_id = ${ws} and subject_kind = 'contact' and stage_recheck_at is not null${ids}${due}`.execute(
    db,
  );
  await sql`update journey_stages set stage_recheck_at = x.t
    from (select u.id, min(u.t) as t from (${sql.join(parts, sql` union all `)}) u group by u.id) x
    where journey_stages.workspace_id = ${ws} and journey_stages.subject_kind = 'contact'
      and journey_stages.subject_id = x.id${due}`.execute(db);
}

/**
 * Re-evaluates the stage of `contactIds` (or every contact of the workspace) against `journey`. Set-based:
 * the criteria run in SQL over each chunk of ids, and only contacts whose stage changes come back. Their
 * accounts are re-derived in the same transaction.
 */
export async function evaluateStages(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  contactIds: readonly string[] | 'all',
  options: EvaluateOptions,
): Promise<EvaluateResult> {
  const result: EvaluateResult = { evaluated: 0, contactChanges: 0, accountChanges: 0 };
  const ctx = await journeyContext(store, workspaceId, journey, options.now);
  const index = stageIndexExpr(
    ctx,
    journey.rules,
    journey.rules.map((r, i) => i > 0 && !r && journey.accountRules[i] !== undefined),
  );
  const stageEvents = journey.rules.map((r) => eventsOf(r));
  const mode = options.mode ?? 'forward';

  const chunks: Array<readonly string[] | 'all'> = [];
  if (contactIds === 'all') chunks.push('all');
  else for (let i = 0; i < contactIds.length; i += CHUNK) chunks.push(contactIds.slice(i, i + CHUNK));

  for (const chunk of chunks) {
    const scope = chunk === 'all' ? sql`` : sql` and c.id in (${sql.join(chunk.map((id) => sql.val(id)))})`;
    // A stage index is compared only when the stored stage still exists at that index in this map.
    const moved = await sql<Moved>`
      select x.id, x.account_id, x.current_stage, x.entered_at, x.next_index from (
        select c.id, c.account_id, s.stage as current_stage, s.stage_index as current_index, s.entered_at,
          ${index} as next_index
        from contacts c
        left join journey_stages s
          on s.workspace_id = c.workspace_id and s.subject_kind = 'contact' and s.subject_id = c.id
        where c.workspace_id = ${workspaceId}${scope}
      ) x
      where x.next_index >= 0 and ${
        mode === 'forward'
          ? sql`(x.current_index is null or x.next_index > x.current_index)`
          : sql`(x.current_stage is null or x.current_index <> x.next_index or x.current_stage not in (${sql.join(
              journey.map.stages.map((s) => sql.val(s.id)),
            )}))`
      }`.execute(store.db);
    result.evaluated += chunk === 'all' ? 0 : chunk.length;
    const changes = moved.rows.map((m) => {
      const to = journey.map.stages[Number(m.next_index)]!;
      const events = options.events?.get(m.id) ?? [];
      const wanted = stageEvents[Number(m.next_index)]!;
      const because = [...events].reverse().find((e) => wanted.has(e.type)) ?? events[events.length - 1];
      // Never dated before the current stage was entered: history stays in order when a late event
      // follows a change the sweep recorded at `now`.
      const at = Math.max(
        because ? Math.min(because.at, options.now) : options.now,
        m.entered_at === null ? 0 : Number(m.entered_at),
      );
      return { row: m, to, index: Number(m.next_index), because, at };
    });
    const counts = await store.db.transaction().execute(async (trx) => {
      for (const c of changes) {
        await trx
          .insertInto('journey_stages')
          .values({
            workspace_id: workspaceId,
            subject_kind: 'contact',
            subject_id: c.row.id,
            stage: c.to.id,
            stage_index: c.index,
            entered_at: c.at,
          })
          .onConflict((oc) =>
            oc
              .columns(['workspace_id', 'subject_kind', 'subject_id'])
              .doUpdateSet({ stage: c.to.id, stage_index: c.index, entered_at: c.at }),
          )
          .execute();
      }
      await insertChanges(
        trx,
        changes.map((c) => ({
          id: newId('stg', options.now),
          workspace_id: workspaceId,
          subject_kind: 'contact',
          subject_id: c.row.id,
          from_stage: c.row.current_stage,
          to_stage: c.to.id,
          changed_at: c.at,
          cause: c.because ? 'event' : options.cause,
          event_id: c.because?.id ?? null,
          event_type: c.because?.type ?? null,
          recorded_at: options.now,
        })),
      );
      await updateContactRechecks(trx, ctx, journey, chunk, mode === 'forward');
      if (mode === 'reset' || !usesContacts(journey)) return { contacts: changes.length, accounts: 0 };
      // The accounts of the moved contacts follow them (forward on events; either way on a lapse).
      const followed = new Map<string, ContactMove>();
      for (const c of changes) {
        if (!c.row.account_id) continue;
        const prev = followed.get(c.row.account_id);
        if (!prev || c.index > prev.index)
          followed.set(c.row.account_id, { index: c.index, at: c.at, because: c.because });
      }
      const accounts = await evaluateAccountsIn(trx, ctx, journey, [...followed.keys()], {
        now: options.now,
        mode: mode === 'recheck' ? 'recheck' : 'forward',
        cause: mode === 'recheck' ? TIME_WINDOW_ELAPSED : 'contact',
        contactMoves: followed,
      });
      return { contacts: changes.length, accounts };
    });
    result.contactChanges += counts.contacts;
    result.accountChanges += counts.accounts;
  }
  if (mode === 'reset')
    result.accountChanges += await evaluateAccounts(store, workspaceId, journey, 'all', {
      now: options.now,
      mode: 'reset',
      cause: 'journey_changed',
    });
  if (contactIds === 'all') {
    const n = await store.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    result.evaluated = Number(n?.n ?? 0);
  }
  return result;
}
