// Shared pieces of the PostgreSQL benchmarks (dispatch --pg, ingest --pg, scale): real `baton worker` and
// `baton serve` processes on a fresh database, what they did (their /metrics), what they cost (CPU of each
// process and of the PostgreSQL backends serving them, from /proc), and what the backends were waiting on
// (pg_stat_activity). Linux only (/proc); the PostgreSQL server must run on this machine for the backend CPU.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import pg from 'pg';
import { Pool } from 'undici';
import { openStore, type Store } from '../src/store/db.js';
import { newId } from '../src/store/ids.js';
import {
  freshDatabase,
  seedLogRun,
  sleep,
  startBaton,
  stopWorkers,
  waitDrained,
  type WorkerProcess,
} from '../test/engine/reliability/harness.js';
import { timed } from './harness.js';

/** Connections the benchmark itself opens carry this name, so they are left out of the backends measured. */
export const BENCH_APP = 'baton-bench';
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export { freshDatabase, sleep, stopWorkers };

/** The database URL with the benchmark's application_name (its own connections, not measured). */
export function benchUrl(url: string): string {
  if (!url.startsWith('postgres')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}application_name=${BENCH_APP}`;
}

export function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
}

/** utime + stime of a process in clock ticks, or null once it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Nanoseconds a process spent runnable but waiting for a CPU (the scheduler's run queue), or null. */
function runQueueNs(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return null;
  }
}

/** Microseconds during which at least one task waited for a CPU (pressure stall information), or null. */
function cpuPressureUs(): number | null {
  try {
    const m = /^some .* total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** Where a backend was when sampled. */
function backendState(row: {
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
}) {
  if (row.state === 'active') {
    if (!row.wait_event_type) return 'active, on CPU';
    if (row.wait_event_type === 'Lock') return `lock wait (${row.wait_event})`;
    return `active, waiting ${row.wait_event_type}:${row.wait_event}`;
  }
  if (row.state === 'idle in transaction')
    return 'idle in transaction (the process works inside its transaction)';
  return `${row.state ?? 'unknown'} (waiting for the process)`;
}

export interface Usage {
  seconds: number;
  /** CPU seconds per group of processes ('workers', 'serve', 'postgres backends', …). */
  cpu: Map<string, number>;
  /** CPU seconds of each process of a group, in the order given. */
  perProcess: Map<string, number[]>;
  /** Busy CPU seconds of the whole machine (every process of every user). */
  machineBusy: number;
  /** Seconds each group's processes spent runnable, waiting for a CPU (summed over processes). */
  runQueue: Map<string, number>;
  /** Share of the wall time during which some task waited for a CPU (/proc/pressure/cpu), or null. */
  cpuPressure: number | null;
  /** Share of backend samples in each state, and backends seen per sample. */
  backendStates: Map<string, number>;
  backendsPerSample: number;
  loadBefore: string;
  loadAfter: string;
}

/**
 * Samples, while `work` runs: the CPU of the given processes, of every PostgreSQL backend of the database
 * (other than the benchmark's own connections), of the machine; and the state of those backends
 * (pg_stat_activity every 100 ms: on CPU, waiting for a lock, idle in transaction, idle).
 */
export async function measureUsage<T>(
  url: string,
  processes: Record<string, number[]>,
  work: () => Promise<T>,
): Promise<{ value: T; usage: Usage }> {
  const monitor = new pg.Client({ connectionString: benchUrl(url) });
  await monitor.connect();
  const db = databaseName(url);
  const last = new Map<number, number>();
  const cpu = new Map<string, number>();
  const perPid = new Map<number, number>();
  const lastWait = new Map<number, number>();
  const waited = new Map<string, number>();
  const groups: Record<string, number[]> = { ...processes, 'postgres backends': [] };
  const states = new Map<string, number>();
  let samples = 0;
  let backendSamples = 0;
  const backends = async (): Promise<Array<Record<string, string | null> & { pid: number }>> =>
    (
      await monitor.query(
        `select pid, state, wait_event_type, wait_event from pg_stat_activity
         where datname = $1 and backend_type = 'client backend' and application_name <> $2`,
        [db, BENCH_APP],
      )
    ).rows;
  const readCpu = (initial: boolean): void => {
    for (const [group, pids] of Object.entries(groups)) {
      for (const pid of pids) {
        const now = cpuTicks(pid);
        if (now === null) continue;
        // A backend first seen after the start was opened during the run: all its CPU is the run's.
        const before = last.get(pid) ?? (initial ? now : 0);
        last.set(pid, now);
        cpu.set(group, (cpu.get(group) ?? 0) + (now - before));
        perPid.set(pid, (perPid.get(pid) ?? 0) + (now - before));
        const w = runQueueNs(pid);
        if (w !== null) {
          const wBefore = lastWait.get(pid) ?? (initial ? w : 0);
          lastWait.set(pid, w);
          waited.set(group, (waited.get(group) ?? 0) + (w - wBefore) / 1e9);
        }
      }
    }
  };
  groups['postgres backends'] = (await backends()).map((r) => r.pid);
  readCpu(true);
  const m0 = machineTicks();
  const p0 = cpuPressureUs();
  const loadBefore = load();
  const t0 = performance.now();
  let running = true;
  const sampler = (async () => {
    let n = 0;
    while (running) {
      try {
        const rows = await backends();
        const known = new Set(groups['postgres backends']);
        for (const r of rows) if (!known.has(r.pid)) groups['postgres backends']!.push(r.pid);
        samples++;
        backendSamples += rows.length;
        for (const r of rows) {
          const s = backendState(r as never);
          states.set(s, (states.get(s) ?? 0) + 1);
        }
        if (++n % 10 === 0) readCpu(false);
      } catch {
        // the database may be busy or gone at the end; the next sample tries again
      }
      await sleep(100);
    }
  })();
  let value: T;
  try {
    value = await work();
  } finally {
    running = false;
    await sampler;
    readCpu(false);
    await monitor.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  const m1 = machineTicks();
  const p1 = cpuPressureUs();
  const machineBusy = (m1.busy - m0.busy) / TICKS_PER_SECOND;
  const cpuSeconds = new Map([...cpu].map(([k, v]) => [k, v / TICKS_PER_SECOND]));
  const perProcess = new Map(
    Object.entries(processes).map(([g, pids]) => [
      g,
      pids.map((p) => (perPid.get(p) ?? 0) / TICKS_PER_SECOND),
    ]),
  );
  const shares = new Map([...states].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / backendSamples]));
  return {
    value,
    usage: {
      seconds,
      cpu: cpuSeconds,
      perProcess,
      machineBusy,
      runQueue: waited,
      cpuPressure: p0 !== null && p1 !== null ? (p1 - p0) / 1e6 / seconds : null,
      backendStates: shares,
      backendsPerSample: samples ? backendSamples / samples : 0,
      loadBefore,
      loadAfter: load(),
    },
  };
}

/** Prints where the CPU went and what the backends waited on, per second of wall time (cores used). */
export function printUsage(u: Usage): void {
  const cores = (s: number): string => `${(s / u.seconds).toFixed(2)} cores`;
  const parts = [...u.cpu].map(([g, s]) => `${g} ${cores(s)}`);
  const mine = [...u.cpu.values()].reduce((a, b) => a + b, 0);
  console.log(
    `  CPU over ${u.seconds.toFixed(1)} s: ${parts.join(', ')}; whole machine ${cores(u.machineBusy)} ` +
      `(others ${cores(Math.max(0, u.machineBusy - mine))}); load ${u.loadBefore} → ${u.loadAfter}`,
  );
  console.log(
    `  runnable but waiting for a CPU (run queue, summed over each group's processes): ` +
      [...u.runQueue]
        .map(([g, s]) => `${g} ${((s / u.seconds) * 100).toFixed(0)}% of the wall time`)
        .join(', ') +
      (u.cpuPressure === null
        ? ''
        : `; some task of the machine waited for a CPU ${(u.cpuPressure * 100).toFixed(0)}% of the time`),
  );
  for (const [g, list] of u.perProcess)
    if (list.length > 1) console.log(`  ${g}, each: ${list.map((s) => cores(s)).join(', ')}`);
  console.log(
    `  backends (${u.backendsPerSample.toFixed(1)} per sample): ` +
      [...u.backendStates]
        .filter(([, share]) => share >= 0.01)
        .map(([s, share]) => `${(share * 100).toFixed(0)}% ${s}`)
        .join('; ') +
      `; other waits ${(
        [...u.backendStates].filter(([, share]) => share < 0.01).reduce((a, [, b]) => a + b, 0) * 100
      ).toFixed(0)}%`,
  );
}

