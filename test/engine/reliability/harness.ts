// Shared pieces of the reliability tests: a fresh PostgreSQL database per test, bulk seeding of contacts
// and campaigns that run on the real clock, real `baton worker` processes, and waiting for the queue to
// drain. The workers are the CLI itself (src/cli/main.ts under tsx), exactly as an operator runs them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { campaignSchema, type CampaignInput } from '../../../src/domain/campaign.js';
import { workspaceSettings } from '../../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../../src/engine/campaign-runtime.js';
import { enrollContacts, type EnrollContact } from '../../../src/engine/enroller.js';
import { CampaignsRepository } from '../../../src/store/campaigns.repository.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { WorkspacesRepository } from '../../../src/store/workspaces.repository.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
export const ADMIN_URL = process.env.BATON_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DAY = 86_400_000;

/** A new, migrated database on the server behind `adminUrl`; `drop` removes it. */
export async function freshDatabase(adminUrl = ADMIN_URL): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `baton_rel_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const store = openStore(url);
  await migrateToLatest(store);
  await store.close();
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `YYYY-MM-DDTHH:MM` in UTC, as campaign windows are written. */
export function windowTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export interface Seeded {
  workspaceId: string;
  contacts: EnrollContact[];
}

/** A workspace with these settings and `n` reachable contacts in UTC. */
export async function seedContacts(
  store: Store,
  n: number,
  settings: Record<string, unknown>,
  now: number,
): Promise<Seeded> {
  const wsRepo = new WorkspacesRepository(store);
  const ws = await wsRepo.ensure(`rel-${randomBytes(4).toString('hex')}`, now);
  await wsRepo.updateSettings(ws.id, settings);
  const contacts: EnrollContact[] = [];
  for (let i = 0; i < n; i += 1000) {
    const rows = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const id = `ct_${String(j).padStart(7, '0')}`;
      contacts.push({ id, account_id: null, time_zone: 'UTC' });
      rows.push({
        id,
        workspace_id: ws.id,
        email: `p${j}@example.test`,
        time_zone: 'UTC',
        subscription_status: 'subscribed',
        sms_consent: 0,
        attributes: '{}',
        created_at: now,
        updated_at: now,
      });
    }
    await store.db.insertInto('contacts').values(rows).execute();
  }
  return { workspaceId: ws.id, contacts };
}

/** Creates the campaign as running (launched `now`) and enrolls the contacts; returns touches planned. */
export async function runningCampaign(
  store: Store,
  seeded: Seeded,
  input: CampaignInput,
  settings: Record<string, unknown>,
  now: number,
): Promise<number> {
  const spec = campaignSchema.parse(input);
  const repo = new CampaignsRepository(store);
  await repo.insert(seeded.workspaceId, spec, now);
  await repo.setStatus(seeded.workspaceId, spec.id, 'draft', 'running', now, { launchedAt: now });
  const rt = buildRuntime(seeded.workspaceId, spec, 1, workspaceSettings(settings));
  const r = await enrollContacts(store, rt, seeded.contacts, now);
  return r.touchesPlanned;
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** One real `baton worker` process on `url`. */
export function startWorker(url: string, id: string, args: string[] = []): WorkerProcess {
  return startBaton(url, ['worker', '--id', id, ...args]);
}

/** One real `baton COMMAND …` process on `url` (the CLI under tsx), with extra environment if given. */
export function startBaton(url: string, argv: string[], env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env, BATON_DB: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Stops workers gracefully (SIGTERM), or kills them after a few seconds. */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return;
      w.child.kill('SIGTERM');
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 8000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Touches due now or in flight (the queue is drained when this stays 0). */
export async function outstanding(store: Store, now: number): Promise<number> {
  const r = await store.db
    .selectFrom('touches')
    .select((eb) => eb.fn.countAll().as('n'))
    .where((eb) =>
      eb.or([eb('status', '=', 'claimed'), eb.and([eb('status', '=', 'planned'), eb('due_at', '<=', now)])]),
    )
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Polls until nothing is due or in flight twice in a row (or throws after `timeoutMs`). */
export async function waitDrained(
  store: Store,
  timeoutMs: number,
  describe: () => string,
  every = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    let n: number;
    try {
      n = await outstanding(store, Date.now());
    } catch {
      n = -1; // the database may be restarting
    }
    quiet = n === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    await sleep(every);
  }
  throw new Error(`the queue did not drain in ${timeoutMs} ms\n${describe()}`);
}

export async function countWhere(store: Store, status: string): Promise<number> {
  const r = await store.db
    .selectFrom('touches')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Resolves once the worker has started (printed its banner), so start-up is not counted as work time. */
export async function waitRunning(w: WorkerProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/baton worker .* running on/.test(w.output())) {
    if (w.child.exitCode !== null) throw new Error(`worker exited early:\n${w.output()}`);
    if (Date.now() > deadline) throw new Error(`worker did not start in ${timeoutMs} ms:\n${w.output()}`);
    await sleep(200);
  }
}

/**
 * Counts every send attempt the `log` channel makes (a BEFORE INSERT trigger on channel_log fires even
 * when ON CONFLICT DO NOTHING then drops the row), so touches performed twice can be counted. Each attempt
 * keeps its order and the worker that held the touch's claim when it sent (`touches.claimed_by`).
 */
export async function countSendAttempts(store: Store): Promise<void> {
  const { sql } = await import('kysely');
  await sql`create table send_attempts (n bigserial primary key, touch_id text not null, worker text)`.execute(
    store.db,
  );
  await sql`create function count_send_attempt() returns trigger language plpgsql as $$
    begin
      insert into send_attempts (touch_id, worker)
        values (new.touch_id, (select claimed_by from touches where id = new.touch_id));
      return new;
    end $$`.execute(store.db);
  await sql`create trigger count_send_attempt before insert on channel_log
    for each row execute function count_send_attempt()`.execute(store.db);
}

/** Send attempts in total, and touches with more than one attempt. */
export async function sendAttempts(store: Store): Promise<{ attempts: number; touches: number }> {
  const { sql } = await import('kysely');
  const r = await sql<{ attempts: number; touches: number }>`
    select count(*)::int as attempts, count(distinct touch_id)::int as touches from send_attempts`.execute(
    store.db,
  );
  return r.rows[0]!;
}

/**
 * Repeated sends by the worker that made them: every attempt at a touch but its last one (a send whose
 * outcome was never recorded, so the touch was sent again), counted for the worker that made it.
 */
export async function repeatedSendsByWorker(store: Store): Promise<Record<string, number>> {
  const { sql } = await import('kysely');
  const r = await sql<{ worker: string | null; n: number }>`
    select worker, count(*)::int as n
    from (select worker, n, max(n) over (partition by touch_id) as last from send_attempts) a
    where n < last group by worker`.execute(store.db);
  return Object.fromEntries(r.rows.map((row) => [String(row.worker), row.n]));
}

/** `n` people × a sequence of `steps` `log` touches due at once (no caps apply to `log`): n × steps touches. */
export async function seedLogRun(store: Store, n: number, steps: number, now: number): Promise<number> {
  const settings = {
    send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
    time_zone: 'UTC',
  };
  const seeded = await seedContacts(store, n, settings, now);
  const window = { start: windowTime(now - 3_600_000), end: windowTime(now + 30 * DAY), timezone: 'UTC' };
  return runningCampaign(
    store,
    seeded,
    {
      id: 'run',
      name: 'run',
      objective: 'leads',
      window,
      channels: ['log'],
      sequence: Array.from({ length: steps }, (_, i) => ({
        id: `s${i}`,
        channel: 'log' as const,
        delay: '0m',
      })),
    },
    settings,
    now,
  );
}
