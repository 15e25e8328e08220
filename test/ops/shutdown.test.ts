// Graceful shutdown of a real `baton worker` process: SIGTERM in the middle of a run leaves no touch
// claimed and exits 0; a second worker started afterwards (a rolling restart) finishes the rest, and every
// touch is sent exactly once (one channel_log row per sent touch, none for the others). Each worker's
// /metrics agree with the database: the sends it counted are the channel_log rows it wrote.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, newWorkspace } from '../support/stores.js';
import {
  metricSum,
  ownStore,
  parsePrometheus,
  seedDueTouches,
  touchCounts,
  type OwnStore,
} from './ops-support.js';

function startWorker(
  url: string,
  id: string,
  batch: number,
): { child: ChildProcess; output: () => string; opsPort: Promise<number> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'worker',
      '--id',
      id,
      '--batch',
      String(batch),
      '--idle-ms',
      '100',
      '--ops-port',
      '0',
    ],
    { env: { ...process.env, BATON_DB: url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const opsPort = new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /ops endpoints on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before serving: ${out}`)));
  });
  return { child, output: () => out, opsPort };
}

/** How the process ended: its exit code, or the signal that killed it (with its output, to explain it). */
const exited = (child: ChildProcess, output: () => string): Promise<string> =>
  new Promise((resolve) => {
    const say = (code: number | null, signal: string | null): void =>
      resolve(code === 0 ? 'exit 0' : `exit ${code ?? signal}: ${output()}`);
    if (child.exitCode !== null || child.signalCode !== null) say(child.exitCode, child.signalCode);
    else child.once('exit', say);
  });

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function logRows(own: OwnStore, ws: string): Promise<number> {
  const r = await own.store.db
    .selectFrom('channel_log')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe.each(dialects)('graceful shutdown of baton worker on %s', (dialect) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore(dialect);
  });
  afterAll(() => own.dispose());

  it('SIGTERM mid-run leaves nothing claimed and exits 0; a restarted worker sends the rest exactly once', async () => {
    // Enough small batches that SIGTERM lands mid-run (SQLite drains a 10-touch batch in about a millisecond).
    const N = dialect === 'sqlite' ? 20_000 : 1500;
    const ws = await newWorkspace(own.store, Date.now());
    await seedDueTouches(own.store, ws, N, Date.now() - 60_000);
    const first = startWorker(own.url, 'w-old', 10);
    const port = await first.opsPort;
    await waitFor(async () => ((await touchCounts(own.store, ws)).sent ?? 0) >= 50, 60_000);

    // Its /metrics count the batches its channels sent so far. Tick counters move at the end of a tick, and
    // on a busy machine the first tick may still be running when 50 touches are out: scrape until it ended.
    const sentMetric = async (): Promise<number> =>
      metricSum(
        parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
        'baton_touches_total',
        {
          workspace: ws,
          outcome: 'sent',
        },
      );
    await waitFor(async () => (await sentMetric()) > 0, 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    // The channel counter moves right after the channel wrote its rows: a scrape between two row counts sees
    // at most the rows counted after it, and at least those counted before it less the one batch (10) whose
    // rows may be written but not yet counted.
    const rowsBefore = await logRows(own, ws);
    const scraped = await sentMetric();
    const rowsAfter = await logRows(own, ws);
    expect(scraped).toBeLessThanOrEqual(rowsAfter);
    expect(scraped).toBeGreaterThanOrEqual(rowsBefore - 10);

    first.child.kill('SIGTERM');
    expect(await exited(first.child, first.output)).toBe('exit 0');
    const afterStop = await touchCounts(own.store, ws);
    expect(afterStop.claimed ?? 0).toBe(0);
    // It stopped in the middle of the run, not after it.
    expect(afterStop.planned ?? 0).toBeGreaterThan(0);
    expect((afterStop.sent ?? 0) + (afterStop.planned ?? 0)).toBe(N);

    const second = startWorker(own.url, 'w-new', 200);
    const secondPort = await second.opsPort;
    await waitFor(async () => ((await touchCounts(own.store, ws)).sent ?? 0) === N, 120_000);
    // At the end of its run, the new worker's counters equal the rows it wrote: baton_touches_total (moved
    // by each channel send) at once, and baton_dispatch_touches_total{outcome="sent"} (moved when a tick
    // ends) once the tick that sent the last batch has ended.
    const newRows = await own.store.db
      .selectFrom('channel_log')
      .innerJoin('touches', 'touches.id', 'channel_log.touch_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('channel_log.workspace_id', '=', ws)
      .where('touches.claimed_by', '=', 'w-new')
      .executeTakeFirstOrThrow();
    expect(Number(newRows.n)).toBe(N - (afterStop.sent ?? 0));
    const scrapeNew = async (): Promise<ReturnType<typeof parsePrometheus>> =>
      parsePrometheus(await (await fetch(`http://127.0.0.1:${secondPort}/metrics`)).text());
    expect(
      metricSum(await scrapeNew(), 'baton_touches_total', { workspace: ws, channel: 'log', outcome: 'sent' }),
    ).toBe(Number(newRows.n));
    await waitFor(
      async () =>
        metricSum(await scrapeNew(), 'baton_dispatch_touches_total', { outcome: 'sent' }) >=
        Number(newRows.n),
      30_000,
    );
    const final = await scrapeNew();
    expect(metricSum(final, 'baton_dispatch_touches_total', { outcome: 'sent' })).toBe(Number(newRows.n));
    expect(metricSum(final, 'baton_touches_total', { outcome: 'failed' })).toBe(0);
    second.child.kill('SIGTERM');
    expect(await exited(second.child, second.output)).toBe('exit 0');

    expect(await touchCounts(own.store, ws)).toEqual({ sent: N });
    const log = await own.store.db
      .selectFrom('channel_log')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('touch_id').distinct().as('touches')])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(log.n)).toBe(N);
    expect(Number(log.touches)).toBe(N);
    // The touches sent by the old worker were not sent again by the new one: they kept their first send time.
    const byWorker = await own.store.db
      .selectFrom('touches')
      .select((eb) => ['claimed_by', eb.fn.countAll().as('n')])
      .where('workspace_id', '=', ws)
      .groupBy('claimed_by')
      .execute();
    const counts = Object.fromEntries(byWorker.map((r) => [String(r.claimed_by), Number(r.n)]));
    expect(counts['w-old']).toBe(afterStop.sent);
    expect(counts['w-new']).toBe(N - (afterStop.sent ?? 0));
  }, 240_000);
});
