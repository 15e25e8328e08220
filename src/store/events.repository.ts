// The append-only event table: touch events from channels and customer events from ingestion. A repeated
// producer message id is accepted and stored once.
import type { Insertable, Kysely } from 'kysely';
import type { Database } from './schema.js';
import { newId } from './ids.js';
import { toJson } from './json.js';

export interface NewEvent {
  workspaceId: string;
  type: string;
  occurredAt: number;
  receivedAt: number;
  messageId?: string | null;
  contactId?: string | null;
  accountId?: string | null;
  anonymousId?: string | null;
  properties?: Record<string, unknown>;
  campaignId?: string | null;
  touchId?: string | null;
  stepId?: string | null;
  variantId?: string | null;
  channel?: string | null;
}

export function eventRow(e: NewEvent): Insertable<Database['events']> {
  return {
    id: newId('evt', e.receivedAt),
    workspace_id: e.workspaceId,
    message_id: e.messageId ?? null,
    type: e.type,
    contact_id: e.contactId ?? null,
    account_id: e.accountId ?? null,
    anonymous_id: e.anonymousId ?? null,
    occurred_at: e.occurredAt,
    received_at: e.receivedAt,
    properties: toJson(e.properties ?? {}),
    campaign_id: e.campaignId ?? null,
    touch_id: e.touchId ?? null,
    step_id: e.stepId ?? null,
    variant_id: e.variantId ?? null,
    channel: e.channel ?? null,
  };
}

/** Appends events; rows whose (workspace, message id) already exists are skipped. Returns how many were new. */
export async function appendEvents(db: Kysely<Database>, events: readonly NewEvent[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < events.length; i += 200) {
    const r = await db
      .insertInto('events')
      .values(events.slice(i, i + 200).map(eventRow))
      .onConflict((oc) => oc.columns(['workspace_id', 'message_id']).doNothing())
      .executeTakeFirst();
    inserted += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}
