// PostgreSQL: `events` becomes a table partitioned by month of `occurred_at` (the column every reader filters
// on: segment behaviour windows, reports, attribution, journey, retention), so old months can be dropped whole
// and reads of a time window visit only its months (decision 0021). A unique index on a partitioned table must
// include the partition key, so the per-workspace uniqueness of producer message ids moves to its own table,
// `event_message_ids`, kept by triggers in the same statement as the event write: an insert whose id is
// already claimed is skipped (ON CONFLICT DO NOTHING, as before), a changed id moves, a deleted event frees
// its id. SQLite keeps its single table and its unique index.
//
// The rows move in this migration's transaction (rename, create, copy, drop), under a lock that stops every
// reader and writer of `events` until it commits: stop ingestion and workers before `baton migrate` for this
// release (docs/operations.md, "Upgrades").
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../db.js';

/** Months created ahead of the newest event and of the migration's own month. */
const MONTHS_AHEAD = 3;

const COLUMNS = sql.raw(
  'seq, id, workspace_id, message_id, type, contact_id, account_id, anonymous_id, occurred_at, received_at, ' +
    'properties, campaign_id, touch_id, step_id, variant_id, channel',
);

function monthName(year: number, month: number): string {
  return `events_p${year}_${String(month + 1).padStart(2, '0')}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`.execute(db);
  await sql`ALTER TABLE events RENAME TO events_unpartitioned`.execute(db);
  await sql`CREATE TABLE events (
    seq bigint NOT NULL DEFAULT nextval('events_seq_seq'),
    id text NOT NULL,
    workspace_id text NOT NULL REFERENCES workspaces (id),
    message_id text,
    type text NOT NULL,
    contact_id text,
    account_id text,
    anonymous_id text,
    occurred_at bigint NOT NULL,
    received_at bigint NOT NULL,
    properties jsonb NOT NULL DEFAULT '{}',
    campaign_id text,
    touch_id text,
    step_id text,
    variant_id text,
    channel text
  ) PARTITION BY RANGE (occurred_at)`.execute(db);
  // The sequence outlives the old table, so `seq` (the ingest order every cursor reads) keeps counting.
  await sql`ALTER SEQUENCE events_seq_seq OWNED BY events.seq`.execute(db);
  await sql`CREATE TABLE events_default PARTITION OF events DEFAULT`.execute(db);

  // One partition per month that holds events (ingestion accepts times from 2000 on), and the months from the
  // migration's own up to MONTHS_AHEAD after it; everything else (engine events far in a simulated future)
  // lands in the default partition until the maintenance step gives its month a partition.
  const months = await sql<{ y: number; m: number }>`
    SELECT DISTINCT
      extract(year FROM to_timestamp(occurred_at / 1000.0) AT TIME ZONE 'UTC')::int AS y,
      extract(month FROM to_timestamp(occurred_at / 1000.0) AT TIME ZONE 'UTC')::int - 1 AS m
    FROM events_unpartitioned
    WHERE occurred_at >= ${Date.UTC(2000, 0, 1)} AND occurred_at < ${Date.UTC(10000, 0, 1)}`.execute(db);
  const starts = new Set(months.rows.map((r) => Date.UTC(r.y, r.m, 1)));
  const today = new Date();
  for (let i = 0; i <= MONTHS_AHEAD; i++)
    starts.add(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + i, 1));
  for (const from of [...starts].sort((a, b) => a - b)) {
    const d = new Date(from);
    const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    await sql`CREATE TABLE ${sql.id(monthName(d.getUTCFullYear(), d.getUTCMonth()))} PARTITION OF events
      FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(db);
  }

  await sql`INSERT INTO events (${COLUMNS}) SELECT ${COLUMNS} FROM events_unpartitioned`.execute(db);
  await sql`DROP TABLE events_unpartitioned`.execute(db);

  // `seq` leads the key: cursors (event processor, journey, listing) and retention read by it.
  await sql`ALTER TABLE events ADD PRIMARY KEY (seq, occurred_at)`.execute(db);
  await sql`CREATE INDEX events_id ON events (id)`.execute(db);
  await sql`CREATE INDEX events_ws_contact_time ON events (workspace_id, contact_id, occurred_at)`.execute(
    db,
  );
  await sql`CREATE INDEX events_ws_type_time ON events (workspace_id, type, occurred_at)`.execute(db);
  await sql`CREATE INDEX events_ws_campaign ON events (workspace_id, campaign_id)`.execute(db);
  await sql`CREATE INDEX events_ws_type_time_contact ON events (workspace_id, type, occurred_at, contact_id)`.execute(
    db,
  );

  await sql`CREATE TABLE event_message_ids (
    workspace_id text NOT NULL,
    message_id text NOT NULL,
    PRIMARY KEY (workspace_id, message_id)
  )`.execute(db);
  await sql`INSERT INTO event_message_ids (workspace_id, message_id)
    SELECT workspace_id, message_id FROM events WHERE message_id IS NOT NULL`.execute(db);

  // Claims the id before the row is written; a claimed id skips the row (it is not counted as inserted).
  await sql`CREATE FUNCTION baton_event_claim_message_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO event_message_ids (workspace_id, message_id) VALUES (NEW.workspace_id, NEW.message_id)
        ON CONFLICT DO NOTHING;
      IF FOUND THEN RETURN NEW; END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER events_claim_message_id BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.message_id IS NOT NULL) EXECUTE FUNCTION baton_event_claim_message_id()`.execute(
    db,
  );
  // Erasure rewrites ids that name the contact: the claim follows.
  await sql`CREATE FUNCTION baton_event_move_message_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.message_id IS NOT NULL THEN
        DELETE FROM event_message_ids WHERE workspace_id = OLD.workspace_id AND message_id = OLD.message_id;
      END IF;
      IF NEW.message_id IS NOT NULL THEN
        INSERT INTO event_message_ids (workspace_id, message_id) VALUES (NEW.workspace_id, NEW.message_id)
          ON CONFLICT DO NOTHING;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER events_move_message_id AFTER UPDATE ON events
    FOR EACH ROW WHEN (OLD.message_id IS DISTINCT FROM NEW.message_id OR OLD.workspace_id <> NEW.workspace_id)
    EXECUTE FUNCTION baton_event_move_message_id()`.execute(db);
  // A deleted event frees its id, as the unique index did. Partition maintenance moves rows out of the default
  // partition with the setting on, so the moved events keep their claims.
  await sql`CREATE FUNCTION baton_event_free_message_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF coalesce(current_setting('baton.keep_message_ids', true), '') <> 'on' THEN
        DELETE FROM event_message_ids WHERE workspace_id = OLD.workspace_id AND message_id = OLD.message_id;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER events_free_message_id AFTER DELETE ON events
    FOR EACH ROW WHEN (OLD.message_id IS NOT NULL) EXECUTE FUNCTION baton_event_free_message_id()`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error('Baton migrations are forward-only');
}
