// Query plans of the cap check, segment evaluation and campaign report on a database of realistic size, for
// docs/queries/{caps,segments,report}.md. It seeds a fresh database (300,000 contacts in 3 workspaces,
// 300,000 enrollments, 1,000,000 touches, 1,000,000 events, 20,000 conversions), runs the real code with a
// Kysely that records every query it sends, and prints each query with its plan: PostgreSQL
// `EXPLAIN (ANALYZE, BUFFERS)`, SQLite `EXPLAIN QUERY PLAN`.
//
//   npx tsx bench/query-plans.ts postgres   (a new database on BATON_TEST_PG_ADMIN, dropped afterwards)
//   npx tsx bench/query-plans.ts sqlite     (a temporary file)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { campaignSchema } from '../src/domain/campaign.js';
import { resolveAudience } from '../src/store/audience.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { openStore, type DialectName, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { loadReportInput } from '../src/store/report-data.js';
import type { Database } from '../src/store/schema.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';

const DAY = 86_400_000;
const NOW = Date.parse('2027-03-01T12:00:00Z');
const CONTACTS = 300_000;
const TOUCHES = 1_000_000;
const EVENTS = 1_000_000;

const dialect = (process.argv[2] ?? 'postgres') as DialectName;
const admin = process.env.BATON_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** `(select x from 1..n)` in the dialect. */
const series = (n: number): string =>
  dialect === 'postgres'
    ? `(select x from generate_series(1::bigint, ${n}::bigint) as x)`
    : `(with recursive s(x) as (select 1 union all select x + 1 from s where x < ${n}) select x from s)`;

/** One of `values`, picked by `expr` modulo their count. */
const pick = (expr: string, values: string[]): string =>
  `(case (${expr}) % ${values.length} ${values.map((v, i) => `when ${i} then '${v}'`).join(' ')} end)`;

