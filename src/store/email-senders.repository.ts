// Email senders per workspace, their hourly and daily send counts, and per-category opt-outs. The SMTP URL
// (with its password) and the DKIM private key are stored sealed (src/store/secret-box.ts).
import { sql } from 'kysely';
import { BatonError, zodIssues } from '../domain/errors.js';
import { senderInputSchema, type Sender, type SenderInput } from '../domain/email-sender.js';
import { isPostgres, type Store } from './db.js';
import { newId } from './ids.js';
import type { Database } from './schema.js';
import { isSealedUnderCurrent, secretKeysOf, seal, unseal, type SecretKeys } from './secret-box.js';

export const SEALED_SENDER_COLUMNS = ['smtp_url', 'dkim_private_key'] as const;
const context = (column: (typeof SEALED_SENDER_COLUMNS)[number]) => `email_senders.${column}`;

function toSender(r: Database['email_senders'], keys: SecretKeys): Sender {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    email: r.email,
    name: r.name,
    replyTo: r.reply_to,
    postalAddress: r.postal_address,
    smtpUrl: r.smtp_url === null ? null : unseal(keys, r.smtp_url, context('smtp_url')),
    dailyLimit: r.daily_limit,
    hourlyRate: r.hourly_rate,
    warmupDays: r.warmup_days,
    warmupStart: r.warmup_start,
    warmupStartedAt: Number(r.warmup_started_at),
    dkimSelector: r.dkim_selector,
    dkimPrivateKey:
      r.dkim_private_key === null ? null : unseal(keys, r.dkim_private_key, context('dkim_private_key')),
    active: r.active === 1,
    updatedAt: Number(r.updated_at),
  };
}

export const hourWindow = (now: number): string => `h:${Math.floor(now / 3_600_000)}`;
export const dayWindow = (now: number): string => `d:${Math.floor(now / 86_400_000)}`;

export class EmailSendersRepository {
  constructor(private readonly store: Pick<Store, 'db'>) {}

  /** Creates a sender, or replaces the one with the same address (its warm-up clock keeps running). */
  async upsert(workspaceId: string, input: SenderInput, now: number): Promise<Sender> {
    const parsed = senderInputSchema.safeParse(input);
    if (!parsed.success) throw BatonError.invalid(zodIssues(parsed.error.issues));
    const s = parsed.data;
    const email = s.email.trim().toLowerCase();
    const keys = await secretKeysOf(this.store);
    const values = {
      name: s.name ?? null,
      reply_to: s.reply_to ?? null,
      postal_address: s.postal_address,
      smtp_url: s.smtp_url ? seal(keys, s.smtp_url, context('smtp_url')) : null,
      daily_limit: s.daily_limit,
      hourly_rate: s.hourly_rate,
      warmup_days: s.warmup_days,
      warmup_start: s.warmup_start,
      dkim_selector: s.dkim_selector ?? null,
      dkim_private_key: s.dkim_private_key
        ? seal(keys, s.dkim_private_key, context('dkim_private_key'))
        : null,
      active: s.active ? 1 : 0,
      updated_at: now,
    };
    await this.store.db
      .insertInto('email_senders')
      .values({
        id: newId('snd', now),
        workspace_id: workspaceId,
        email,
        ...values,
        warmup_started_at: now,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'email']).doUpdateSet(values))
      .execute();
    const row = await this.store.db
      .selectFrom('email_senders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    return toSender(row, keys);
  }

  async list(workspaceId: string, options: { activeOnly?: boolean } = {}): Promise<Sender[]> {
    let q = this.store.db
      .selectFrom('email_senders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id');
    if (options.activeOnly) q = q.where('active', '=', 1);
    const keys = await secretKeysOf(this.store);
    return (await q.execute()).map((r) => toSender(r, keys));
  }

