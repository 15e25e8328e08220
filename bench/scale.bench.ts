// Scale-out on PostgreSQL, with real processes as an operator runs them.
//
// Dispatch: `--touches` `log` touches (default 200,000: 40,000 people × 5 immediate steps) on a fresh
// database per configuration, released at once to 1, 2 and 4 `baton worker` processes (batch 500);
// touches sent / time to drain. Baseline, same database and run, before the seeding: a bare SKIP LOCKED
// queue of as many rows, drained by as many `pg` connections (claim 500 with FOR UPDATE SKIP LOCKED, mark
// them sent, one transaction per batch): what the database alone does for the claim pattern on this
// machine. While the workers run: CPU of each worker and of the PostgreSQL backends serving them (from
// /proc), the backends' states (pg_stat_activity every 100 ms: on CPU, lock wait, idle in transaction,
// idle), and each worker's /metrics (claimed, sent, ticks, send time, CPU, event-loop lag; queue lag and
// depth from worker 1 every 5 s).
//
// Ingestion: `--events` Segment track events (default 100,000) posted as /v1/batch calls of 100 by
// `--clients` concurrent clients (default 4) spread round-robin over 1 and 2 `baton serve` processes on one
// fresh database; events/s and latency per call against the same events inserted by as many bare `pg`
// connections as multi-row INSERTs of 100 into a fresh (partitioned) events table.
//
//   npm run bench -- scale [--touches 200000] [--workers 1,2,4] [--events 40000] [--clients 4]
//                          [--serves 1,2] [--no-dispatch] [--no-ingest]
import pg from 'pg';
import { ApiKeysRepository } from '../src/store/api-keys.repository.js';
import { openStore } from '../src/store/db.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';
import {
  bareInsertEvents,
  benchUrl,
  dispatchOnPg,
  fmt,
  freshDatabase,
  load,
  measureUsage,
  metric,
  percentile,
  PER_CALL,
  postAll,
  printUsage,
  scrapeMetrics,
  startServe,
  stopWorkers,
  type DispatchRun,
} from './pg-harness.js';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
}

function list(args: string[], name: string, fallback: string): number[] {
  return arg(args, name, fallback)
    .split(',')
    .map((n) => Number(n));
}

const BATCH = 500;

/** Drains a bare SKIP LOCKED queue of `rows` rows with `clients` connections; ms. */
async function bareQueue(url: string, rows: number, clients: number): Promise<number> {
  const admin = new pg.Client({ connectionString: benchUrl(url) });
  await admin.connect();
  await admin.query(`create table bench_queue (id text primary key, contact_id text not null,
    status text not null, due_at bigint not null, priority integer not null, sent_at bigint)`);
  await admin.query(
    `insert into bench_queue select 'tch_' || lpad(g::text, 8, '0'), 'ct_' || lpad((g / 5)::text, 7, '0'),
       'planned', 0, 50, null from generate_series(0, $1::int - 1) g`,
    [rows],
  );
  await admin.query('create index on bench_queue (status, due_at)');
  await admin.query('analyze bench_queue');
  const conns = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client({ connectionString: benchUrl(url) });
      await c.connect();
      return c;
    }),
  );
  const drain = async (c: pg.Client): Promise<void> => {
    for (;;) {
      await c.query('begin');
      const now = Date.now();
      const claimed = await c.query<{ id: string }>(
        `select id, contact_id from bench_queue where status = 'planned' and due_at <= $1
         order by due_at, priority desc limit ${BATCH} for update skip locked`,
        [now],
      );
      if (claimed.rows.length > 0)
        await c.query(`update bench_queue set status = 'sent', sent_at = $1 where id = any($2)`, [
          now,
          claimed.rows.map((r) => r.id),
        ]);
      await c.query('commit');
      if (claimed.rows.length === 0) return;
    }
  };
  const t = await timed(() => Promise.all(conns.map(drain)));
  await Promise.all(conns.map((c) => c.end()));
  await admin.query('drop table bench_queue');
  await admin.end();
  return t.ms;
}

/** Cores the workers and their backends used together over the drain. */
function runCores(r: DispatchRun): number {
  if (!r.usage) return 0;
  return ((r.usage.cpu.get('workers') ?? 0) + (r.usage.cpu.get('postgres backends') ?? 0)) / r.usage.seconds;
}

