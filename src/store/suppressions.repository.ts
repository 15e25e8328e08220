// The workspace suppression list: email addresses and whole domains whose people no campaign may touch on
// any channel (email, SMS, tasks, webhooks, ads). Hard bounces and unsubscribes land here automatically.
import { BatonError } from '../domain/errors.js';
import { isValidEmail, normalizeDomain } from '../domain/contact.js';
import { removeSuppressedFromAudiences } from './ads-audiences.repository.js';
import type { Store } from './db.js';
import { newId } from './ids.js';

export const SUPPRESSION_REASONS = ['manual', 'hard_bounce', 'complaint', 'unsubscribe', 'import'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface Suppression {
  id: string;
  kind: 'email' | 'domain';
  value: string;
  reason: SuppressionReason;
  note: string | null;
  createdAt: number;
}

/** `Bob@Example.com` → email `bob@example.com`; `https://www.example.com` → domain `example.com`. */
export function suppressionKey(raw: string): { kind: 'email' | 'domain'; value: string } {
  const s = raw.trim();
  if (s.includes('@')) {
    const value = s.toLowerCase();
    if (!isValidEmail(value)) {
      throw BatonError.invalid([
        { path: 'value', message: `${JSON.stringify(raw)} is not an email address` },
      ]);
    }
    return { kind: 'email', value };
  }
  const value = normalizeDomain(s);
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(value)) {
    throw BatonError.invalid([
      { path: 'value', message: `${JSON.stringify(raw)} is neither an email address nor a domain name` },
    ]);
  }
  return { kind: 'domain', value };
}

export class SuppressionsRepository {
  constructor(private readonly store: Store) {}

  /** Adds an email or a domain; adding one already there keeps the first reason and returns it. */
  async add(
    workspaceId: string,
    input: { value: string; reason: SuppressionReason; note?: string | null },
    now: number,
  ): Promise<Suppression> {
    const key = suppressionKey(input.value);
    await this.store.db
      .insertInto('suppressions')
      .values({
        id: newId('sup', now),
        workspace_id: workspaceId,
        kind: key.kind,
        value: key.value,
        reason: input.reason,
        note: input.note ?? null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'value']).doNothing())
      .execute();
    await removeSuppressedFromAudiences(this.store.db, workspaceId, key, input.reason, now);
    return (await this.find(workspaceId, key.value))!;
  }

  async find(workspaceId: string, value: string): Promise<Suppression | undefined> {
    const row = await this.store.db
      .selectFrom('suppressions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('value', '=', value.trim().toLowerCase())
      .executeTakeFirst();
    return row && toSuppression(row);
  }

  /** Lifts a suppression; false when the value was not suppressed. */
  async remove(workspaceId: string, value: string): Promise<boolean> {
    return (await this.lift(workspaceId, value)) !== null;
  }

  /** Lifts a suppression and returns it (null when the value was not suppressed). */
  async lift(workspaceId: string, value: string): Promise<Suppression | null> {
    const key = suppressionKey(value);
    const row = await this.store.db
      .deleteFrom('suppressions')
      .where('workspace_id', '=', workspaceId)
      .where('value', '=', key.value)
      .returningAll()
      .executeTakeFirst();
    return row ? toSuppression(row) : null;
  }

  async list(workspaceId: string, page: { limit?: number; after?: string } = {}): Promise<Suppression[]> {
    let q = this.store.db
      .selectFrom('suppressions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      // Erased people's hashes (src/store/privacy) are not entries anyone can read or lift.
      .where('kind', '<>', 'erased')
      .orderBy('value')
      .limit(Math.min(page.limit ?? 100, 1000));
    if (page.after) q = q.where('value', '>', page.after);
    return (await q.execute()).map(toSuppression);
  }

  /** Whether an email address is suppressed, by itself or through its domain. */
  async isSuppressed(workspaceId: string, email: string): Promise<boolean> {
    const value = email.trim().toLowerCase();
    const domain = value.slice(value.lastIndexOf('@') + 1);
    const row = await this.store.db
      .selectFrom('suppressions')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('value', 'in', [value, domain])
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toSuppression(row: {
  id: string;
  kind: string;
  value: string;
  reason: string;
  note: string | null;
  created_at: number;
}): Suppression {
  return {
    id: row.id,
    kind: row.kind === 'domain' ? 'domain' : 'email',
    value: row.value,
    reason: row.reason as SuppressionReason,
    note: row.note,
    createdAt: row.created_at,
  };
}