/** A Prometheus text exposition as series → value (`name{labels}` as written). */
export type Scrape = Map<string, number>;

export async function scrapeMetrics(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum of every series of `name` whose labels contain each `key="value"` given. */
export function metric(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, value] of scrape) {
    const brace = series.indexOf('{');
    if ((brace < 0 ? series : series.slice(0, brace)) !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

/** Resolves with the first match of `pattern` in the process's output (or throws if it exits first). */
export async function waitForOutput(
  p: WorkerProcess,
  pattern: RegExp,
  timeoutMs = 120_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(p.output());
    if (m) return m;
    if (p.child.exitCode !== null) throw new Error(`process exited early:\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} in ${timeoutMs} ms:\n${p.output()}`);
    await sleep(200);
  }
}

/** A `baton worker` with its ops endpoints on an ephemeral port; resolves once it runs. */
export async function startWorkerWithOps(
  url: string,
  id: string,
  args: string[] = [],
): Promise<{ proc: WorkerProcess; opsPort: number }> {
  const proc = startBaton(url, ['worker', '--id', id, '--ops-port', '0', ...args]);
  const m = await waitForOutput(proc, /ops endpoints on http:\/\/[^:]+:(\d+)/);
  return { proc, opsPort: Number(m[1]) };
}

/** A free TCP port on 127.0.0.1 (for `baton serve --port`). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A `baton serve` process (no rate limits, a fixed secret); resolves once it listens. */
export async function startServe(url: string): Promise<{ proc: WorkerProcess; port: number }> {
  const port = await freePort();
  const proc = startBaton(url, ['serve', '--port', String(port), '--host', '127.0.0.1'], {
    BATON_RATE_LIMIT: 'off',
    BATON_SECRET: 'bench-secret-'.padEnd(40, 'x'),
  });
  await waitForOutput(proc, /Baton is serving on/);
  return { proc, port };
}

async function countTouches(store: Store, status: string): Promise<number> {
  const r = await store.db
    .selectFrom('touches')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface WorkerFigures {
  claimed: number;
  sent: number;
  ticks: number;
  /** Seconds the `log` channel spent sending, summed over batches. */
  sendSeconds: number;
  batches: number;
  cpuSeconds: number;
  eventLoopP99: number;
}

export interface DispatchRun {
  workers: number;
  touches: number;
  ms: number;
  rate: number;
  perWorker: WorkerFigures[];
  /** baton_queue_lag_seconds / baton_queue_depth read from worker 1 about every 5 s during the run. */
  lag: Array<{ atS: number; lagS: number; depth: number }>;
  usage?: Usage;
}

/**
 * `touches` `log` touches (touches/5 people × 5 immediate steps) on a fresh database, held back while
 * `workers` real `baton worker` processes start (batch 500), then released at once; the time to drain.
 * With `measure`, the run's CPU, backend states and each worker's /metrics are collected too.
 */
export async function dispatchOnPg(
  touches: number,
  workers: number,
  measure = false,
  baseline?: (url: string) => Promise<void>,
): Promise<DispatchRun> {
  const db = await freshDatabase();
  const store = openStore(benchUrl(db.url), { poolSize: 2 });
  const procs: WorkerProcess[] = [];
  try {
    if (baseline) await baseline(db.url);
    const steps = 5;
    await seedLogRun(store, Math.ceil(touches / steps), steps, Date.now());
    // Hold the work back while the workers start, then release it all at once.
    await store.db
      .updateTable('touches')
      .set({ due_at: Date.now() + 3_600_000 })
      .execute();
    const planned = await countTouches(store, 'planned');
    const started = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        startWorkerWithOps(db.url, `bench${i}`, ['--batch', '500', '--idle-ms', '100']),
      ),
    );
    procs.push(...started.map((s) => s.proc));
    await sleep(500);
    const lag: DispatchRun['lag'] = [];
    const drain = async (): Promise<number> => {
      const t0 = Date.now();
      await store.db.updateTable('touches').set({ due_at: t0 }).execute();
      let done = false;
      const watcher = (async () => {
        while (!done && measure) {
          await sleep(5000);
          if (done) break;
          try {
            const s = await scrapeMetrics(started[0]!.opsPort);
            lag.push({
              atS: (Date.now() - t0) / 1000,
              lagS: metric(s, 'baton_queue_lag_seconds'),
              depth: metric(s, 'baton_queue_depth'),
            });
          } catch {
            // a scrape that fails mid-run is only a missing point
          }
        }
      })();
      try {
        await waitDrained(store, 3_600_000, () => procs.map((w) => w.output()).join('\n'), 100);
      } finally {
        done = true;
        await watcher;
      }
      return Date.now() - t0;
    };
    let ms: number;
    let usage: Usage | undefined;
    if (measure) {
      const r = await measureUsage(db.url, { workers: procs.map((p) => p.child.pid!) }, drain);
      ms = r.value;
      usage = r.usage;
    } else {
      ms = await drain();
    }
    const perWorker: WorkerFigures[] = [];
    if (measure) {
      for (const s of started) {
        const m = await scrapeMetrics(s.opsPort);
        perWorker.push({
          claimed: metric(m, 'baton_dispatch_touches_total', { outcome: 'claimed' }),
          sent: metric(m, 'baton_dispatch_touches_total', { outcome: 'sent' }),
          ticks: metric(m, 'baton_worker_ticks_total'),
          sendSeconds: metric(m, 'baton_send_duration_seconds_sum'),
          batches: metric(m, 'baton_send_duration_seconds_count'),
          cpuSeconds: metric(m, 'baton_process_cpu_seconds_total'),
          eventLoopP99: metric(m, 'baton_nodejs_eventloop_lag_p99_seconds'),
        });
      }
    }
    await stopWorkers(procs);
    const sent = await countTouches(store, 'sent');
    console.log(
      `  ${fmt(planned)} first steps planned at the release, ${fmt(sent)} touches sent (each next step is planned when the one before is sent)`,
    );
    return { workers, touches: sent, ms, rate: (sent / ms) * 1000, perWorker, lag, usage };
  } finally {
    await stopWorkers(procs);
    await store.close();
    await db.drop();
  }
}

