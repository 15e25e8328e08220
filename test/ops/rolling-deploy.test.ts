// A rolling deploy with real processes of two releases: the previous release (the project as it was just
// before its newest migration was added, taken from git) migrates a database and dispatches; while its
// worker runs, the current release's `baton migrate` applies the newer migrations, the previous release's
// worker dispatches new touches on the newer schema, and a worker of the current release joins. Nothing
// fails, every touch is sent exactly once, every process exits 0. (A process of a release that knows fewer
// migrations than the database starting on it: test/store/migrate-newer.test.ts.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingMigrations } from '../../src/store/migrate.js';
import { dialects, newWorkspace } from '../support/stores.js';
import { ownStore, seedDueTouches, touchCounts, type OwnStore } from './ops-support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MIGRATION = /^\d{8}T\d{4}-[a-z0-9-]+\.ts$/;

const migrationsIn = (root: string): string[] =>
  readdirSync(join(root, 'src/store/migrations'))
    .filter((f) => MIGRATION.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();

/**
 * The previous release's sources in a temporary folder: the parent of the commit that added the newest
 * migration, from git. A checkout without that history (a shallow clone) gets the current sources without
 * the newest migration instead: the same schema step, with today's code on both sides of it.
 */
function previousRelease(): { dir: string; rev: string; newer: string[]; cleanup(): void } {
  const current = migrationsIn(ROOT);
  const newest = current[current.length - 1]!;
  const dir = mkdtempSync(join(tmpdir(), 'baton-previous-'));
  const rev = fromGit(newest, dir) ?? withoutNewest(newest, dir);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const previous = new Set(migrationsIn(dir));
  return {
    dir,
    rev,
    newer: current.filter((m) => !previous.has(m)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Extracts the release before `newest` from git into `dir` and names its commit; undefined without history. */
function fromGit(newest: string, dir: string): string | undefined {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  let rev: string;
  try {
    const added = git(
      'log',
      '--diff-filter=A',
      '--format=%H',
      '-1',
      '--',
      `src/store/migrations/${newest}.ts`,
    );
    if (!added) return undefined;
    rev = git('rev-parse', '--verify', `${added}^`);
  } catch {
    return undefined; // no git, or the parent commit is not in this (shallow) clone
  }
  const archive = execFileSync('git', ['archive', rev, 'src', 'package.json', 'tsconfig.json'], {
    cwd: ROOT,
    maxBuffer: 512 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return rev;
}

/** Copies the current sources into `dir` without the newest migration. */
function withoutNewest(newest: string, dir: string): string {
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, f), join(dir, f));
  rmSync(join(dir, 'src/store/migrations', `${newest}.ts`));
  return `working tree without ${newest}`;
}

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<string>;
}

/** `baton …` of the release whose sources are under `root`, on the database at `url`. */
function baton(root: string, url: string, args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', TSX, join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, BATON_DB: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code === 0 ? 'exit 0' : `exit ${code ?? signal}: ${out}`)),
  );
  return { child, output: () => out, exited };
}

const worker = (root: string, url: string, id: string): Proc =>
  baton(root, url, ['worker', '--id', id, '--batch', '20', '--idle-ms', '100']);

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitRunning(p: Proc): Promise<void> {
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`worker exited: ${p.output()}`);
      return /baton worker .* running on/.test(p.output());
    },
    120_000,
    p.output,
  );
}

async function stop(p: Proc): Promise<string> {
  p.child.kill('SIGTERM');
  return p.exited;
}

describe.each(dialects)('a rolling deploy on %s', (dialect) => {
  let own: OwnStore;
  let previous: ReturnType<typeof previousRelease>;
  beforeAll(async () => {
    previous = previousRelease();
    own = await ownStore(dialect, { migrate: false });
  }, 120_000);
  afterAll(async () => {
    await own?.dispose();
    previous?.cleanup();
  });

  it('keeps the previous release working while the current one migrates and joins, losing nothing', async () => {
    expect(previous.newer.length).toBeGreaterThan(0);
    // The previous release migrates the database to its own latest migration.
    expect(await baton(previous.dir, own.url, ['migrate']).exited).toBe('exit 0');
    expect(await pendingMigrations(own.store)).toEqual(previous.newer);

    // PostgreSQL dispatches with several workers at once; a SQLite file has one worker at a time.
    const N1 = dialect === 'sqlite' ? 6000 : 1500;
    const N2 = N1;
    const N = N1 + N2;
    const ws = await newWorkspace(own.store, Date.now());
    await seedDueTouches(own.store, ws, N1, Date.now() - 60_000);
    const sent = async (): Promise<number> => (await touchCounts(own.store, ws)).sent ?? 0;

    const old = worker(previous.dir, own.url, 'w-old');
    await waitRunning(old);
    await waitFor(async () => (await sent()) >= 40, 60_000, old.output);

    // The current release migrates while the previous release's worker dispatches.
    const migrate = baton(ROOT, own.url, ['migrate']);
    expect(await migrate.exited).toBe('exit 0');
    expect(await pendingMigrations(own.store)).toEqual([]);
    expect(old.child.exitCode).toBeNull();
    // …and that worker goes on dispatching on the newer schema: new touches, due now, are sent by it alone.
    await seedDueTouches(own.store, ws, N2, Date.now() - 60_000);
    const afterMigrate = await sent();
    expect(afterMigrate).toBeLessThan(N);
    await waitFor(async () => (await sent()) > afterMigrate, 60_000, old.output);

    // A worker of the current release joins (on PostgreSQL both dispatch side by side; a SQLite file has one
    // worker at a time, so there the previous one stops first), and the previous one stops.
    let current: Proc;
    if (dialect === 'postgres') {
      current = worker(ROOT, own.url, 'w-new');
      await waitRunning(current);
      const both = await sent();
      await waitFor(async () => (await sent()) > both || both === N, 60_000, current.output);
      expect(await stop(old)).toBe('exit 0');
    } else {
      expect(await stop(old)).toBe('exit 0');
      current = worker(ROOT, own.url, 'w-new');
      await waitRunning(current);
    }
    await waitFor(async () => (await sent()) === N, 120_000, current.output);
    expect(await stop(current)).toBe('exit 0');

    expect(await touchCounts(own.store, ws)).toEqual({ sent: N });
    const log = await own.store.db
      .selectFrom('channel_log')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.count('touch_id').distinct().as('touches')])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(log.n)).toBe(N);
    expect(Number(log.touches)).toBe(N);
  }, 300_000);
});
