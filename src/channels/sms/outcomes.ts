// What SMS traffic from the provider does to the store: an opt-out reply records the phone number as opted
// out (sms_opt_outs) and withdraws the SMS consent of its contacts (never their email subscription) until
// the number texts START or UNSTOP, which lifts the record and restores consent; while the record stands no
// other write can give those contacts consent (the trigger of migration 20261129T0970). Other replies,
// "YES" among them, count as `replied` on the latest SMS touch, and status callbacks record delivery
// (`delivered`) or its failure (`failed`) on the touch once.
import { sql } from 'kysely';
import { smsKeyword, toE164, type SmsKeyword } from '../../domain/sms.js';
import type { Store } from '../../store/db.js';
import { appendEvents, type NewEvent } from '../../store/events.repository.js';
import { fromJson, toJson } from '../../store/json.js';

export interface InboundSms {
  messageSid: string;
  from: string;
  to: string;
  body: string;
}

/** Contacts of the workspace whose phone, in E.164, is `e164`. */
async function contactsByPhone(store: Store, ws: string, e164: string): Promise<string[]> {
  // Stored numbers may be written with spaces or dashes: narrow on the last digits, then compare in E.164.
  const tail = e164.slice(-7);
  const digits = sql<string>`replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')`;
  const rows = await store.db
    .selectFrom('contacts')
    .select(['id', 'phone'])
    .where('workspace_id', '=', ws)
    .where('phone', 'is not', null)
    .where(digits, 'like', `%${tail}`)
    .execute();
  return rows
    .filter((r) => {
      const n = toE164(r.phone ?? '');
      return n.ok && n.value === e164;
    })
    .map((r) => r.id);
}

export async function applyInboundSms(
  store: Store,
  ws: string,
  msg: InboundSms,
  now: number,
): Promise<{ keyword: SmsKeyword; contacts: number }> {
  const from = toE164(msg.from);
  if (!from.ok) return { keyword: null, contacts: 0 };
  const keyword = smsKeyword(msg.body);
  return store.db.transaction().execute(async (trx) => {
    // The number's opt-out stands even when no contact has it yet: a contact created later with it starts
    // without consent. The record is lifted before consent is restored, or the trigger would refuse it.
    if (keyword === 'opt_out') {
      await sql`insert into sms_opt_outs (workspace_id, phone, opted_out_at, keyword)
        values (${ws}, ${from.value}, ${now}, ${msg.body.trim().toUpperCase().slice(0, 20)})
        on conflict (workspace_id, phone) do nothing`.execute(trx);
    } else if (keyword === 'opt_in') {
      await sql`delete from sms_opt_outs where workspace_id = ${ws} and phone = ${from.value}`.execute(trx);
    }
    const ids = await contactsByPhone({ ...store, db: trx }, ws, from.value);
    if (ids.length === 0) return { keyword, contacts: 0 };
    const events: NewEvent[] = [];
    if (keyword === 'opt_out' || keyword === 'opt_in') {
      await trx
        .updateTable('contacts')
        .set({ sms_consent: keyword === 'opt_out' ? 0 : 1, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', 'in', ids)
        .execute();
      for (const id of ids) {
        events.push({
          workspaceId: ws,
          type: keyword === 'opt_out' ? 'sms_opted_out' : 'sms_opted_in',
          occurredAt: now,
          receivedAt: now,
          messageId: `sms-in:${msg.messageSid}:${id}`,
          contactId: id,
          channel: 'sms',
          properties: { keyword: msg.body.trim().toUpperCase(), to: msg.to },
        });
      }
    } else if (keyword === null) {
      for (const id of ids) {
        const touch = await trx
          .selectFrom('touches')
          .select(['id', 'campaign_id', 'step_id', 'variant_id'])
          .where('workspace_id', '=', ws)
          .where('contact_id', '=', id)
          .where('channel', '=', 'sms')
          .where('status', '=', 'sent')
          .orderBy('sent_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        events.push({
          workspaceId: ws,
          type: 'replied',
          occurredAt: now,
          receivedAt: now,
          messageId: `sms-in:${msg.messageSid}:${id}`,
          contactId: id,
          channel: 'sms',
          campaignId: touch?.campaign_id ?? null,
          touchId: touch?.id ?? null,
          stepId: touch?.step_id ?? null,
          variantId: touch?.variant_id ?? null,
          properties: { body: msg.body.slice(0, 1600), to: msg.to },
        });
      }
    }
    await appendEvents(trx, events);
    return { keyword, contacts: ids.length };
  });
}

export interface SmsStatus {
  messageSid: string;
  status: string;
  errorCode: string | null;
}

/** Records a delivery status on the SMS touch whose provider id it names; false when there is none. */
export async function applySmsStatus(
  store: Store,
  touchId: string,
  s: SmsStatus,
  now: number,
): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    const t = await trx
      .selectFrom('touches')
      .select([
        'id',
        'workspace_id',
        'contact_id',
        'campaign_id',
        'step_id',
        'variant_id',
        'message_id',
        'channel',
        'details',
      ])
      .where('id', '=', touchId)
      .executeTakeFirst();
    if (!t || t.channel !== 'sms' || t.message_id !== s.messageSid) return false;
    const details = fromJson<Record<string, unknown>>(t.details, {});
    const sms = (details.sms as Record<string, unknown> | undefined) ?? {};
    await trx
      .updateTable('touches')
      .set({ details: toJson({ ...details, sms: { ...sms, status: s.status, error_code: s.errorCode } }) })
      .where('id', '=', t.id)
      .execute();
    const type =
      s.status === 'delivered'
        ? 'delivered'
        : s.status === 'undelivered' || s.status === 'failed'
          ? 'failed'
          : null;
    if (type) {
      await appendEvents(trx, [
        {
          workspaceId: t.workspace_id,
          type,
          occurredAt: now,
          receivedAt: now,
          messageId: `sms-status:${t.id}:${type}`,
          contactId: t.contact_id,
          campaignId: t.campaign_id,
          touchId: t.id,
          stepId: t.step_id,
          variantId: t.variant_id,
          channel: 'sms',
          properties: { status: s.status, ...(s.errorCode ? { error_code: s.errorCode } : {}) },
        },
      ]);
    }
    return true;
  });
}
