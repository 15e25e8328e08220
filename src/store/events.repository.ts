// The append-only event table: touch events from channels and customer events from ingestion. A repeated
// producer message id is accepted and stored once: by the unique index on SQLite, by the claim in
// `event_message_ids` (a trigger in the insert's own statement) on PostgreSQL, where `events` is partitioned
// by month (decision 0021).
import type { Expression, ExpressionBuilder, Insertable, Kysely, Selectable, SqlBool } from 'kysely';
import { isPostgres } from './db.js';
import { BatonError } from '../domain/errors.js';
import { checkLimit, decodeCursor, encodeCursor, type Page, type PageRequest } from './cursor.js';
import type { Database } from './schema.js';
import { newId } from './ids.js';
import { fromJson, toJson } from './json.js';
import { toStorableJson } from '../domain/storable-text.js';

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
    // Text Baton records itself (a bounce's diagnostic line) may carry what no store keeps; ingestion refuses it.
    properties: toJson(toStorableJson(e.properties ?? {})),
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
  const pg = isPostgres(db);
  for (let i = 0; i < events.length; i += 200) {
    const insert = db.insertInto('events').values(events.slice(i, i + 200).map(eventRow));
    // PostgreSQL: the claim trigger skips a row whose id is taken, and skipped rows are not counted.
    const r = await (
      pg ? insert : insert.onConflict((oc) => oc.columns(['workspace_id', 'message_id']).doNothing())
    ).executeTakeFirst();
    inserted += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/** Which of these producer message ids the workspace has already stored. */
export async function storedMessageIds(
  db: Kysely<Database>,
  workspaceId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  const pg = isPostgres(db);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = pg
      ? await db
          .selectFrom('event_message_ids')
          .select('message_id')
          .where('workspace_id', '=', workspaceId)
          .where('message_id', 'in', chunk)
          .execute()
      : await db
          .selectFrom('events')
          .select('message_id')
          .where('workspace_id', '=', workspaceId)
          .where('message_id', 'in', chunk)
          .execute();
    for (const r of rows) if (r.message_id !== null) out.add(r.message_id);
  }
  return out;
}

export interface StoredEvent {
  id: string;
  seq: number;
  type: string;
  message_id: string | null;
  contact_id: string | null;
  account_id: string | null;
  anonymous_id: string | null;
  occurred_at: number;
  received_at: number;
  properties: Record<string, unknown>;
  campaign_id: string | null;
  touch_id: string | null;
  step_id: string | null;
  variant_id: string | null;
  channel: string | null;
}

export interface EventFilter {
  contactId?: string;
  type?: string;
  /** occurred_at ≥ from (epoch ms). */
  from?: number;
  /** occurred_at < to (epoch ms). */
  to?: number;
  /** Only the events this condition admits (the caller's visibility, e.g. a sales rep's accounts). */
  visible?: (eb: ExpressionBuilder<Database, 'events'>) => Expression<SqlBool>;
}

function toStoredEvent(row: Selectable<Database['events']>): StoredEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    message_id: row.message_id,
    contact_id: row.contact_id,
    account_id: row.account_id,
    anonymous_id: row.anonymous_id,
    occurred_at: Number(row.occurred_at),
    received_at: Number(row.received_at),
    properties: fromJson(row.properties, {}),
    campaign_id: row.campaign_id,
    touch_id: row.touch_id,
    step_id: row.step_id,
    variant_id: row.variant_id,
    channel: row.channel,
  };
}

/** One page of a workspace's events in arrival (seq) order; the cursor is the last seq seen. */
export async function listEvents(
  db: Kysely<Database>,
  workspaceId: string,
  filter: EventFilter,
  page: PageRequest,
): Promise<Page<StoredEvent>> {
  const limit = checkLimit(page.limit);
  let q = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId);
  if (page.cursor !== undefined) {
    const after = Number(decodeCursor(page.cursor));
    if (!Number.isSafeInteger(after)) {
      throw BatonError.invalid([{ path: 'cursor', message: 'is not a cursor returned by a previous page' }]);
    }
    q = q.where('seq', '>', after);
  }
  if (filter.contactId !== undefined) q = q.where('contact_id', '=', filter.contactId);
  if (filter.type !== undefined) q = q.where('type', '=', filter.type);
  if (filter.from !== undefined) q = q.where('occurred_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('occurred_at', '<', filter.to);
  if (filter.visible !== undefined) q = q.where(filter.visible);
  const rows = (
    await q
      .orderBy('seq')
      .limit(limit + 1)
      .execute()
  ).map(toStoredEvent);
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? encodeCursor(String(last.seq)) : null };
}

export interface TimelineItem {
  kind: 'event' | 'touch';
  id: string;
  at: number;
  /** The event type, or the touch's status (planned, sent, cancelled…). */
  type: string;
  campaign_id: string | null;
  step_id: string | null;
  channel: string | null;
  touch_id: string | null;
  properties: Record<string, unknown>;
}

/**
 * A contact's touches (at their send time, or their due time while pending) and events in one list,
 * newest first, at most `limit` items.
 */
export async function contactTimeline(
  db: Kysely<Database>,
  workspaceId: string,
  contactId: string,
  limit: number,
): Promise<TimelineItem[]> {
  checkLimit(limit);
  const events = await db
    .selectFrom('events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('occurred_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  const touches = await db
    .selectFrom('touches')
    .select([
      'id',
      'campaign_id',
      'step_id',
      'channel',
      'status',
      'due_at',
      'sent_at',
      'variant_id',
      'reason',
    ])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('due_at', 'desc')
    .limit(limit)
    .execute();
  const items: TimelineItem[] = [
    ...events.map(toStoredEvent).map((e) => ({
      kind: 'event' as const,
      id: e.id,
      at: e.occurred_at,
      type: e.type,
      campaign_id: e.campaign_id,
      step_id: e.step_id,
      channel: e.channel,
      touch_id: e.touch_id,
      properties: e.properties,
    })),
    ...touches.map((t) => ({
      kind: 'touch' as const,
      id: t.id,
      at: Number(t.sent_at ?? t.due_at),
      type: t.status,
      campaign_id: t.campaign_id,
      step_id: t.step_id,
      channel: t.channel,
      touch_id: t.id,
      properties: { variant_id: t.variant_id, reason: t.reason },
    })),
  ];
  items.sort((a, b) => b.at - a.at || (a.kind === b.kind ? 0 : a.kind === 'event' ? -1 : 1));
  return items.slice(0, limit);
}
