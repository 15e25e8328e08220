// Buyer-journey stage evaluation: for a set of contacts, one SQL statement per chunk computes the
// furthest stage whose entry criteria (segment rules, compiled by the segment compiler) hold and returns
// only the contacts that moved; their stage, their account's stage and the history are then written in
// one transaction per chunk. An account's stage is derived from its contacts, its own criteria or the
// further of both (the map's `account_stage`). Stages move forward on events and attribute changes; they
// move either way when the journey map changes and when a time window in the criteria elapses (the
// worker's sweep, decision 0022). Each evaluated subject's `stage_recheck_at` says when the next window
// elapses for it.
import {
  sql,
  type Insertable,
  type Kysely,
  type RawBuilder,
  type SqlBool,
  type UpdateQueryBuilder,
  type UpdateResult,
} from 'kysely';
import { referencesOf, type CheckedNode } from '../../domain/segment.js';
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import { compileRule, condition, type CompileContext } from '../segments/compile.js';
import { resolveReferences } from '../segments/references.js';
import { accountRechecks, accountStageIndexExpr, windowChange, windowedEvents } from './account-criteria.js';

// Large chunks: each chunk materialises every criterion's event subquery once, so fewer chunks cost less.
const CHUNK = 5000;

export type StageCause = 'event' | 'attributes' | 'journey_changed' | 'time_window_elapsed';
export const TIME_WINDOW_ELAPSED = 'time_window_elapsed';

/** The event behind a contact's re-evaluation, recorded with the change it causes. */
export interface CauseEvent {
  id: string;
  type: string;
  at: number;
}

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

/** Event types each stage's criteria mention (to name the event that caused a move). */
function eventsOf(rule: CheckedNode | undefined, out = new Set<string>()): Set<string> {
  if (!rule) return out;
  if (rule.kind === 'all' || rule.kind === 'any') rule.children.forEach((c) => eventsOf(c, out));
  else if (rule.kind === 'not') eventsOf(rule.child, out);
  else if (rule.kind === 'event') out.add(rule.event);
  return out;
}

/** The compile context of a journey: references of contact and account criteria resolved. */
export async function journeyContext(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  now: number,
): Promise<CompileContext> {
  const present = [...journey.rules, ...journey.accountRules].filter(
    (r): r is CheckedNode => r !== undefined,
  );
  const refs = await resolveReferences(store, workspaceId, present);
  return { dialect: store.dialect, workspaceId, now, lists: refs.lists, segments: refs.segments };
}

const usesOwnCriteria = (journey: CheckedJourney): boolean => journey.map.account_stage !== 'contacts';
const usesContacts = (journey: CheckedJourney): boolean => journey.map.account_stage !== 'own';

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
  if (nodes.length === 0) return;
  const ws = ctx.workspaceId;
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

async function insertChanges(
  trx: Kysely<Database>,
  rows: Array<Insertable<Database['journey_stage_changes']>>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('journey_stage_changes')
      .values(rows.slice(i, i + 200))
      .execute();
  }
}

/** The furthest contact move of a pass for one account, to date and name the account's move. */
interface ContactMove {
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
async function evaluateAccountsIn(
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

/**
 * Event types any stage's criteria read, so a pass can skip the others; `any` when a criterion refers
 * to a saved segment (whose events are not known here).
 */
export function criteriaEventTypes(journey: CheckedJourney): Set<string> | 'any' {
  const out = new Set<string>();
  for (const r of journey.rules) {
    if (!r) continue;
    if (referencesOf(r).segments.length > 0) return 'any';
    eventsOf(r, out);
  }
  return out;
}

/** Event types the account criteria read (none when accounts follow their contacts only). */
export function accountCriteriaEventTypes(journey: CheckedJourney): Set<string> {
  const out = new Set<string>();
  if (!usesOwnCriteria(journey)) return out;
  for (const r of journey.accountRules) eventsOf(r, out);
  return out;
}

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
