// `npm run bench -- segments [--contacts N] [--events N] [--runs N]`: audience preview latency on
// 1,000,000 contacts across 50,000 accounts and 10,000,000 events, against hand-written SQL of the same
// meaning run in the same process. SQLite by default (the generated file is cached under bench/out/);
// PostgreSQL when BATON_DB is a postgres:// URL.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { previewAudience, resolveAudience } from '../src/store/audience.js';
import { openStore, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { SuppressionsRepository } from '../src/store/suppressions.repository.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAY = 86_400_000;
// A fixed "now" so the cached data and the 30-day window agree across runs.
const NOW = Date.parse('2027-01-04T12:00:00Z');
const STAGES = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer', 'evangelist', 'other'];
const INDUSTRIES = ['SaaS', 'Retail', 'Finance', 'Health', 'Education', 'Manufacturing', 'Media', 'Energy'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const EVENT_TYPES = [
  'page_viewed',
  'page_viewed',
  'page_viewed',
  'email_opened',
  'email_opened',
  'email_clicked',
  'pricing_page_viewed',
  'signup',
  'demo_booked',
  'webinar_attended',
];

/** mulberry32: a small seeded PRNG so every generated database is the same. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sizes {
  contacts: number;
  accounts: number;
  events: number;
}

function* rows(sizes: Sizes, ws: string) {
  const r = rng(42);
  for (let i = 0; i < sizes.accounts; i++) {
    yield {
      table: 'accounts' as const,
      values: [
        `acc_${i}`,
        ws,
        `a${i}.example`,
        `Account ${i}`,
        INDUSTRIES[Math.floor(r() * INDUSTRIES.length)]!,
        Math.floor(r() * 5000) + 1,
        `{"tier":"${r() < 0.2 ? 'gold' : 'standard'}"}`,
        NOW - 400 * DAY,
      ],
    };
  }
  for (let i = 0; i < sizes.contacts; i++) {
    const account = Math.floor(r() * sizes.accounts);
    const attrs = `{"score":${Math.floor(r() * 101)},"plan":"${PLANS[Math.floor(r() * PLANS.length)]!}"}`;
    yield {
      table: 'contacts' as const,
      values: [
        `con_${String(i).padStart(7, '0')}`,
        ws,
        r() < 0.97 ? `c${i}@a${account}.example` : null,
        STAGES[Math.floor(r() * STAGES.length)]!,
        account,
        r() < 0.95 ? 'subscribed' : 'unsubscribed',
        attrs,
        NOW - Math.floor(r() * 700) * DAY,
      ],
    };
  }
  for (let i = 0; i < sizes.events; i++) {
    const contact = Math.floor(r() * sizes.contacts);
    yield {
      table: 'events' as const,
      values: [
        `evt_${i}`,
        ws,
        EVENT_TYPES[Math.floor(r() * EVENT_TYPES.length)]!,
        `con_${String(contact).padStart(7, '0')}`,
        NOW - Math.floor(r() * 365 * DAY),
      ],
    };
  }
}

/** Bulk load through prepared statements, with secondary indexes dropped during the load and rebuilt after. */
function generateSqlite(store: Store, ws: string, sizes: Sizes): void {
  const db = store.sqlite!;
  const indexes = db
    .prepare(
      "select name, sql from sqlite_master where type = 'index' and tbl_name in ('contacts', 'accounts', 'events') and sql is not null",
    )
    .all() as Array<{ name: string; sql: string }>;
  for (const ix of indexes) db.exec(`drop index ${ix.name}`);
  const insAccount = db.prepare(
    `insert into accounts (id, workspace_id, domain, name, industry, size, attributes, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insContact = db.prepare(
    `insert into contacts (id, workspace_id, email, lifecycle_stage, account_id, subscription_status, attributes,
       created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insEvent = db.prepare(
    `insert into events (id, workspace_id, type, contact_id, occurred_at, received_at, properties)
     values (?, ?, ?, ?, ?, ?, '{}')`,
  );
  db.pragma('foreign_keys = OFF');
  let n = 0;
  let tx: string | undefined;
  db.exec('begin');
  const t0 = Date.now();
  for (const row of rows(sizes, ws)) {
    const v = row.values;
    if (row.table === 'accounts') insAccount.run(...v, v[7]);
    else if (row.table === 'contacts')
      insContact.run(v[0], v[1], v[2], v[3], `acc_${String(v[4])}`, v[5], v[6], v[7], v[7]);
    else insEvent.run(...v, v[4]);
    if (++n % 1_000_000 === 0) {
      db.exec('commit');
      db.exec('begin');
      process.stderr.write(
        `  ${n.toLocaleString('en-US')} rows (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
      );
    }
    tx = row.table;
  }
  db.exec('commit');
  process.stderr.write(`  loaded ${n.toLocaleString('en-US')} rows (last table ${tx}); rebuilding indexes\n`);
  for (const ix of indexes) db.exec(ix.sql);
  db.exec('analyze');
  db.pragma('foreign_keys = ON');
}

async function generatePostgres(store: Store, ws: string, sizes: Sizes): Promise<void> {
  const batch: Record<string, unknown[][]> = { accounts: [], contacts: [], events: [] };
  const flush = async (table: string): Promise<void> => {
    const list = batch[table]!;
    if (list.length === 0) return;
    if (table === 'accounts') {
      await store.db
        .insertInto('accounts')
        .values(
          list.map((v) => ({
            id: v[0] as string,
            workspace_id: ws,
            domain: v[2] as string,
            name: v[3] as string,
            industry: v[4] as string,
            size: v[5] as number,
            attributes: v[6] as string,
            created_at: v[7] as number,
            updated_at: v[7] as number,
          })),
        )
        .execute();
    } else if (table === 'contacts') {
      await store.db
        .insertInto('contacts')
        .values(
          list.map((v) => ({
            id: v[0] as string,
            workspace_id: ws,
            email: v[2] as string | null,
            lifecycle_stage: v[3] as string,
            account_id: `acc_${String(v[4])}`,
            subscription_status: v[5] as string,
            sms_consent: 0,
            attributes: v[6] as string,
            created_at: v[7] as number,
            updated_at: v[7] as number,
          })),
        )
        .execute();
    } else {
      await store.db
        .insertInto('events')
        .values(
          list.map((v) => ({
            id: v[0] as string,
            workspace_id: ws,
            type: v[2] as string,
            contact_id: v[3] as string,
            occurred_at: v[4] as number,
            received_at: v[4] as number,
            properties: '{}',
          })),
        )
        .execute();
    }
    batch[table] = [];
  };
  let n = 0;
  let previous = 'accounts';
  for (const row of rows(sizes, ws)) {
    // Accounts before the contacts that reference them, contacts before their events.
    if (row.table !== previous) await flush(previous);
    previous = row.table;
    batch[row.table]!.push(row.values);
    if (batch[row.table]!.length >= 1000) await flush(row.table);
    if (++n % 1_000_000 === 0) process.stderr.write(`  ${n.toLocaleString('en-US')} rows\n`);
  }
  for (const t of ['accounts', 'contacts', 'events']) await flush(t);
  await sql`analyze`.execute(store.db);
}

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const SEGMENT = {
  all: [
    { attribute: 'lifecycle_stage', op: 'in', value: ['lead', 'mql'] },
    { attribute: 'attributes.score', op: 'gte', value: 50 },
    { attribute: 'account.industry', op: 'eq', value: 'SaaS' },
    { event: 'pricing_page_viewed', count_gte: 2, within_days: 30 },
  ],
};

/** The same meaning written by hand: contacts of SaaS accounts, lead/MQL, score ≥ 50, pricing ≥ 2 in 30 days. */
async function handWritten(store: Store, ws: string): Promise<number> {
  const pg = store.dialect === 'postgres';
  const score = pg ? sql`(c.attributes->>'score')::numeric` : sql`json_extract(c.attributes, '$.score')`;
  const r = await sql<{ n: number }>`
    select count(*) as n from contacts c join accounts a on a.id = c.account_id
    where c.workspace_id = ${ws} and c.lifecycle_stage in ('lead', 'mql') and ${score} >= 50
      and a.industry = 'SaaS'
      and c.id in (select contact_id from events where workspace_id = ${ws} and type = 'pricing_page_viewed'
                   and occurred_at >= ${NOW - 30 * DAY} and occurred_at <= ${NOW}
                   group by contact_id having count(*) >= 2)`.execute(store.db);
  return Number(r.rows[0]!.n);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(args: string[]): Promise<void> {
  const sizes: Sizes = {
    contacts: arg(args, 'contacts', 1_000_000),
    accounts: arg(args, 'accounts', 50_000),
    events: arg(args, 'events', 10_000_000),
  };
  const runs = arg(args, 'runs', 5);
  const url = process.env.BATON_DB?.startsWith('postgres')
    ? process.env.BATON_DB
    : `sqlite:${join(here, 'out', `segments-${sizes.contacts}-${sizes.accounts}-${sizes.events}.db`)}`;
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  if (file && !existsSync(file)) {
    // Generate into a temporary file and rename it, so an interrupted run never leaves a half-filled cache.
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.partial`;
    rmSync(tmp, { force: true });
    const gen = openStore(`sqlite:${tmp}`);
    await migrateToLatest(gen);
    const ws = await new WorkspacesRepository(gen).ensure('bench', NOW);
    process.stderr.write(`generating ${JSON.stringify(sizes)} into ${tmp}\n`);
    const t = await timed(() => generateSqlite(gen, ws.id, sizes));
    process.stderr.write(`generated in ${(t.ms / 1000).toFixed(0)} s\n`);
    gen.sqlite!.pragma('wal_checkpoint(TRUNCATE)');
    await gen.close();
    renameSync(tmp, file);
  }
  const store = openStore(url);
  await migrateToLatest(store);
  const workspaces = new WorkspacesRepository(store);
  let ws = await workspaces.findByName('bench');
  if (!ws) {
    ws = await workspaces.ensure('bench', NOW);
    process.stderr.write(`generating ${JSON.stringify(sizes)} on PostgreSQL\n`);
    await generatePostgres(store, ws.id, sizes);
  }
  // A realistic suppression list: a few hundred addresses and a few domains.
  const sup = new SuppressionsRepository(store);
  for (let i = 0; i < 300; i++)
    await sup.add(ws.id, { value: `c${i * 997}@a${i}.example`, reason: 'hard_bounce' }, NOW);
  for (let i = 0; i < 20; i++) await sup.add(ws.id, { value: `a${i * 101}.example`, reason: 'manual' }, NOW);

  const spec = { segment: SEGMENT };
  const expected = await handWritten(store, ws.id);
  const compiled = await resolveAudience(store, ws.id, spec, { now: NOW, channel: 'none' });
  if (compiled.contactIds.length !== expected) {
    throw new Error(
      `compiled segment found ${compiled.contactIds.length} contacts, hand-written SQL ${expected}`,
    );
  }
  const preview = await previewAudience(store, ws.id, spec, { now: NOW });
  console.log(
    `${store.dialect}: ${sizes.contacts.toLocaleString('en-US')} contacts, ${sizes.accounts.toLocaleString('en-US')} accounts, ` +
      `${sizes.events.toLocaleString('en-US')} events; segment matches ${expected} contacts, ` +
      `${preview.count} after removals (${(preview.share * 100).toFixed(3)}% of ${preview.reachable.toLocaleString('en-US')} reachable)`,
  );

  const hand: number[] = [];
  const count: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < runs; i++) {
    hand.push((await timed(() => handWritten(store, ws.id))).ms);
    count.push((await timed(() => resolveAudience(store, ws.id, spec, { now: NOW, channel: 'none' }))).ms);
    full.push((await timed(() => previewAudience(store, ws.id, spec, { now: NOW }))).ms);
  }
  const baseline = { label: 'hand-written SQL count, median', value: median(hand), unit: 'ms' };
  report({ label: 'compiled segment (ids), median', value: median(count), unit: 'ms' }, baseline, false);
  report(
    {
      label: 'full preview (count, reasons, stages, accounts, sample, share), median',
      value: median(full),
      unit: 'ms',
    },
    baseline,
    false,
  );
  await store.close();
}
