// `npm run bench -- ingest [EVENTS] [CLIENTS] [--pg]`: Segment track events (default 1,000,000 on SQLite,
// 100,000 on PostgreSQL) posted as /v1/batch calls of 100 by 4 concurrent undici clients to a Baton server
// (buildApp + listen, in a child process so the server and the clients each get a core) on a fresh store;
// the count at the end proves no event was lost; p50/p99 latency per call. Baseline, same run:
// - SQLite: the same events inserted by one bare better-sqlite3 prepared statement in one transaction into
//   the same (freshly migrated) events table (and, for reference, into a bare table without indexes);
// - `--pg`: a fresh PostgreSQL database (the test server's, see test/engine/reliability/harness.ts) and the
//   same events inserted by one bare pg connection as multi-row INSERT statements of 100 rows (repeats
//   skipped by the message-id claim trigger) into a freshly migrated (partitioned) events table.
// Several `baton serve` processes on one PostgreSQL database: `npm run bench -- scale`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { buildApp } from '../src/api/app.js';
import { realClock } from '../src/engine/clock.js';
import { ApiKeysRepository } from '../src/store/api-keys.repository.js';
import { openStore } from '../src/store/db.js';
import { newId } from '../src/store/ids.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report } from './harness.js';
import {
  bareInsertEvents,
  benchUrl,
  freshDatabase,
  PER_CALL,
  percentile,
  postAll,
  trackEvent,
} from './pg-harness.js';

const SERVER_FLAG = '--ingest-bench-server';

