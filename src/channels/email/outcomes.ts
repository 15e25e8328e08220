// What email outcomes do to the store, shared by the tracking routes and the inbound listener: find the
// touch behind a token or a Message-ID, record its event once, and apply unsubscribes, bounces and replies
// (which exit the enrollment when the campaign's `exit_on` says so).
import type { Kysely } from 'kysely';
import { activeEnrollmentsOf, activeEnrollmentsOfAccount, exitEnrollments } from '../../engine/exits.js';
import type { Store } from '../../store/db.js';
import { appendEvents, type NewEvent } from '../../store/events.repository.js';
import { fromJson } from '../../store/json.js';
import type { Database } from '../../store/schema.js';
import { SuppressionsRepository } from '../../store/suppressions.repository.js';
import type { EmailTouchDetails } from '../email.channel.js';

export interface EmailTouch {
  id: string;
  workspaceId: string;
  campaignId: string;
  enrollmentId: string;
  contactId: string;
  stepId: string;
  variantId: string | null;
  messageId: string | null;
  sentAt: number | null;
  email: Partial<EmailTouchDetails>;
}

export async function findTouch(db: Kysely<Database>, touchId: string): Promise<EmailTouch | undefined> {
  const r = await db
    .selectFrom('touches')
    .select([
      'id',
      'workspace_id',
      'campaign_id',
      'enrollment_id',
      'contact_id',
      'step_id',
      'variant_id',
      'message_id',
      'sent_at',
      'details',
      'channel',
    ])
    .where('id', '=', touchId)
    .executeTakeFirst();
  if (!r || r.channel !== 'email') return undefined;
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    campaignId: r.campaign_id,
    enrollmentId: r.enrollment_id,
    contactId: r.contact_id,
    stepId: r.step_id,
    variantId: r.variant_id,
    messageId: r.message_id,
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    email: fromJson<{ email?: Partial<EmailTouchDetails> }>(r.details, {}).email ?? {},
  };
}

/** An event about a touch, with the touch's campaign, step, variant and contact. Returns whether it was new. */
export async function recordTouchEvent(
  db: Kysely<Database>,
  t: EmailTouch,
  type: string,
  messageId: string,
  now: number,
  properties: Record<string, unknown> = {},
): Promise<boolean> {
  const e: NewEvent = {
    workspaceId: t.workspaceId,
    type,
    occurredAt: now,
    receivedAt: now,
    messageId,
    contactId: t.contactId,
    properties,
    campaignId: t.campaignId,
    touchId: t.id,
    stepId: t.stepId,
    variantId: t.variantId,
    channel: 'email',
  };
  return (await appendEvents(db, [e])) > 0;
}

/**
 * Unsubscribes a contact from every campaign at once: status, suppression of the address, exit of every
 * active enrollment and one `unsubscribed` event. With a category, only that category is opted out of.
 */
export async function unsubscribeContact(
  store: Store,
  workspaceId: string,
  contactId: string,
  touch: EmailTouch | null,
  now: number,
  options: { category?: string; method: string },
): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    const contact = await trx
      .selectFrom('contacts')
      .select(['id', 'email', 'subscription_status'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', contactId)
      .executeTakeFirst();
    if (!contact) return false;
    if (options.category) {
      await trx
        .insertInto('email_category_optouts')
        .values({
          workspace_id: workspaceId,
          contact_id: contactId,
          category: options.category,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'contact_id', 'category']).doNothing())
        .execute();
    } else {
      await trx
        .updateTable('contacts')
        .set({ subscription_status: 'unsubscribed', updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', contactId)
        .where('subscription_status', '=', 'subscribed')
        .execute();
      if (contact.email) {
        await new SuppressionsRepository({ ...store, db: trx }).add(
          workspaceId,
          {
            value: contact.email,
            reason: 'unsubscribe',
            note: touch ? `campaign ${touch.campaignId}` : null,
          },
          now,
        );
      }
      const active = await activeEnrollmentsOf(trx, workspaceId, contactId);
      await exitEnrollments(
        trx,
        workspaceId,
        active.map((a) => a.id),
        'unsubscribed',
        now,
      );
    }
    await appendEvents(trx, [
      {
        workspaceId,
        type: 'unsubscribed',
        occurredAt: now,
        receivedAt: now,
        messageId: options.category ? `unsub:${contactId}:${options.category}` : `unsub:${contactId}`,
        contactId,
        properties: { method: options.method, ...(options.category ? { category: options.category } : {}) },
        campaignId: touch?.campaignId ?? null,
        touchId: touch?.id ?? null,
        stepId: touch?.stepId ?? null,
        variantId: touch?.variantId ?? null,
        channel: 'email',
      },
    ]);
    return true;
  });
}

/** A hard bounce reported after the fact (a DSN): contact bounced, address suppressed, enrollment exited. */
export async function applyHardBounce(store: Store, t: EmailTouch, now: number, note: string): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    const contact = await trx
      .selectFrom('contacts')
      .select(['email'])
      .where('workspace_id', '=', t.workspaceId)
      .where('id', '=', t.contactId)
      .executeTakeFirst();
    await trx
      .updateTable('contacts')
      .set({ subscription_status: 'bounced', updated_at: now })
      .where('workspace_id', '=', t.workspaceId)
      .where('id', '=', t.contactId)
      .where('subscription_status', '=', 'subscribed')
      .execute();
    const address = t.email.to ?? contact?.email;
    if (address) {
      await new SuppressionsRepository({ ...store, db: trx }).add(
        t.workspaceId,
        { value: address, reason: 'hard_bounce', note: note.slice(0, 300) },
        now,
      );
    }
    await exitEnrollments(trx, t.workspaceId, [t.enrollmentId], 'bounced', now);
  });
}

/**
 * A reply ends the enrollment when the campaign exits on `replied` (the default): this contact's, or every
 * contact's of the account with `exit_scope: account`. Done here until the engine's event processor
 * applies exits from events; the exit is idempotent, so both doing it is harmless.
 */
export async function exitOnReply(store: Store, t: EmailTouch, now: number): Promise<number> {
  const campaign = await store.db
    .selectFrom('campaigns')
    .select(['spec'])
    .where('workspace_id', '=', t.workspaceId)
    .where('id', '=', t.campaignId)
    .executeTakeFirst();
  const spec = fromJson<{ exit_on?: unknown[]; exit_scope?: string }>(campaign?.spec, {});
  const exitOn = spec.exit_on ?? ['replied', 'converted', 'unsubscribed', 'bounced'];
  if (!exitOn.includes('replied')) return 0;
  let ids = [t.enrollmentId];
  if (spec.exit_scope === 'account') {
    const e = await store.db
      .selectFrom('enrollments')
      .select('account_id')
      .where('id', '=', t.enrollmentId)
      .executeTakeFirst();
    if (e?.account_id)
      ids = await activeEnrollmentsOfAccount(store.db, t.workspaceId, t.campaignId, e.account_id);
  }
  return exitEnrollments(store.db, t.workspaceId, ids, 'replied', now);
}