async function seed(store: Store, run: (q: string) => Promise<void>): Promise<string> {
  const ws = (await new WorkspacesRepository(store).ensure('plans', NOW)).id;
  const spec = campaignSchema.parse({
    id: 'camp0',
    name: 'Plans',
    objective: 'leads',
    goal: { metric: 'conversions', event: 'demo_booked', target: 100, lookback_days: 14 },
    measurement: { holdout_percent: 10 },
    window: { start: '2027-01-04T09:00', end: '2027-03-31T17:00', timezone: 'UTC' },
    channels: ['email'],
    sequence: [{ id: 's0', channel: 'email', delay: '0d' }],
  });
  const campaigns = new CampaignsRepository(store);
  await campaigns.insert(ws, spec, NOW - 60 * DAY);
  await campaigns.setStatus(ws, 'camp0', 'draft', 'running', NOW - 56 * DAY, { launchedAt: NOW - 56 * DAY });
  // Workspace of row g: the real one for g % 3 = 0, two others (no workspace row: foreign keys are off).
  const wsOf = (g: string): string =>
    `(case (${g}) % 3 when 0 then '${ws}' when 1 then 'wsA' else 'wsB' end)`;
  await run(`insert into contacts (id, workspace_id, email, time_zone, lifecycle_stage, subscription_status,
      sms_consent, attributes, created_at, updated_at)
    select 'ct' || x, ${wsOf('x')}, 'p' || x || '@example.com', 'UTC',
      ${pick('x / 3', ['lead', 'customer', 'subscriber', 'opportunity'])},
      case when x % 50 = 0 then 'unsubscribed' else 'subscribed' end, 0, '{}', ${NOW - 400 * DAY}, ${NOW - 400 * DAY}
    from ${series(CONTACTS)} g`);
  // Every contact is in one campaign of its workspace (camp0 .. camp6); camp0 of the real workspace holds
  // the contacts with x % 21 = 0: about 14,000.
  await run(`insert into enrollments (id, workspace_id, campaign_id, contact_id, account_id, cycle, arm, variants,
      state, exit_reason, enrolled_at, exited_at)
    select 'en' || x, ${wsOf('x')}, 'camp' || ((x / 3) % 7), 'ct' || x, null, 1,
      case when x % 10 = 0 then 'holdout' else 'treatment' end, '{}', 'active', null, ${NOW - 56 * DAY}, null
    from ${series(CONTACTS)} g`);
  // Touches: contact c = x % 300,000 (so its enrollment and campaign), 70% sent over the last 60 days,
  // 20% planned, 10% skipped; four channels.
  await run(`insert into touches (id, workspace_id, enrollment_id, campaign_id, contact_id, step_id, step_index,
      channel, variant_id, priority, status, due_at, lease_until, claimed_by, attempts, deferrals, planned_at,
      sent_at, reason, message_id, details)
    select 'tc' || x, ${wsOf(`x % ${CONTACTS}`)}, 'en' || (x % ${CONTACTS}),
      'camp' || (((x % ${CONTACTS}) / 3) % 7), 'ct' || (x % ${CONTACTS}), 's' || (x / ${CONTACTS}), x / ${CONTACTS},
      ${pick('x / 7', ['email', 'sms', 'task', 'log'])}, null, 50,
      case when x % 10 < 7 then 'sent' when x % 10 < 9 then 'planned' else 'skipped' end,
      ${NOW - 60 * DAY} + (x % 86400) * 120000, null, null, 1, 0, ${NOW - 60 * DAY},
      case when x % 10 < 7 then ${NOW - 60 * DAY} + (x % 86400) * 60000 else null end, null, null, '{}'
    from ${series(TOUCHES)} g`);
  // Events: half are outcomes of sent touches (sent, delivered, opened, clicked, bounced), the rest page
  // views and goal events (demo_booked, 2%) over two years; contacts spread over all of them.
  // The event's contact: spread over all contacts, independent of the type (which depends on x).
  const ec = `((x / 2) * 7919 % ${CONTACTS})`;
  await run(`insert into events (id, workspace_id, message_id, type, contact_id, account_id, anonymous_id,
      occurred_at, received_at, properties, campaign_id, touch_id, step_id, variant_id, channel)
    select 'ev' || x, ${wsOf(ec)}, null,
      case when x % 50 = 0 then 'demo_booked' when x % 2 = 0 then 'page'
        else ${pick('x / 2', ['sent', 'delivered', 'opened', 'clicked', 'bounced'])} end,
      'ct' || ${ec}, null, null, ${NOW - 730 * DAY} + (x % 1000000) * 63072, ${NOW}, '{}',
      case when x % 2 = 1 and x % 50 <> 0 then 'camp' || ((${ec} / 3) % 7) else null end,
      case when x % 2 = 1 and x % 50 <> 0 then 'tc' || x else null end,
      case when x % 2 = 1 and x % 50 <> 0 then 's0' else null end, null,
      case when x % 2 = 1 and x % 50 <> 0 then 'email' else null end
    from ${series(EVENTS)} g`);
  await run(`insert into conversions (id, workspace_id, campaign_id, contact_id, enrollment_id, arm, event_id, value,
      occurred_at, touch_id, created_at)
    select 'cv' || x, ${wsOf(`x * 50 % ${CONTACTS}`)}, 'camp' || (((x * 50 % ${CONTACTS}) / 3) % 7),
      'ct' || (x * 50 % ${CONTACTS}), 'en' || (x * 50 % ${CONTACTS}), 'treatment', 'ev' || (x * 50), 1,
      ${NOW - 30 * DAY} + x * 100000, null, ${NOW}
    from ${series(20_000)} g`);
  return ws;
}

const recorders: Array<Kysely<Database>> = [];

/** The store, with a Kysely over the same connection that records every query the code under study sends. */
function recording(store: Store, queries: CompiledQuery[]): Store {
  const dialectImpl =
    store.dialect === 'postgres'
      ? new PostgresDialect({ pool: new pg.Pool({ connectionString: store.url, max: 4 }) })
      : new SqliteDialect({ database: store.sqlite! });
  const db = new Kysely<Database>({
    dialect: dialectImpl,
    log: (e) => {
      if (e.level === 'query') queries.push(e.query);
    },
  });
  if (store.dialect === 'postgres') recorders.push(db);
  return { ...store, db, close: () => db.destroy() };
}

