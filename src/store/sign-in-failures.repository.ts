// Failed sign-ins counted per email and per client address in the store, so every serve process behind a
// load balancer sees the same count; enough failures inside the window lock the key for a while.
import { sql } from 'kysely';
import type { Store } from './db.js';

export interface LockoutPolicy {
  /** Failures of one email inside the window that lock it. */
  perEmail: number;
  /** Failures from one address inside the window that lock it (higher: offices share an address). */
  perAddress: number;
  windowMs: number;
  lockMs: number;
}

/** OWASP Authentication Cheat Sheet ("Account Lockout"): a few attempts, then a lock of some minutes. */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  perEmail: 5,
  perAddress: 20,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

export const emailKey = (email: string): string => `email:${email.trim().toLowerCase()}`;
export const addressKey = (ip: string): string => `ip:${ip}`;

export class SignInFailuresRepository {
  constructor(private readonly store: Store) {}

  /** The latest instant until which any of the keys is locked, or null when none is. */
  async lockedUntil(keys: string[], now: number): Promise<number | null> {
    const rows = await this.store.db
      .selectFrom('sign_in_failures')
      .select('locked_until')
      .where('key', 'in', keys)
      .where('locked_until', '>', now)
      .execute();
    const until = rows.map((r) => Number(r.locked_until));
    return until.length ? Math.max(...until) : null;
  }

  /**
   * Counts one failure (a count older than the window, or one whose lock has passed, starts again at 1)
   * and locks the key when it reaches `max`. Returns the lock's end when this failure caused one.
   */
  async fail(key: string, max: number, policy: LockoutPolicy, now: number): Promise<number | null> {
    const since = now - policy.windowMs;
    const stale = sql`(sign_in_failures.first_failed_at <= ${since} or coalesce(sign_in_failures.locked_until, ${now + 1}) <= ${now})`;
    const r = await sql<{ failures: number | string }>`
      insert into sign_in_failures (key, failures, first_failed_at, locked_until)
      values (${key}, 1, ${now}, null)
      on conflict (key) do update set
        failures = case when ${stale} then 1 else sign_in_failures.failures + 1 end,
        first_failed_at = case when ${stale} then ${now} else sign_in_failures.first_failed_at end,
        locked_until = case when ${stale} then null else sign_in_failures.locked_until end
      returning failures`.execute(this.store.db);
    const failures = Number(r.rows[0]?.failures ?? 0);
    if (failures < max) return null;
    const until = now + policy.lockMs;
    await this.store.db
      .updateTable('sign_in_failures')
      .set({ locked_until: until })
      .where('key', '=', key)
      .execute();
    return until;
  }

  async clear(key: string): Promise<void> {
    await this.store.db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
  }
}