// ---- ingestion: Segment track events over /v1/batch ----

export const PER_CALL = 100;
const USERS = 10_000;
const NAMES = ['Page Viewed', 'Signed Up', 'Feature Used', 'Invite Sent', 'Demo Booked', 'Plan Upgraded'];
const PLANS = ['free', 'pro', 'enterprise'];

/** Event `i` as the SDKs send it. */
export function trackEvent(i: number, t0: number): Record<string, unknown> {
  return {
    type: 'track',
    messageId: `bench-${i}`,
    userId: `user-${(i * 7919) % USERS}`,
    event: NAMES[i % NAMES.length]!,
    timestamp: new Date(t0 + i).toISOString(),
    properties: { plan: PLANS[i % PLANS.length], value: i % 100, path: `/docs/${i % 50}` },
  };
}

export interface PostResult {
  ms: number;
  stored: number;
  failed: number;
  /** Per call, ascending, in ms. */
  latencies: number[];
}

/**
 * Posts `total` events as /v1/batch calls of 100 from `clients` concurrent clients, client `i` to server
 * `ports[i % ports.length]` (a round-robin balancer), each with its own keep-alive connection.
 */
export async function postAll(
  ports: number[],
  key: string,
  total: number,
  clients: number,
  t0: number,
): Promise<PostResult> {
  const calls = Math.ceil(total / PER_CALL);
  const pools = ports.map(
    (port, i) =>
      new Pool(`http://127.0.0.1:${port}`, {
        connections: Math.ceil((clients - i) / ports.length),
        pipelining: 1,
      }),
  );
  const auth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const latencies: number[] = [];
  let stored = 0;
  let failed = 0;
  let next = 0;
  const client = async (c: number): Promise<void> => {
    const pool = pools[c % pools.length]!;
    for (;;) {
      const call = next++;
      if (call >= calls) return;
      const batch = [];
      for (let i = call * PER_CALL; i < Math.min(total, (call + 1) * PER_CALL); i++)
        batch.push(trackEvent(i, t0));
      const body = JSON.stringify({ batch, sentAt: new Date().toISOString() });
      const start = process.hrtime.bigint();
      const res = await pool.request({
        path: '/v1/batch',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body,
      });
      const answer = (await res.body.json()) as { stored?: number };
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (res.statusCode === 200) stored += answer.stored ?? 0;
      else failed++;
    }
  };
  const http = await timed(() => Promise.all(Array.from({ length: clients }, (_, c) => client(c))));
  await Promise.all(pools.map((p) => p.close()));
  return { ms: http.ms, stored, failed, latencies: latencies.sort((a, b) => a - b) };
}

