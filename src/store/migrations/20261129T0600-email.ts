// Email: senders (mailboxes with limits, warm-up, DKIM and the postal address of the footer), their
// send counts per hour and per day, and per-category opt-outs of marketing email.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('email_senders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('reply_to', 'text')
    .addColumn('postal_address', 'text', (c) => c.notNull())
    // smtp://user:pass@host:port (smtps:// for implicit TLS); null uses the instance's relay.
    .addColumn('smtp_url', 'text')
    .addColumn('daily_limit', 'integer', (c) => c.notNull())
    .addColumn('hourly_rate', 'integer', (c) => c.notNull())
    .addColumn('warmup_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('warmup_start', 'integer', (c) => c.notNull().defaultTo(50))
    .addColumn('warmup_started_at', 'bigint', (c) => c.notNull())
    .addColumn('dkim_selector', 'text')
    .addColumn('dkim_private_key', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('email_senders_ws_email')
    .unique()
    .on('email_senders')
    .columns(['workspace_id', 'email'])
    .execute();

  await db.schema
    .createTable('email_sender_usage')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    // `h:<hour number>` or `d:<day number>` since the epoch (UTC).
    .addColumn('window', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_sender_usage_pk', ['sender_id', 'window'])
    .execute();

  await db.schema
    .createTable('email_category_optouts')
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('email_category_optouts_pk', ['workspace_id', 'contact_id', 'category'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