async function main(): Promise<void> {
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'postgres') {
    const name = `query_plans_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    url = admin.replace(/\/[^/]*$/, `/${name}`);
    drop = async () => {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'baton-plans-'));
    url = `sqlite:${join(dir, 'baton.db')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  }
  const store = openStore(url, { poolSize: 4 });
  try {
    await migrateToLatest(store);
    const started = Date.now();
    let ws: string;
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      await client.query('set session_replication_role = replica'); // synthetic rows: skip foreign keys
      ws = await seed(store, async (q) => void (await client.query(q)));
      await client.end();
      await sql`vacuum analyze`.execute(store.db);
    } else {
      store.sqlite!.pragma('foreign_keys = OFF');
      ws = await seed(store, async (q) => void store.sqlite!.exec(q));
      store.sqlite!.exec('analyze');
    }
    console.log(`-- ${dialect}: seeded in ${Math.round((Date.now() - started) / 1000)} s; workspace ${ws}`);

    const explain = async (title: string, q: CompiledQuery, workMem?: string): Promise<void> => {
      console.log(
        `\n### ${title}\n\n${q.sql}\n-- parameters: ${JSON.stringify(q.parameters).slice(0, 300)}\n`,
      );
      if (dialect === 'postgres') {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        // With a smaller work_mem, the plan only (the point is which plan PostgreSQL picks, not its time).
        if (workMem) await client.query(`set work_mem = '${workMem}'`);
        const how = workMem ? '' : '(analyze, buffers) ';
        const r = await client.query(`explain ${how}${q.sql}`, q.parameters as unknown[]);
        await client.end();
        for (const row of r.rows) console.log(row['QUERY PLAN']);
      } else {
        const rows = store
          .sqlite!.prepare(`explain query plan ${q.sql}`)
          .all(...(q.parameters as unknown[])) as Array<{ id: number; parent: number; detail: string }>;
        // EXPLAIN QUERY PLAN has no timings: run the query too (best of three, warm cache).
        const stmt = store.sqlite!.prepare(q.sql);
        let best = Infinity;
        let n = 0;
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          n = stmt.reader ? stmt.all(...(q.parameters as unknown[])).length : 0;
          best = Math.min(best, performance.now() - t0);
        }
        console.log(`-- ${n} rows in ${best.toFixed(1)} ms`);
        const depth = new Map<number, number>([[0, 0]]);
        for (const r of rows) {
          const d = (depth.get(r.parent) ?? 0) + 1;
          depth.set(r.id, d);
          console.log(`${'  '.repeat(d - 1)}${r.detail}`);
        }
      }
    };

    // Cap check: the dispatcher's loadHistory (src/engine/dispatcher.ts) for one claimed batch of 500
    // contacts of one workspace, written exactly as it builds it.
    const batch = Array.from({ length: 500 }, (_, i) => `ct${(i * 597 + 3) * 3}`);
    await explain(
      'cap check: touches of a 500-contact batch in the last 8 days',
      store.db
        .selectFrom('touches')
        .select(['contact_id', 'sent_at', 'channel', 'campaign_id'])
        .where('workspace_id', '=', ws)
        .where('contact_id', 'in', batch)
        .where('sent_at', '>', NOW - 8 * DAY)
        .where('status', 'in', ['sent', 'claimed'])
        .compile(),
    );

    // Segment evaluation: the audience a campaign would enroll (resolveAudience, the compiled segment).
    const segQueries: CompiledQuery[] = [];
    await resolveAudience(
      recording(store, segQueries),
      ws,
      {
        segment: {
          all: [
            { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' },
            { event: 'clicked', within_days: 90 },
            { event: 'bounced', did: false },
          ],
        },
      },
      { now: NOW },
    );
    for (const q of segQueries) await explain('segment evaluation (resolveAudience)', q);
    const segment = segQueries.find((q) => q.sql.includes('not exists'));
    if (dialect === 'postgres' && segment) {
      await explain(
        'segment evaluation, work_mem 64kB (not exists: the anti-join spills instead of rescanning)',
        segment,
        '64kB',
      );
    }

    // Report: every query loadReportInput sends for camp0 (about 14,000 enrollments).
    const reportQueries: CompiledQuery[] = [];
    await loadReportInput(recording(store, reportQueries), ws, 'camp0', NOW);
    for (const q of reportQueries) await explain('report (loadReportInput)', q);
  } finally {
    for (const db of recorders) await db.destroy();
    await store.close();
    await drop();
  }
}

await main();