function printDispatch(r: DispatchRun, baselineRate: number): void {
  console.log(
    `\nPostgreSQL, ${r.workers} worker process${r.workers > 1 ? 'es' : ''}, ${fmt(r.touches)} log touches, drained in ${(r.ms / 1000).toFixed(1)} s`,
  );
  report(
    { label: `  Baton, ${r.workers} × baton worker`, value: r.rate, unit: 'touches/s' },
    { label: `  bare SKIP LOCKED queue, ${r.workers} connection(s)`, value: baselineRate, unit: 'rows/s' },
  );
  if (r.usage) {
    printUsage(r.usage);
    const perTouch = (group: string): string =>
      (((r.usage!.cpu.get(group) ?? 0) / r.touches) * 1e6).toFixed(0);
    console.log(
      `  CPU per touch: workers ${perTouch('workers')} µs, postgres backends ${perTouch('postgres backends')} µs`,
    );
  }
  r.perWorker.forEach((w, i) =>
    console.log(
      `  worker ${i + 1} /metrics: claimed ${fmt(w.claimed)}, sent ${fmt(w.sent)}, ${fmt(w.ticks)} ticks, ` +
        `${fmt(w.batches)} batches sent in ${w.sendSeconds.toFixed(1)} s (log channel), process CPU ${w.cpuSeconds.toFixed(1)} s, ` +
        `event-loop lag p99 ${(w.eventLoopP99 * 1000).toFixed(0)} ms`,
    ),
  );
  // The gauges are cached for 15 s per process: print each reading once.
  const lag = r.lag.filter(
    (l, i) => i === 0 || l.lagS !== r.lag[i - 1]!.lagS || l.depth !== r.lag[i - 1]!.depth,
  );
  if (lag.length > 0)
    console.log(
      `  baton_queue_lag_seconds / baton_queue_depth (worker 1): max lag ${Math.max(...lag.map((l) => l.lagS)).toFixed(0)} s; ` +
        lag.map((l) => `at ${l.atS.toFixed(0)} s ${l.lagS.toFixed(0)} s / ${fmt(l.depth)}`).join(', '),
    );
}

async function dispatchPart(touches: number, workerCounts: number[]): Promise<void> {
  console.log(
    `scale / dispatch: ${fmt(touches)} log touches on fresh PostgreSQL databases, worker processes ${workerCounts.join(', ')}`,
  );
  const rows: Array<{ workers: number; rate: number; base: number; cores: number }> = [];
  for (const workers of workerCounts) {
    let baseMs = 0;
    const r = await dispatchOnPg(touches, workers, true, async (url) => {
      baseMs = await bareQueue(url, touches, workers);
    });
    const base = (touches / baseMs) * 1000;
    printDispatch(r, base);
    rows.push({ workers, rate: r.rate, base, cores: runCores(r) });
  }
  const one = rows.find((r) => r.workers === 1);
  if (one) {
    console.log('\nscaling (touches/s against 1 worker):');
    for (const r of rows)
      console.log(
        `  ${r.workers} worker(s): ${fmt(r.rate)} touches/s = ${(r.rate / one.rate).toFixed(2)}×; ` +
          `bare queue ${fmt(r.base)} rows/s = ${(r.base / one.base).toFixed(2)}×; ` +
          `CPU the run obtained (workers + backends) ${r.cores.toFixed(2)} cores = ${(r.cores / one.cores).toFixed(2)}×`,
      );
    const two = rows.find((r) => r.workers === 2);
    if (two)
      console.log(
        `  target: 2 workers ≥ 1.6× one worker: ${(two.rate / one.rate).toFixed(2)}× ${two.rate / one.rate >= 1.6 ? 'met' : 'NOT met'}`,
      );
  }
}

