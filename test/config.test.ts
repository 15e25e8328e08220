import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { BatonError } from '../src/domain/errors.js';
import { tempSqliteUrl } from './support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// The CLI runs from a temporary folder, so the TypeScript loader is named by its file, not its package.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

function configError(env: Record<string, string | undefined>): BatonError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof BatonError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('config', () => {
  it('applies the defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({ BATON_DB: 'sqlite:./baton.db', BATON_PORT: 4400 });
    expect(loadConfig({ BATON_PORT: '', BATON_DB: '' })).toEqual({
      BATON_DB: 'sqlite:./baton.db',
      BATON_PORT: 4400,
    });
  });

  it('reads a port, a PostgreSQL URL and a secret', () => {
    const config = loadConfig({
      BATON_PORT: '8080',
      BATON_DB: 'postgres://baton@db.internal:5432/baton',
      BATON_SECRET: 's'.repeat(32),
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      BATON_PORT: 8080,
      BATON_DB: 'postgres://baton@db.internal:5432/baton',
      BATON_SECRET: 's'.repeat(32),
    });
  });

  it.each([
    [{ BATON_PORT: 'eighty' }, 'BATON_PORT', 'port number'],
    [{ BATON_PORT: '70000' }, 'BATON_PORT', 'between 1 and 65535'],
    [{ BATON_PORT: '0' }, 'BATON_PORT', 'between 1 and 65535'],
    [{ BATON_PORT: '44.5' }, 'BATON_PORT', 'whole number'],
    [{ BATON_DB: 'mysql://root@localhost/baton' }, 'BATON_DB', 'sqlite:PATH or a postgres:// URL'],
    [{ BATON_DB: 'sqlite:' }, 'BATON_DB', 'sqlite:PATH or a postgres:// URL'],
    [{ BATON_DB: './baton.db' }, 'BATON_DB', 'sqlite:PATH or a postgres:// URL'],
    [{ BATON_SECRET: 'short' }, 'BATON_SECRET', 'at least 32 characters'],
  ])('refuses %j with one line naming %s', (env, variable, reason) => {
    const e = configError(env);
    expect(e.code).toBe('config');
    expect(e.message.startsWith(`${variable} `)).toBe(true);
    expect(e.message).toContain(reason);
    expect(e.message).not.toContain('\n');
  });

  it('stops the baton process with exit code 2 and one stderr line naming the variable', async () => {
    const tmp = tempSqliteUrl();
    // Only the variables under test reach the child process.
    const { BATON_PORT: _port, BATON_DB: _db, ...inherited } = process.env;
    try {
      for (const [env, variable] of [
        [{ BATON_PORT: 'not-a-port', BATON_DB: tmp.url }, 'BATON_PORT'],
        [{ BATON_DB: 'oracle://scott@localhost' }, 'BATON_DB'],
      ] as const) {
        const run = promisify(execFile)(
          process.execPath,
          ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'migrate'],
          { cwd: tmp.dir, env: { ...inherited, ...env } },
        );
        const failed = await run.then(
          () => undefined,
          (e: { code?: number; stdout: string; stderr: string }) => e,
        );
        expect(failed, `baton migrate with ${variable} bad should fail`).toBeDefined();
        expect(failed?.code).toBe(2);
        const lines = (failed?.stderr ?? '').trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^baton: ${variable} `));
      }
    } finally {
      tmp.cleanup();
    }
  });
});