  async get(workspaceId: string, id: string): Promise<Sender | undefined> {
    const row = await this.store.db
      .selectFrom('email_senders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', '=', id), eb('email', '=', id.toLowerCase())]))
      .executeTakeFirst();
    return row && toSender(row, await secretKeysOf(this.store));
  }

  /**
   * Re-seals every sender's credentials under the current secret (plaintext rows from before sealing, and
   * rows sealed under a previous secret), of one workspace or of the whole installation (`baton secrets
   * rotate`). Returns the number of values written.
   */
  async reseal(workspaceId?: string): Promise<number> {
    const keys = await secretKeysOf(this.store);
    let q = this.store.db.selectFrom('email_senders').select(['id', ...SEALED_SENDER_COLUMNS]);
    if (workspaceId !== undefined) q = q.where('workspace_id', '=', workspaceId);
    const rows = await q.execute();
    let n = 0;
    for (const r of rows) {
      const set: Partial<Record<(typeof SEALED_SENDER_COLUMNS)[number], string>> = {};
      for (const column of SEALED_SENDER_COLUMNS) {
        const stored = r[column];
        if (stored === null || isSealedUnderCurrent(keys, stored)) continue;
        set[column] = seal(keys, unseal(keys, stored, context(column)), context(column));
        n++;
      }
      if (Object.keys(set).length > 0) {
        await this.store.db.updateTable('email_senders').set(set).where('id', '=', r.id).execute();
      }
    }
    return n;
  }

  async remove(workspaceId: string, id: string): Promise<boolean> {
    const r = await this.store.db
      .deleteFrom('email_senders')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Sends counted in the current hour and UTC day, per sender. */
  async usage(
    workspaceId: string,
    senderIds: string[],
    now: number,
  ): Promise<Map<string, { hour: number; day: number }>> {
    const out = new Map(senderIds.map((id) => [id, { hour: 0, day: 0 }]));
    if (senderIds.length === 0) return out;
    const h = hourWindow(now);
    const d = dayWindow(now);
    const rows = await this.store.db
      .selectFrom('email_sender_usage')
      .select(['sender_id', 'window', 'count'])
      .where('workspace_id', '=', workspaceId)
      .where('sender_id', 'in', senderIds)
      .where('window', 'in', [h, d])
      .execute();
    for (const r of rows) {
      const u = out.get(r.sender_id);
      if (!u) continue;
      if (r.window === h) u.hour = Number(r.count);
      else u.day = Number(r.count);
    }
    return out;
  }

  /**
   * Reserves up to `n` sends for one sender in the current hour and day, never past `limits`, and returns
   * how many were granted. The two counters are read under a row lock (PostgreSQL `FOR UPDATE`, SQLite's
   * `BEGIN IMMEDIATE`) and raised in the same transaction, so workers reserving at once never overrun a
   * limit together. Reserve before sending; give back what did not go with `releaseUsage`.
   */
  async reserveUsage(
    workspaceId: string,
    senderId: string,
    n: number,
    now: number,
    limits: { hour: number; day: number },
  ): Promise<number> {
    if (n <= 0) return 0;
    // Always the same order (day, then hour), so two reservations never wait on each other's second row.
    const windows = [dayWindow(now), hourWindow(now)];
    return this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('email_sender_usage')
        .values(
          windows.map((window) => ({ workspace_id: workspaceId, sender_id: senderId, window, count: 0 })),
        )
        .onConflict((oc) => oc.columns(['sender_id', 'window']).doNothing())
        .execute();
      let q = trx
        .selectFrom('email_sender_usage')
        .select(['window', 'count'])
        .where('sender_id', '=', senderId)
        .where('window', 'in', windows)
        .orderBy('window');
      if (isPostgres(this.store.db)) q = q.forUpdate();
      const rows = await q.execute();
      const count = (w: string): number => Number(rows.find((r) => r.window === w)?.count ?? 0);
      const granted = Math.max(
        0,
        Math.min(n, limits.day - count(windows[0]!), limits.hour - count(windows[1]!)),
      );
      if (granted > 0) {
        await trx
          .updateTable('email_sender_usage')
          .set({ count: sql<number>`${sql.ref('count')} + ${granted}` })
          .where('sender_id', '=', senderId)
          .where('window', 'in', windows)
          .execute();
      }
      return granted;
    });
  }

  /** Gives back reserved sends that did not go (retried, refused before reaching the recipient). */
  async releaseUsage(workspaceId: string, counts: Map<string, number>, now: number): Promise<void> {
    for (const [senderId, n] of counts) {
      if (n <= 0) continue;
      await this.store.db
        .updateTable('email_sender_usage')
        .set({
          count: sql<number>`CASE WHEN ${sql.ref('count')} > ${n} THEN ${sql.ref('count')} - ${n} ELSE 0 END`,
        })
        .where('workspace_id', '=', workspaceId)
        .where('sender_id', '=', senderId)
        .where('window', 'in', [hourWindow(now), dayWindow(now)])
        .execute();
    }
  }

  /** Drops the counts of past hours and days (only the current ones are ever read). */
  async pruneUsage(workspaceId: string, now: number): Promise<void> {
    await this.store.db
      .deleteFrom('email_sender_usage')
      .where('workspace_id', '=', workspaceId)
      .where('window', 'not in', [hourWindow(now), dayWindow(now)])
      .execute();
  }

  /** Opts a contact out of one category of marketing email (idempotent). */
  async optOut(workspaceId: string, contactId: string, category: string, now: number): Promise<void> {
    await this.store.db
      .insertInto('email_category_optouts')
      .values({ workspace_id: workspaceId, contact_id: contactId, category, created_at: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'contact_id', 'category']).doNothing())
      .execute();
  }

  /** `contactId\u0000category` keys of the given contacts' opt-outs among the given categories. */
  async optOuts(workspaceId: string, contactIds: string[], categories: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (contactIds.length === 0 || categories.length === 0) return out;
    for (let i = 0; i < contactIds.length; i += 500) {
      const rows = await this.store.db
        .selectFrom('email_category_optouts')
        .select(['contact_id', 'category'])
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', 'in', contactIds.slice(i, i + 500))
        .where('category', 'in', categories)
        .execute();
      for (const r of rows) out.add(`${r.contact_id}\u0000${r.category}`);
    }
    return out;
  }
}