/** The child: the Baton app on the SQLite file, listening on an ephemeral port it prints. */
async function serve(url: string): Promise<void> {
  const store = openStore(url);
  const app = await buildApp({
    store,
    clock: realClock,
    secret: 's'.repeat(40),
    publicUrl: 'http://localhost',
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`PORT ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.stdin.on('data', () => undefined);
  process.stdin.on('end', () => {
    void app.close().then(() => store.close().then(() => process.exit(0)));
  });
}

function startServer(url: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), SERVER_FLAG, url],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        resolve({
          port: Number(m[1]),
          stop: () =>
            new Promise<void>((done) => {
              child.on('exit', () => done());
              child.stdin.end();
            }),
        });
      }
    });
  });
}

/** Where one run stores: the baseline's and Baton's store URLs, and how to clean up. */
interface Stores {
  dialect: 'sqlite' | 'postgres';
  baseline: string;
  target: string;
  cleanup(): Promise<void>;
}

async function stores(pg: boolean): Promise<Stores> {
  if (pg) {
    const base = await freshDatabase();
    const target = await freshDatabase();
    return {
      dialect: 'postgres',
      baseline: base.url,
      target: target.url,
      cleanup: async () => {
        await base.drop();
        await target.drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'baton-ingest-bench-'));
  return {
    dialect: 'sqlite',
    baseline: `sqlite:${join(dir, 'baseline.db')}`,
    target: `sqlite:${join(dir, 'baton.db')}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * SQLite baseline: the same events, same table and indexes, one prepared statement, one transaction; and
 * the same rows into a bare table without indexes (what 'over a million rows/s' measures on a quiet
 * machine; the events table's unique message id and lookup indexes are what the gap costs).
 */
function sqliteBaseline(file: string, ws: string, total: number, t0: number): { ms: number; bareMs: number } {
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec(
    'CREATE TABLE bare_events (id TEXT, workspace_id TEXT, message_id TEXT, type TEXT, contact_id TEXT, ' +
      'occurred_at INTEGER, received_at INTEGER, properties TEXT)',
  );
  const insertAll = (sqlText: string): number => {
    const insert = raw.prepare(sqlText);
    const t = process.hrtime.bigint();
    raw.transaction(() => {
      for (let i = 0; i < total; i++) {
        const e = trackEvent(i, t0);
        insert.run(
          newId('evt', t0),
          ws,
          e.messageId,
          e.event,
          e.userId,
          t0 + i,
          t0,
          JSON.stringify(e.properties),
        );
      }
    })();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const ms = insertAll(
    'INSERT INTO events (id, workspace_id, message_id, type, contact_id, anonymous_id, occurred_at, received_at, properties) ' +
      'VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (workspace_id, message_id) DO NOTHING',
  );
  const bareMs = insertAll('INSERT INTO bare_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  raw.close();
  return { ms, bareMs };
}

export async function run(args: string[]): Promise<void> {
  const positional = args.filter((a) => !a.startsWith('--'));
  const onPg = args.includes('--pg');
  const total = Number(positional[0] ?? (onPg ? 100_000 : 1_000_000));
  const clients = Number(positional[1] ?? 4);
  const calls = Math.ceil(total / PER_CALL);
  const t0 = Date.parse('2027-01-04T00:00:00Z');
  const s = await stores(onPg);
  try {
    const baseStore = openStore(benchUrl(s.baseline));
    await migrateToLatest(baseStore);
    const baseWs = (await new WorkspacesRepository(baseStore).ensure('bench', t0)).id;
    await baseStore.close();
    const baseline =
      s.dialect === 'sqlite'
        ? sqliteBaseline(s.baseline.slice('sqlite:'.length), baseWs, total, t0)
        : { ...(await bareInsertEvents(s.baseline, baseWs, total, 1, t0)), bareMs: 0 };

    // Baton over HTTP.
    const store = openStore(benchUrl(s.target));
    await migrateToLatest(store);
    const ws = (await new WorkspacesRepository(store).ensure('bench', t0)).id;
    const { key } = await new ApiKeysRepository(store).create(ws, { kind: 'ingest', scopes: ['ingest'] }, t0);
    await store.close();
    const server = await startServer(s.target);
    const http = await postAll([server.port], key, total, clients, t0);
    await server.stop();

    const check = openStore(benchUrl(s.target));
    const countOf = async (table: 'events' | 'contacts'): Promise<number> =>
      Number(
        (
          await check.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', ws)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const counted = await countOf('events');
    const contacts = await countOf('contacts');
    await check.close();

    const rate = total / (http.ms / 1000);
    console.log(
      `${s.dialect === 'postgres' ? 'PostgreSQL: ' : ''}${total.toLocaleString('en-US')} track events, ${calls.toLocaleString('en-US')} /v1/batch calls of ${PER_CALL}, ${clients} clients`,
    );
    report(
      {
        label: `Baton /v1/batch over HTTP${s.dialect === 'postgres' ? ' on PostgreSQL' : ''}, stored`,
        value: rate,
        unit: 'events/s',
      },
      {
        label:
          s.dialect === 'postgres'
            ? `bare pg multi-row INSERT of ${PER_CALL} (claim trigger dedupes), one connection`
            : 'bare better-sqlite3 prepared insert, one transaction',
        value: total / (baseline.ms / 1000),
        unit: 'events/s',
      },
    );
    if (baseline.bareMs > 0) {
      const bareRate = total / (baseline.bareMs / 1000);
      console.log(
        `reference: bare table without indexes ${bareRate.toLocaleString('en-US', { maximumFractionDigits: 0 })} events/s; ` +
          `Baton at ${((rate / bareRate) * 100).toFixed(1)}% of it`,
      );
    }
    const l = http.latencies;
    console.log(
      `latency per call: p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, max ${(l[l.length - 1] ?? 0).toFixed(1)} ms`,
    );
    console.log(
      `stored (answers): ${http.stored.toLocaleString('en-US')}; counted in the table: ${counted.toLocaleString('en-US')}; failed calls: ${http.failed}; contacts created: ${contacts.toLocaleString('en-US')}`,
    );
    if (counted !== total || http.failed > 0) {
      console.log('EVENTS LOST');
      process.exitCode = 1;
    } else {
      console.log('no event lost');
    }
  } finally {
    await s.cleanup();
  }
}

if (process.argv[2] === SERVER_FLAG) {
  void serve(process.argv[3]!);
}