async function ingestOnce(
  events: number,
  clients: number,
  serves: number,
): Promise<{ rate: number; base: number }> {
  const t0 = Date.parse('2027-01-04T00:00:00Z');
  const base = await freshDatabase();
  const target = await freshDatabase();
  let procs: Awaited<ReturnType<typeof startServe>>[] = [];
  try {
    const baseStore = openStore(benchUrl(base.url));
    const baseWs = (await new WorkspacesRepository(baseStore).ensure('bench', t0)).id;
    await baseStore.close();
    const baseline = await bareInsertEvents(base.url, baseWs, events, clients, t0);

    const store = openStore(benchUrl(target.url));
    const ws = (await new WorkspacesRepository(store).ensure('bench', t0)).id;
    const { key } = await new ApiKeysRepository(store).create(ws, { kind: 'ingest', scopes: ['ingest'] }, t0);
    procs = await Promise.all(Array.from({ length: serves }, () => startServe(target.url)));
    const { value: http, usage } = await measureUsage(
      target.url,
      { serve: procs.map((p) => p.proc.child.pid!) },
      () =>
        postAll(
          procs.map((p) => p.port),
          key,
          events,
          clients,
          t0,
        ),
    );
    const scrapes = await Promise.all(procs.map((p) => scrapeMetrics(p.port)));
    await stopWorkers(procs.map((p) => p.proc));
    const counted = Number(
      (
        await store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).n,
    );
    await store.close();

    const rate = events / (http.ms / 1000);
    const baseRate = events / (baseline.ms / 1000);
    console.log(
      `\nPostgreSQL, ${serves} baton serve process${serves > 1 ? 'es' : ''}, ${clients} clients, ${fmt(events)} track events in ${fmt(Math.ceil(events / PER_CALL))} /v1/batch calls of ${PER_CALL}`,
    );
    report(
      { label: `  Baton /v1/batch, ${serves} × baton serve, stored`, value: rate, unit: 'events/s' },
      {
        label: `  bare pg multi-row INSERT of ${PER_CALL}, ${clients} connections`,
        value: baseRate,
        unit: 'events/s',
      },
    );
    const l = http.latencies;
    const b = baseline.latencies;
    console.log(
      `  latency per call: p50 ${percentile(l, 50).toFixed(0)} ms, p95 ${percentile(l, 95).toFixed(0)} ms, p99 ${percentile(l, 99).toFixed(0)} ms ` +
        `(baseline per statement: p50 ${percentile(b, 50).toFixed(0)}, p95 ${percentile(b, 95).toFixed(0)}, p99 ${percentile(b, 99).toFixed(0)} ms)`,
    );
    printUsage(usage);
    console.log(
      `  /metrics baton_events_ingested_total per serve: ${scrapes.map((s) => fmt(metric(s, 'baton_events_ingested_total'))).join(', ')}; ` +
        `counted in the table ${fmt(counted)}; failed calls ${http.failed}${counted === events && http.failed === 0 ? '; no event lost' : '; EVENTS LOST'}`,
    );
    if (counted !== events || http.failed > 0) process.exitCode = 1;
    return { rate, base: baseRate };
  } finally {
    await stopWorkers(procs.map((p) => p.proc));
    await base.drop();
    await target.drop();
  }
}

async function ingestPart(events: number, clients: number, serveCounts: number[]): Promise<void> {
  console.log(
    `\nscale / ingestion: ${fmt(events)} events, ${clients} clients, serve processes ${serveCounts.join(', ')}`,
  );
  const rows: Array<{ serves: number; rate: number; base: number }> = [];
  for (const serves of serveCounts) rows.push({ serves, ...(await ingestOnce(events, clients, serves)) });
  const one = rows[0]!;
  if (rows.length > 1) {
    console.log(`\nscaling (events/s against ${one.serves} serve process${one.serves > 1 ? 'es' : ''}):`);
    for (const r of rows)
      console.log(
        `  ${r.serves} serve: ${fmt(r.rate)} events/s = ${(r.rate / one.rate).toFixed(2)}×; baseline ${fmt(r.base)} events/s`,
      );
  }
}

export async function run(args: string[]): Promise<void> {
  console.log(`load average at start: ${load()} (1 / 5 / 15 min), ${new Date().toISOString()}`);
  if (!args.includes('--no-dispatch'))
    await dispatchPart(Number(arg(args, '--touches', '200000')), list(args, '--workers', '1,2,4'));
  if (!args.includes('--no-ingest'))
    await ingestPart(
      Number(arg(args, '--events', '100000')),
      Number(arg(args, '--clients', '4')),
      list(args, '--serves', '1,2'),
    );
  console.log(`\nload average at end: ${load()}, ${new Date().toISOString()}`);
}
