// `baton serve` on SQLite (API and worker in one process) as a real child process: probes and metrics over
// HTTP while its worker sends, then SIGTERM mid-run: exit 0, nothing left claimed, nothing lost.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace } from '../support/stores.js';
import {
  metricSum,
  ownStore,
  parsePrometheus,
  seedDueTouches,
  touchCounts,
  type OwnStore,
} from './ops-support.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('baton serve on sqlite', () => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore('sqlite');
  });
  afterAll(() => own.dispose());

  it('answers the probes and /metrics while its worker sends, and stops cleanly on SIGTERM', async () => {
    const N = 4000;
    const ws = await newWorkspace(own.store, Date.now());
    await seedDueTouches(own.store, ws, N, Date.now() - 60_000);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)],
      {
        env: { ...process.env, BATON_DB: own.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = Date.now() + 60_000;
    while (!out.includes('Baton is serving')) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { worker: { ok: boolean } } }).checks.worker.ok).toBe(true);
    const samples = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(metricSum(samples, 'baton_touches_total', { workspace: ws, outcome: 'sent' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'baton_process_cpu_seconds_total')).toBe(true);

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const counts = await touchCounts(own.store, ws);
    expect(counts.claimed ?? 0).toBe(0);
    expect((counts.sent ?? 0) + (counts.planned ?? 0)).toBe(N);
    const log = await own.store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(log.n)).toBe(counts.sent);
  }, 120_000);
});
