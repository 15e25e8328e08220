// Every table that holds rows about one person, and what an erasure does to them. A table with a
// `contact_id` column that is missing here is still erased (its rows are deleted, see erase-contact.ts),
// and test/privacy/person-tables.test.ts fails until it is listed with a decision of its own.

/**
 * - `delete`: the rows go.
 * - `anonymise`: the rows stay for campaign totals; the contact id becomes the erasure's tombstone id and
 *   each `clear` column is emptied (`null`, or `{}` for a JSON column).
 * - `custom`: erase-contact.ts treats the table itself (the reason is in `why`).
 */
export type ErasePlan =
  | { action: 'delete' }
  | { action: 'anonymise'; clear: Record<string, 'null' | 'json'> }
  | { action: 'custom' };

export interface PersonTable {
  table: string;
  /** The column holding the contact id. */
  column: string;
  /** Only rows where this column has this value hold contact ids (tables shared by contacts and accounts). */
  only?: { column: string; value: string };
  plan: ErasePlan;
  why: string;
}

export const PERSON_TABLES: readonly PersonTable[] = [
  {
    table: 'contacts',
    column: 'id',
    plan: { action: 'custom' },
    why: 'the profile itself: deleted last, after its email is put on the suppression list as a hash',
  },
  {
    table: 'contact_identities',
    column: 'contact_id',
    plan: { action: 'delete' },
    why: 'user ids and anonymous ids identify the person in other systems',
  },
  {
    table: 'email_category_optouts',
    column: 'contact_id',
    plan: { action: 'delete' },
    why: 'a preference of someone Baton no longer holds; the erased-email hash keeps them from being mailed',
  },
  {
    table: 'list_members',
    column: 'member_id',
    plan: { action: 'delete' },
    why: 'static list membership is a fact about the person; no report counts it',
  },
  {
    table: 'enrollments',
    column: 'contact_id',
    plan: { action: 'custom' },
    why: 'kept under the tombstone id (reports count enrolled people per arm); an active one is exited as erased',
  },
  {
    table: 'touches',
    column: 'contact_id',
    plan: { action: 'custom' },
    why: 'kept under the tombstone id for funnel and attribution totals; details (recipient, rendered links), Message-ID and reason cleared; pending ones cancelled',
  },
  {
    table: 'events',
    column: 'contact_id',
    plan: { action: 'custom' },
    why: 'kept under the tombstone id for funnel and goal totals; properties cut to what reports read, anonymous id cleared',
  },
  {
    table: 'conversions',
    column: 'contact_id',
    plan: { action: 'anonymise', clear: {} },
    why: 'goal totals and attribution; a conversion row holds ids, a value and a time only',
  },
  {
    table: 'tasks',
    column: 'contact_id',
    plan: { action: 'anonymise', clear: { instructions: 'null', note: 'null' } },
    why: 'task outcomes count in sales reports; the instructions (rendered for the person) and the rep note go',
  },
  {
    table: 'ads_audience_members',
    column: 'contact_id',
    plan: { action: 'custom' },
    why: 'marked removed (reason erased) under the tombstone id, keeping the hashed identifiers so the next delta export tells the ad network to drop the person',
  },
  {
    table: 'journey_stages',
    column: 'subject_id',
    only: { column: 'subject_kind', value: 'contact' },
    plan: { action: 'anonymise', clear: { stage_recheck_at: 'null' } },
    why: 'stage counts of the journey map; the row holds a stage name and times only (no longer re-evaluated)',
  },
  {
    table: 'journey_stage_changes',
    column: 'subject_id',
    only: { column: 'subject_kind', value: 'contact' },
    plan: { action: 'anonymise', clear: {} },
    why: 'stage-to-stage conversion counts; the row holds stage names, a cause code and times only',
  },
  {
    table: 'channel_log',
    column: 'contact_id',
    plan: { action: 'anonymise', clear: { payload: 'json' } },
    why: 'the row keeps a touch from being performed twice; its payload (content sent) is cleared',
  },
];

export function personTable(table: string): PersonTable | undefined {
  return PERSON_TABLES.find((t) => t.table === table);
}
