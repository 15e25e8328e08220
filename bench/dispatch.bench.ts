// Dispatch throughput, end to end: `contacts` people (split over two campaigns with caps) × a 5-step
// sequence are enrolled, planned and dispatched through the `log` channel on SQLite on a simulated clock
// (jumping from one due instant to the next), touches performed per second, against the same number of
// bare better-sqlite3 single-row updates in batched transactions.
//
// `--kysely`: the SQLite run goes through the Kysely queue instead of the prepared-statement one (decision
// 0020), to compare the two. Process CPU time is printed next to wall time for both the run and the baseline:
// on a shared, loaded machine the CPU ratio moves less than the wall ratio.
//
// `--pg`: also measures PostgreSQL with 1, 2 and 4 real `baton worker` processes on the real clock
// (`--pg-touches N`, default 20,000 `log` touches due at once), on fresh databases of the test server.
//
//   npm run bench -- dispatch [--contacts 200000] [--kysely] [--pg] [--pg-touches 20000]
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { ChannelRegistry } from '../src/channels/channel.js';
import { LogChannel } from '../src/channels/log.channel.js';
import { campaignSchema } from '../src/domain/campaign.js';
import { workspaceSettings } from '../src/domain/workspace-settings.js';
import { buildRuntime, type CampaignRuntime } from '../src/engine/campaign-runtime.js';
import { Dispatcher } from '../src/engine/dispatcher.js';
import { enrollContacts, type EnrollContact } from '../src/engine/enroller.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { openStore, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { newId } from '../src/store/ids.js';
import { sqliteQueue } from '../src/store/touch-queue.sqlite.js';
import { DAY } from '../src/planning/index.js';
import { report, timed } from './harness.js';
import { dispatchOnPg } from './pg-harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const START = Date.parse('2027-01-04T00:00:00Z');
const SETTINGS = {
  caps: { per_day: 1, per_7_days: 3, min_gap_hours: {}, exempt_channels: ['ads'] },
  send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
  time_zone: 'UTC',
};

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function count(store: Store, status: string): Promise<number> {
  const r = await store.db
    .selectFrom('touches')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

interface Setup {
  store: Store;
  file: string;
  workspaceId: string;
  /** Enrolls every person (alpha gets the first half, beta the rest): the first touch of each is planned. */
  enroll: () => Promise<void>;
}

/** A fresh Baton store with the people and the two running campaigns; nothing enrolled yet. */
async function setUp(contacts: number, name: string): Promise<Setup> {
  const file = join(here, 'out', `${name}-${contacts}.db`);
  removeDb(file);
  const store = openStore(`sqlite:${file}`);
  await migrateToLatest(store);
  const ws = await new WorkspacesRepository(store).ensure('bench', START);
  await new WorkspacesRepository(store).updateSettings(ws.id, SETTINGS);
  const people: EnrollContact[] = [];
  const insert = store.sqlite!.prepare(
    `INSERT INTO contacts (id, workspace_id, email, time_zone, subscription_status, sms_consent, attributes,
       created_at, updated_at) VALUES (?, ?, ?, 'UTC', 'subscribed', 0, '{}', ?, ?)`,
  );
  store.sqlite!.transaction(() => {
    for (let i = 0; i < contacts; i++) {
      const id = `ct_${String(i).padStart(7, '0')}`;
      insert.run(id, ws.id, `p${i}@example.test`, START, START);
      people.push({ id, account_id: null, time_zone: 'UTC' });
    }
  })();
  const repo = new CampaignsRepository(store);
  const half = Math.ceil(contacts / 2);
  const runtimes: CampaignRuntime[] = [];
  for (const [id, priority] of [
    ['alpha', 80],
    ['beta', 40],
  ] as const) {
    const spec = campaignSchema.parse({
      id,
      name: id,
      objective: 'leads',
      priority,
      window: { start: '2027-01-04T00:00', end: '2027-03-31T00:00', timezone: 'UTC' },
      channels: ['email', 'task'],
      sequence: [
        { id: 's1', channel: 'email', delay: '0d', subject: 'One' },
        { id: 's2', channel: 'task', delay: '1d' },
        { id: 's3', channel: 'email', delay: '1d', subject: 'Three' },
        { id: 's4', channel: 'email', delay: '2d', subject: 'Four' },
        { id: 's5', channel: 'task', delay: '3d' },
      ],
    });
    await repo.insert(ws.id, spec, START);
    await repo.setStatus(ws.id, id, 'draft', 'running', START, { launchedAt: START });
    runtimes.push(buildRuntime(ws.id, spec, 1, workspaceSettings(SETTINGS)));
  }
  const enroll = async (): Promise<void> => {
    await enrollContacts(store, runtimes[0]!, people.slice(0, half), START);
    await enrollContacts(store, runtimes[1]!, people.slice(half), START);
  };
  return { store, file, workspaceId: ws.id, enroll };
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

async function sqliteRun(
  contacts: number,
  kyselyQueue: boolean,
): Promise<{ touches: number; ms: number; cpuMs: number; detail: string }> {
  const { store, file, enroll } = await setUp(contacts, 'dispatch');
  const channels = new ChannelRegistry();
  for (const name of ['email', 'task']) channels.register(new LogChannel(store, name));
  const dispatcher = new Dispatcher(store, channels, { workerId: 'bench', batchSize: 500, kyselyQueue });
  let ticks = 0;
  let enrollMs = 0;
  const cpu0 = process.cpuUsage();
  const total = await timed(async () => {
    const e = await timed(enroll);
    enrollMs = e.ms;
    let t = START;
    for (;;) {
      await dispatcher.drain(t);
      ticks++;
      const next = await store.db
        .selectFrom('touches')
        .select((eb) => eb.fn.min('due_at').as('t'))
        .where('status', '=', 'planned')
        .executeTakeFirst();
      if (next?.t === null || next?.t === undefined) break;
      t = Math.max(t + 1, Number(next.t));
    }
  });
  const cpu = process.cpuUsage(cpu0);
  const sent = await count(store, 'sent');
  const skipped = await count(store, 'skipped');
  const deferred = store.sqlite!.prepare('SELECT sum(deferrals) AS n FROM touches').get() as { n: number };
  await store.close();
  removeDb(file);
  return {
    touches: sent,
    ms: total.ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    detail:
      `${sent} sent, ${skipped} skipped, ${deferred.n} deferrals by caps, ${ticks} simulated instants; ` +
      `enrollment ${(enrollMs / 1000).toFixed(1)} s, dispatch ${((total.ms - enrollMs) / 1000).toFixed(1)} s`,
  };
}

/**
 * The floor under the dispatcher on Baton's schema: per batch of 500, the statements the fast path runs for
 * a touch — claim, the contact, enrollment and caps-history reads, planned → sent, the log row, the `sent`
 * event, the next step's touch — with no decision, planning or channel code between them, one transaction per
 * batch. Every touch is sent; each next step is due a day later. What the dispatcher adds is the ratio of
 * the end-to-end figure to this one; what the schema costs is this one's ratio to the bare updates.
 */
async function floorRun(contacts: number): Promise<{ touches: number; ms: number; cpuMs: number }> {
  const { store, file, enroll } = await setUp(contacts, 'dispatch-floor');
  await enroll();
  const sqlite = store.sqlite!;
  const queue = sqliteQueue(sqlite);
  const db = store.db;
  const log = sqlite.prepare(
    `INSERT INTO channel_log (touch_id, workspace_id, channel, contact_id, payload, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (touch_id) DO NOTHING`,
  );
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const total = await timed(async () => {
    for (let now = START; ; now += DAY) {
      let claimed = 0;
      for (;;) {
        sqlite.exec('BEGIN IMMEDIATE');
        const touches = await queue.claimDue(db, now, 500);
        const byWorkspace = new Map<string, Set<string>>();
        for (const t of touches) {
          let set = byWorkspace.get(t.workspace_id);
          if (!set) byWorkspace.set(t.workspace_id, (set = new Set()));
          set.add(t.contact_id);
        }
        await queue.lockContacts(db, [...new Set(touches.map((t) => t.contact_id))].sort());
        await queue.loadEnrollments(db, [...new Set(touches.map((t) => t.enrollment_id))]);
        await queue.loadHistory(db, byWorkspace, now - 8 * DAY);
        for (const t of touches) {
          log.run(t.id, t.workspace_id, t.channel, t.contact_id, `{"campaign":"${t.campaign_id}"}`, now);
        }
        await queue.claimAndMarkSent(
          db,
          touches.map((t) => t.id),
          'floor',
          now,
        );
        await queue.insertEvents(
          db,
          touches.map((t) => ({
            id: newId('evt', now),
            workspace_id: t.workspace_id,
            message_id: `touch:${t.id}:sent`,
            type: 'sent',
            contact_id: t.contact_id,
            occurred_at: now,
            received_at: now,
            properties: '{}',
            campaign_id: t.campaign_id,
            touch_id: t.id,
            step_id: t.step_id,
            variant_id: t.variant_id,
            channel: t.channel,
          })),
        );
        await queue.insertTouches(
          db,
          touches
            .filter((t) => t.step_index < 4)
            .map((t) => ({
              id: newId('tch', now),
              workspace_id: t.workspace_id,
              enrollment_id: t.enrollment_id,
              campaign_id: t.campaign_id,
              contact_id: t.contact_id,
              step_id: `s${t.step_index + 2}`,
              step_index: t.step_index + 1,
              channel: t.channel,
              priority: t.priority,
              status: 'planned',
              due_at: now + DAY,
              attempts: 0,
              deferrals: 0,
              planned_at: now,
              details: '{}',
            })),
        );
        sqlite.exec('COMMIT');
        claimed += touches.length;
        sent += touches.length;
        if (touches.length === 0) break;
      }
      if (claimed === 0) break;
    }
  });
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  removeDb(file);
  return { touches: sent, ms: total.ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** The same number of single-row updates, 500 per transaction, on a bare better-sqlite3 table. */
function baseline(rows: number): { ms: number; cpuMs: number } {
  const file = join(here, 'out', 'dispatch-baseline.db');
  rmSync(file, { force: true });
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, status TEXT NOT NULL, n INTEGER NOT NULL)');
  const ins = db.prepare("INSERT INTO t VALUES (?, 'planned', 0)");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(`tch_${String(i).padStart(8, '0')}`);
  })();
  const upd = db.prepare("UPDATE t SET status = 'sent', n = n + 1 WHERE id = ?");
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) upd.run(`tch_${String(i).padStart(8, '0')}`);
  });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rows; i += 500) batch(i, Math.min(rows, i + 500));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export async function run(args: string[]): Promise<void> {
  const contacts = arg(args, '--contacts', 200_000);
  console.log(`dispatch: ${contacts.toLocaleString('en-US')} contacts × 5 steps, 2 campaigns, SQLite`);
  const kyselyQueue = args.includes('--kysely');
  if (kyselyQueue) console.log('through the Kysely queue (not the SQLite prepared-statement queue)');
  const r = await sqliteRun(contacts, kyselyQueue);
  console.log(r.detail);
  const b = baseline(r.touches);
  report(
    { label: 'touches performed end to end', value: (r.touches / r.ms) * 1000, unit: 'touches/s' },
    { label: 'bare better-sqlite3 single-row updates', value: (r.touches / b.ms) * 1000, unit: 'rows/s' },
  );
  const perCpu = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en-US');
  console.log(
    `per CPU second: ${perCpu(r.touches, r.cpuMs)} touches, baseline ${perCpu(r.touches, b.cpuMs)} rows ` +
      `(CPU ratio ${((b.cpuMs / r.cpuMs) * 100).toFixed(1)}%)`,
  );
  const f = await floorRun(contacts);
  const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en-US');
  console.log(
    `floor (the fast path's statements per touch, no decisions): ${rate(f.touches, f.ms)} touches/s, ` +
      `${rate(f.touches, f.cpuMs)} per CPU second — ${((f.touches / f.ms / (r.touches / b.ms)) * 100).toFixed(1)}% ` +
      `of the bare updates (CPU ${((b.cpuMs / r.touches / (f.cpuMs / f.touches)) * 100).toFixed(1)}%); ` +
      `end to end is ${((r.touches / r.ms / (f.touches / f.ms)) * 100).toFixed(0)}% of the floor`,
  );
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (args.includes('--pg')) {
    const n = arg(args, '--pg-touches', 20_000);
    for (const workers of [1, 2, 4]) {
      const { rate } = await dispatchOnPg(n, workers);
      console.log(
        `PostgreSQL, ${workers} worker process${workers > 1 ? 'es' : ''}: ${Math.round(rate).toLocaleString('en-US')} touches/s (${n} log touches)`,
      );
    }
  }
}
