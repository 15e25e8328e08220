// Buyer-journey stage evaluation: for a set of contacts, one SQL statement per chunk computes the
// furthest stage whose entry criteria (segment rules, compiled by the segment compiler) hold and returns
// only the contacts that moved; their stage, their account's stage and the history are then written in
// one transaction per chunk. Stages move forward only, except when the journey map itself changes.
import { sql, type Insertable, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { referencesOf, type CheckedNode } from '../../domain/segment.js';
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import { newId } from '../ids.js';
import type { Database } from '../schema.js';
import { compileRule, type CompileContext } from '../segments/compile.js';
import { resolveReferences } from '../segments/references.js';

// Large chunks: each chunk materialises every criterion's event subquery once, so fewer chunks cost less.
const CHUNK = 5000;

export type StageCause = 'event' | 'attributes' | 'journey_changed';

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
  /** `reset`: the map changed, so a contact may move back; stages not in the map are replaced. */
  mode?: 'forward' | 'reset';
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
  next_index: number;
}

/** The stage-index expression: the furthest stage whose criteria hold, -1 when none does. */
export function stageIndexExpr(
  ctx: CompileContext,
  rules: ReadonlyArray<CheckedNode | undefined>,
): RawBuilder<number> {
  const whens: RawBuilder<unknown>[] = [];
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
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

/**
 * Re-evaluates the stage of `contactIds` (or every contact of the workspace) against `journey`. Set-based:
 * the criteria run in SQL over each chunk of ids, and only contacts whose stage changes come back.
 */
export async function evaluateStages(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  contactIds: readonly string[] | 'all',
  options: EvaluateOptions,
): Promise<EvaluateResult> {
  const result: EvaluateResult = { evaluated: 0, contactChanges: 0, accountChanges: 0 };
  const present = journey.rules.filter((r): r is CheckedNode => r !== undefined);
  const refs = await resolveReferences(store, workspaceId, present);
  const ctx: CompileContext = {
    dialect: store.dialect,
    workspaceId,
    now: options.now,
    lists: refs.lists,
    segments: refs.segments,
  };
  const index = stageIndexExpr(ctx, journey.rules);
  const stageEvents = journey.rules.map((r) => eventsOf(r));
  const mode = options.mode ?? 'forward';

  const chunks: Array<readonly string[] | 'all'> = [];
  if (contactIds === 'all') chunks.push('all');
  else for (let i = 0; i < contactIds.length; i += CHUNK) chunks.push(contactIds.slice(i, i + CHUNK));

  for (const chunk of chunks) {
    const scope = chunk === 'all' ? sql`` : sql` and c.id in (${sql.join(chunk.map((id) => sql.val(id)))})`;
    // A stage index is compared only when the stored stage still exists at that index in this map.
    const moved = await sql<Moved>`
      select x.id, x.account_id, x.current_stage, x.next_index from (
        select c.id, c.account_id, s.stage as current_stage, s.stage_index as current_index,
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
    if (moved.rows.length === 0) continue;
    const changes = moved.rows.map((m) => {
      const to = journey.map.stages[Number(m.next_index)]!;
      const events = options.events?.get(m.id) ?? [];
      const wanted = stageEvents[Number(m.next_index)]!;
      const because = [...events].reverse().find((e) => wanted.has(e.type)) ?? events[events.length - 1];
      const at = because ? Math.min(because.at, options.now) : options.now;
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
      const accounts = new Map<string, (typeof changes)[number]>();
      for (const c of changes) {
        if (!c.row.account_id) continue;
        const prev = accounts.get(c.row.account_id);
        if (!prev || c.index > prev.index) accounts.set(c.row.account_id, c);
      }
      const accountChanges =
        mode === 'forward' ? await rollUpAccounts(trx, workspaceId, journey, accounts, options) : 0;
      return { contacts: changes.length, accounts: accountChanges };
    });
    result.contactChanges += counts.contacts;
    result.accountChanges += counts.accounts;
  }
  if (mode === 'reset')
    result.accountChanges += await resetAccounts(store, workspaceId, journey, options.now);
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

/**
 * An account's stage is the furthest stage of its contacts. `moved` holds, per account, the furthest
 * contact move of this pass; the account moves when that is beyond its stored stage.
 */
async function rollUpAccounts(
  trx: Kysely<Database>,
  workspaceId: string,
  journey: CheckedJourney,
  moved: ReadonlyMap<string, { index: number; at: number; because?: CauseEvent; row: Moved }>,
  options: EvaluateOptions,
): Promise<number> {
  if (moved.size === 0) return 0;
  const ids = [...moved.keys()];
  const current = await trx
    .selectFrom('journey_stages')
    .select(['subject_id', 'stage', 'stage_index'])
    .where('workspace_id', '=', workspaceId)
    .where('subject_kind', '=', 'account')
    .where('subject_id', 'in', ids)
    .execute();
  const byId = new Map(current.map((r) => [r.subject_id, r]));
  let n = 0;
  for (const [accountId, c] of moved) {
    const cur = byId.get(accountId);
    const stale = cur !== undefined && journey.map.stages[Number(cur.stage_index)]?.id !== cur.stage;
    if (cur && !stale && Number(cur.stage_index) >= c.index) continue;
    const to = journey.map.stages[c.index]!.id;
    await trx
      .insertInto('journey_stages')
      .values({
        workspace_id: workspaceId,
        subject_kind: 'account',
        subject_id: accountId,
        stage: to,
        stage_index: c.index,
        entered_at: c.at,
      })
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'subject_kind', 'subject_id'])
          .doUpdateSet({ stage: to, stage_index: c.index, entered_at: c.at }),
      )
      .execute();
    await insertChanges(trx, [
      {
        id: newId('stg', options.now),
        workspace_id: workspaceId,
        subject_kind: 'account',
        subject_id: accountId,
        from_stage: cur?.stage ?? null,
        to_stage: to,
        changed_at: c.at,
        cause: 'contact',
        event_id: c.because?.id ?? null,
        event_type: c.because?.type ?? null,
        recorded_at: options.now,
      },
    ]);
    n++;
  }
  return n;
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

/** After a map change: every account takes the furthest stage of its contacts, backward moves included. */
async function resetAccounts(
  store: Store,
  workspaceId: string,
  journey: CheckedJourney,
  now: number,
): Promise<number> {
  const rows = await sql<{ account_id: string; idx: number; entered_at: number; current: string | null }>`
    select c.account_id, max(s.stage_index) as idx, max(s.entered_at) as entered_at, a.stage as current
    from journey_stages s
    join contacts c on c.workspace_id = s.workspace_id and c.id = s.subject_id
    left join journey_stages a
      on a.workspace_id = s.workspace_id and a.subject_kind = 'account' and a.subject_id = c.account_id
    where s.workspace_id = ${workspaceId} and s.subject_kind = 'contact' and c.account_id is not null
    group by c.account_id, a.stage`.execute(store.db);
  const changed = rows.rows.filter((r) => journey.map.stages[Number(r.idx)]?.id !== r.current);
  if (changed.length === 0) return 0;
  await store.db.transaction().execute(async (trx) => {
    for (const r of changed) {
      const to = journey.map.stages[Number(r.idx)]!.id;
      const values = { stage: to, stage_index: Number(r.idx), entered_at: now };
      await trx
        .insertInto('journey_stages')
        .values({ workspace_id: workspaceId, subject_kind: 'account', subject_id: r.account_id, ...values })
        .onConflict((oc) => oc.columns(['workspace_id', 'subject_kind', 'subject_id']).doUpdateSet(values))
        .execute();
    }
    await insertChanges(
      trx,
      changed.map((r) => ({
        id: newId('stg', now),
        workspace_id: workspaceId,
        subject_kind: 'account',
        subject_id: r.account_id,
        from_stage: r.current,
        to_stage: journey.map.stages[Number(r.idx)]!.id,
        changed_at: now,
        cause: 'journey_changed',
        event_id: null,
        event_type: null,
        recorded_at: now,
      })),
    );
  });
  return changed.length;
}
