// What the stage evaluation of contacts and accounts and the sweep share: the causes, the compile context
// of a journey's criteria, the event types they read, and the append to the stage history.
import type { Insertable, Kysely } from 'kysely';
import { referencesOf, type CheckedNode } from '../../domain/segment.js';
import type { CheckedJourney } from '../../domain/journey.js';
import type { Store } from '../db.js';
import type { Database } from '../schema.js';
import type { CompileContext } from '../segments/compile.js';
import { resolveReferences } from '../segments/references.js';

// Large chunks: each chunk materialises every criterion's event subquery once, so fewer chunks cost less.
export const CHUNK = 5000;

export type StageCause = 'event' | 'attributes' | 'journey_changed' | 'time_window_elapsed';
export const TIME_WINDOW_ELAPSED = 'time_window_elapsed';

/** The event behind a contact's re-evaluation, recorded with the change it causes. */
export interface CauseEvent {
  id: string;
  type: string;
  at: number;
}

/** Event types each stage's criteria mention (to name the event that caused a move). */
export function eventsOf(rule: CheckedNode | undefined, out = new Set<string>()): Set<string> {
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

export const usesOwnCriteria = (journey: CheckedJourney): boolean => journey.map.account_stage !== 'contacts';
export const usesContacts = (journey: CheckedJourney): boolean => journey.map.account_stage !== 'own';

export async function insertChanges(
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
