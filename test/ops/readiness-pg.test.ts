// Readiness follows the database: a private PostgreSQL instance (started by this test, as the postgres user
// when the test runs as root) is stopped under a running app, then started again.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { BatonMetrics } from '../../src/ops/metrics.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { metricSum, parsePrometheus } from './ops-support.js';

const BIN = join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().at(-1)!, 'bin');
const asPostgres = (cmd: string, args: string[]): string => {
  const root = process.getuid?.() === 0;
  return execFileSync(
    root ? 'runuser' : join(BIN, cmd),
    root ? ['-u', 'postgres', '--', join(BIN, cmd), ...args] : args,
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('readiness with the database stopped and started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
  let port = 0;
  let store: Store;
  const pgCtl = (action: 'start' | 'stop'): string =>
    action === 'start'
      ? asPostgres('pg_ctl', [
          '-D',
          join(dir, 'data'),
          '-o',
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
          '-w',
          '-l',
          join(dir, 'log'),
          'start',
        ])
      : asPostgres('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);

  beforeAll(async () => {
    if (process.getuid?.() === 0)
      chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
    asPostgres('initdb', [
      '-D',
      join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    port = await freePort();
    pgCtl('start');
    store = openStore(`postgres://postgres@127.0.0.1:${port}/postgres`, { poolSize: 2 });
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store.close();
    try {
      pgCtl('stop');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns unready when PostgreSQL stops and ready again when it is back', async () => {
    const clock = new SimulatedClock(Date.parse('2027-01-04T12:00:00Z'));
    const metrics = new BatonMetrics({ store, clock, queueCacheMs: 0, processMetrics: false });
    const app = await buildApp(
      { store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
      { ops: { metrics } },
    );
    await app.ready();
    const readyz = async () => app.inject({ method: 'GET', url: '/readyz' });
    const up = async () =>
      metricSum(
        parsePrometheus((await app.inject({ method: 'GET', url: '/metrics' })).body),
        'baton_store_up',
      );

    expect((await readyz()).statusCode).toBe(200);
    expect(await up()).toBe(1);

    pgCtl('stop');
    const down = await readyz();
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.database.ok).toBe(false);
    expect(down.json().checks.migrations).toEqual({ ok: false, detail: 'database unreachable' });
    expect(await up()).toBe(0);
    // Liveness does not depend on the database: restarting the process would not help.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    pgCtl('start');
    const back = await readyz();
    expect(back.statusCode).toBe(200);
    expect(back.json().checks.database.ok).toBe(true);
    expect(await up()).toBe(1);
    await app.close();
  }, 60_000);
});
