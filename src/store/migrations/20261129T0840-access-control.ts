// Access control: user roles, idle-expiring sessions, sign-in lockout counters, account owners, approvals,
// and the append-only audit log (UPDATE and DELETE refused by a trigger on both dialects).
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';
import { jsonType, withSerialKey } from './helpers.js';

async function hasColumn(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  if (isPostgres(db)) {
    const r = await sql<{ n: string }>`select count(*) as n from information_schema.columns
      where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(
      db,
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const r = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return r.rows.some((c) => c.name === column);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  // Users who signed in before roles existed ran their workspace: they stay able to do everything.
  await db.schema
    .alterTable('users')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('admin'))
    .execute();

  // Idle expiry: a session unused for longer than the idle limit ends even before its absolute expiry.
  await db.schema.alterTable('user_sessions').addColumn('last_seen_at', 'bigint').execute();
  await sql`update user_sessions set last_seen_at = created_at`.execute(db);

  // The user who owns an account (a sales rep sees the contacts of the accounts they own). Another
  // migration may have added it already; the free-text `owner` stays as imported.
  if (!(await hasColumn(db, 'accounts', 'owner_user_id'))) {
    await db.schema.alterTable('accounts').addColumn('owner_user_id', 'text').execute();
    await db.schema
      .createIndex('accounts_owner_user_idx')
      .on('accounts')
      .columns(['workspace_id', 'owner_user_id'])
      .execute();
  }

  // Failed sign-ins per email and per client address (keys `email:…`, `ip:…`): before a workspace is
  // known, so not workspace-scoped; shared by every serve process behind a load balancer.
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_failed_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_role', 'text')
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('note', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('approvals_status_idx')
    .on('approvals')
    .columns(['workspace_id', 'status', 'requested_at'])
    .execute();

  await withSerialKey(db, db.schema.createTable('audit_log'), 'seq')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('details', jsonType(db), (c) => c.notNull())
    .execute();
  for (const [name, cols] of [
    ['audit_log_ws_idx', ['workspace_id', 'seq']],
    ['audit_log_action_idx', ['workspace_id', 'action', 'seq']],
    ['audit_log_actor_idx', ['workspace_id', 'actor_id', 'seq']],
    ['audit_log_target_idx', ['workspace_id', 'target_id', 'seq']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('audit_log')
      .columns([...cols])
      .execute();
  }

  if (isPostgres(db)) {
    await sql`create function baton_audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end $$`.execute(db);
    await sql`create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function baton_audit_log_append_only()`.execute(db);
    await sql`create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function baton_audit_log_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only: UPDATE refused'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only: DELETE refused'); end`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
