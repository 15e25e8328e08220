// The real `baton import` command (src/cli/main.ts under tsx) against a temporary SQLite store.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { tempSqliteUrl } from './support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const FIXTURES = join(ROOT, 'test/fixtures/import');

describe('baton import (CLI)', () => {
  const tmp = tempSqliteUrl();
  const count = async (): Promise<number> => {
    const store = openStore(tmp.url);
    try {
      const r = await store.db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    } finally {
      await store.close();
    }
  };
  const baton = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, BATON_DB: tmp.url },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code?: number; stdout: string; stderr: string }) => ({
        code: e.code ?? -1,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  beforeAll(async () => {
    const store = openStore(tmp.url);
    await migrateToLatest(store);
    await new WorkspacesRepository(store).ensure('cli-import', Date.parse('2027-01-04T12:00:00Z'));
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  it('imports good files, refuses a bad one whole and reports each row, then skips the bad rows', async () => {
    const accounts = await baton(['import', 'accounts', join(FIXTURES, 'accounts.csv')]);
    expect(accounts.stderr).toBe('');
    expect(accounts.code).toBe(0);
    expect(accounts.stdout).toMatch(
      /^accounts into cli-import: 3 inserted, 0 updated, 0 rejected in [\d.]+ s/,
    );

    const good = await baton([
      'import',
      'contacts',
      join(FIXTURES, 'contacts-good.csv'),
      '--workspace',
      'cli-import',
    ]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(
      /^contacts into cli-import: 4 inserted, 0 updated, 0 rejected in [\d.]+ s, [\d,]+ rows\/s/,
    );
    expect(await count()).toBe(4);

    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'email,time_zone\nnobody,UTC\nok@example.com,Moon/Base\nfine@example.com,UTC,extra\n');
    const refused = await baton(['import', 'contacts', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 2, email: is not a valid email address (got "nobody")');
    expect(refused.stderr).toContain('line 3, time_zone: is not an IANA time zone name');
    expect(refused.stderr).toContain('line 4: has 3 columns, the header has 2');
    expect(refused.stderr).toContain('3 of 3 rows are invalid, nothing was imported');
    expect(await count()).toBe(4);

    writeFileSync(bad, 'email,time_zone\nnobody,UTC\nok@example.com,Europe/Rome\n');
    const skipped = await baton(['import', 'contacts', bad, '--skip-invalid']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('1 inserted, 0 updated, 1 rejected');
    expect(skipped.stdout).toContain(`rejected rows written to ${join(tmp.dir, 'bad.rejects.csv')}`);
    expect(existsSync(join(tmp.dir, 'bad.rejects.csv'))).toBe(true);
    expect(await count()).toBe(5);
  }, 180_000);
});
