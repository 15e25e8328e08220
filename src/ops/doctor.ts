// `baton doctor`: checks what a deployment gets wrong most often and says plainly what to do: the
// configuration, the database (reachable, version), migrations, clock skew between this host and the
// database (workers decide "due" by their own clock, the database stores it), and SMTP reachability of the
// relay and of every sender's own server. It opens the store without migrating it.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { parseSmtpUrl } from '../channels/email.channel.js';
import { loadConfig, type Config } from '../config/config.js';
import { realClock, type Clock } from '../engine/clock.js';
import { openStore, type Store } from '../store/db.js';
import { missingEventPartitions, partitionName } from '../store/event-partitions.js';
import { pendingMigrations } from '../store/migrate.js';
import { readSecretKeys, unseal } from '../store/secret-box.js';

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warning' | 'error';
  detail: string;
}

export interface DoctorOptions {
  env?: Record<string, string | undefined>;
  clock?: Clock;
  smtpTimeoutMs?: number;
  /** Clock skew above this is an error (default 2 s); above a quarter of it, a warning. */
  maxSkewMs?: number;
}

const MIN_PG_MAJOR = 13;

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  let config: Config;
  try {
    config = loadConfig(options.env ?? process.env);
    out.push({ name: 'config', status: 'ok', detail: `BATON_DB is ${redact(config.BATON_DB)}` });
  } catch (e) {
    out.push({ name: 'config', status: 'error', detail: (e as Error).message });
    return out;
  }
  if (!config.BATON_PUBLIC_URL) {
    out.push({
      name: 'public url',
      status: 'warning',
      detail: `BATON_PUBLIC_URL is not set: links in messages point to http://localhost:${config.BATON_PORT}`,
    });
  }
  const file = config.BATON_DB.startsWith('sqlite:') ? config.BATON_DB.slice('sqlite:'.length) : null;
  if (file !== null && file !== ':memory:' && !existsSync(file)) {
    out.push({
      name: 'database',
      status: 'error',
      detail: `there is no SQLite database at ${file}: check BATON_DB, or create it with \`baton migrate\``,
    });
    return out;
  }
  const store = openStore(config.BATON_DB, { poolSize: 2 });
  try {
    const db = await checkDatabase(store);
    out.push(db);
    if (db.status === 'error') return out;
    const pending = await pendingMigrations(store);
    out.push(
      pending.length === 0
        ? { name: 'migrations', status: 'ok', detail: 'all applied' }
        : {
            name: 'migrations',
            status: 'error',
            detail: `${pending.length} pending: run \`baton migrate\` before starting processes (${pending.join(', ')})`,
          },
    );
    out.push(await checkSkew(store, options.clock ?? realClock, options.maxSkewMs ?? 2000));
    if (store.dialect === 'postgres' && pending.length === 0) {
      out.push(await checkPartitions(store, (options.clock ?? realClock).now()));
    }
    const smtp = await smtpUrls(store, config, pending.length === 0);
    for (const url of smtp.urls) {
      out.push(await checkSmtp(url, options.smtpTimeoutMs ?? 5000));
    }
    if (smtp.sealedErrors.length > 0) {
      out.push({ name: 'smtp credentials', status: 'error', detail: smtp.sealedErrors[0]! });
    }
  } finally {
    await store.close();
  }
  return out;
}

async function checkDatabase(store: Store): Promise<DoctorCheck> {
  try {
    if (store.dialect === 'sqlite') {
      const r = await sql<{ v: string }>`SELECT sqlite_version() AS v`.execute(store.db);
      return { name: 'database', status: 'ok', detail: `SQLite ${r.rows[0]?.v ?? '?'} (one process only)` };
    }
    const r = await sql<{ v: string }>`SHOW server_version`.execute(store.db);
    const version = (r.rows[0] as unknown as { server_version?: string })?.server_version ?? '?';
    const major = Number(/^(\d+)/.exec(version)?.[1]);
    if (!(major >= MIN_PG_MAJOR)) {
      return {
        name: 'database',
        status: 'error',
        detail: `PostgreSQL ${version}: Baton needs ${MIN_PG_MAJOR} or newer`,
      };
    }
    return { name: 'database', status: 'ok', detail: `PostgreSQL ${version}` };
  } catch (e) {
    return {
      name: 'database',
      status: 'error',
      detail: `cannot reach ${redact(store.url)}: ${(e as Error).message}`,
    };
  }
}

async function checkSkew(store: Store, clock: Clock, maxSkewMs: number): Promise<DoctorCheck> {
  if (store.dialect === 'sqlite')
    return { name: 'clock', status: 'ok', detail: 'SQLite: same host, same clock' };
  const t0 = performance.now();
  const before = clock.now();
  const r = await sql<{
    t: number;
  }>`SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS t`.execute(store.db);
  const rtt = performance.now() - t0;
  const dbNow = Number(r.rows[0]?.t);
  const skew = Math.round(dbNow - (before + rtt / 2));
  const text = `database clock is ${Math.abs(skew)} ms ${skew >= 0 ? 'ahead of' : 'behind'} this host (round trip ${Math.round(rtt)} ms)`;
  if (Math.abs(skew) > maxSkewMs) {
    return {
      name: 'clock',
      status: 'error',
      detail: `${text}: synchronise both with NTP (limit ${maxSkewMs} ms)`,
    };
  }
  if (Math.abs(skew) > maxSkewMs / 4) return { name: 'clock', status: 'warning', detail: text };
  return { name: 'clock', status: 'ok', detail: text };
}

/** Months of `events` from this one on without their partition (their events would go to the default one). */
async function checkPartitions(store: Store, now: number): Promise<DoctorCheck> {
  const missing = await missingEventPartitions(store.db, now);
  if (missing.length === 0)
    return { name: 'event partitions', status: 'ok', detail: 'this month and the next 3 exist' };
  return {
    name: 'event partitions',
    status: 'warning',
    detail:
      `missing ${missing.map(partitionName).join(', ')}: their events go to events_default until a worker ` +
      'creates them (hourly) or `baton migrate` runs; check that a worker is running',
  };
}

/** The relay and every sender's SMTP URL (stored sealed: opened with the configured secrets). */
async function smtpUrls(
  store: Store,
  config: Config,
  migrated: boolean,
): Promise<{ urls: string[]; sealedErrors: string[] }> {
  const urls = new Set<string>();
  const sealedErrors: string[] = [];
  if (config.BATON_SMTP_URL) urls.add(config.BATON_SMTP_URL);
  if (migrated) {
    const rows = await store.db
      .selectFrom('email_senders')
      .select('smtp_url')
      .distinct()
      .where('smtp_url', 'is not', null)
      .execute();
    const keys = await readSecretKeys(store, config);
    for (const r of rows) {
      if (!r.smtp_url) continue;
      try {
        urls.add(keys ? unseal(keys, r.smtp_url, 'email_senders.smtp_url') : r.smtp_url);
      } catch (e) {
        sealedErrors.push((e as Error).message);
      }
    }
  }
  return { urls: [...urls], sealedErrors };
}

async function checkSmtp(url: string, timeoutMs: number): Promise<DoctorCheck> {
  const name = `smtp ${redact(url)}`;
  let transport: ReturnType<typeof nodemailer.createTransport> | undefined;
  try {
    transport = nodemailer.createTransport({
      ...parseSmtpUrl(url),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    await transport.verify();
    return { name, status: 'ok', detail: 'answers and accepts the login' };
  } catch (e) {
    return { name, status: 'error', detail: `cannot use it: ${(e as Error).message}` };
  } finally {
    transport?.close();
  }
}

/** A URL without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
