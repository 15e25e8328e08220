// Database restart: a private PostgreSQL instance (initdb into a temporary folder, its own port, so the
// server the other tests share is never touched) is stopped and started again while two `baton worker`
// processes run a 10,000-touch sequence on it. The workers ride out the outage, reconnect and finish;
// every touch is performed and recorded.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  countWhere,
  freshDatabase,
  seedLogRun,
  sleep,
  startWorker,
  stopWorkers,
  waitDrained,
  waitRunning,
  type WorkerProcess,
} from './harness.js';

const PEOPLE = 2_000;
const STEPS = 5;

/** The newest installed PostgreSQL's binaries. */
function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL binaries under ${root}`);
  return join(root, versions[0]!, 'bin');
}

/** initdb and pg_ctl refuse to run as root: run them as the postgres user then. */
function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
}

class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'baton-pg-'));
  readonly port = 20_000 + Math.floor(Math.random() * 20_000);
  private readonly bin = pgBin();

  init(): void {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(this.dir, uid, gid);
    }
    asPostgres(join(this.bin, 'initdb'), ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    this.start();
  }

  start(): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    const log = join(this.dir, 'log');
    asPostgres(join(this.bin, 'pg_ctl'), [
      '-D',
      join(this.dir, 'data'),
      '-o',
      opts,
      '-l',
      log,
      '-w',
      'start',
    ]);
  }

  stop(): void {
    asPostgres(join(this.bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('PostgreSQL restarted under running workers', () => {
  const server = new PrivatePostgres();
  let store: Store;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    server.init();
    const db = await freshDatabase(server.adminUrl);
    store = openStore(db.url, { poolSize: 2 });
    expect(await seedLogRun(store, PEOPLE, STEPS, Date.now())).toBe(PEOPLE);
    for (const id of ['r1', 'r2']) {
      workers.push(startWorker(db.url, id, ['--batch', '100', '--lease-ms', '3000', '--idle-ms', '200']));
    }
  }, 180_000);
  afterAll(async () => {
    await stopWorkers(workers);
    await store?.close();
    server.destroy();
  });

  it('reconnects after the restart and loses nothing', async () => {
    await Promise.all(workers.map((w) => waitRunning(w)));
    const total = PEOPLE * STEPS;
    // Let the run get going, then take the database away for a few seconds mid-run.
    const deadline = Date.now() + 60_000;
    while ((await countWhere(store, 'sent')) < 500 && Date.now() < deadline) await sleep(100);
    const before = await countWhere(store, 'sent');
    server.stop();
    await sleep(3000);
    server.start();
    await waitDrained(store, 150_000, () => workers.map((w) => w.output()).join('\n---\n'));
    expect(before).toBeLessThan(total);
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
    expect(await countWhere(store, 'sent')).toBe(total);
    const logged = await store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(total);
    const events = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('type', '=', 'sent')
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(total);
  }, 300_000);
});