/**
 * The ingestion baseline on PostgreSQL: the same events inserted by `clients` bare `pg` connections at once
 * as multi-row `INSERT` of 100 rows (repeats skipped by the message-id claim trigger) into the migrated
 * events table of `url`, for workspace `workspaceId`; latencies per statement.
 */
export async function bareInsertEvents(
  url: string,
  workspaceId: string,
  total: number,
  clients: number,
  t0: number,
): Promise<{ ms: number; latencies: number[] }> {
  const conns = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client({ connectionString: benchUrl(url) });
      await c.connect();
      return c;
    }),
  );
  const latencies: number[] = [];
  let next = 0;
  const calls = Math.ceil(total / PER_CALL);
  const run = async (c: pg.Client): Promise<void> => {
    for (;;) {
      const call = next++;
      if (call >= calls) return;
      const values: unknown[] = [];
      const rows: string[] = [];
      for (let i = call * PER_CALL; i < Math.min(total, (call + 1) * PER_CALL); i++) {
        const e = trackEvent(i, t0);
        const k = values.length;
        rows.push(`($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5}, $${k + 6}, $${k + 7}, $${k + 8})`);
        values.push(
          newId('evt', t0),
          workspaceId,
          e.messageId,
          e.event,
          e.userId,
          t0 + i,
          t0,
          JSON.stringify(e.properties),
        );
      }
      const start = process.hrtime.bigint();
      await c.query(
        'INSERT INTO events (id, workspace_id, message_id, type, contact_id, occurred_at, received_at, properties) ' +
          // Partitioned `events` (decision 0021): the message-id claim trigger skips repeats, as the
          // unique index's conflict target did before.
          `VALUES ${rows.join(', ')}`,
        values,
      );
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  const t = await timed(() => Promise.all(conns.map(run)));
  await Promise.all(conns.map((c) => c.end()));
  return { ms: t.ms, latencies: latencies.sort((a, b) => a - b) };
}
