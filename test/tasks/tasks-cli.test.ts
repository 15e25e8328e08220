// `baton tasks list` (src/cli/main.ts under tsx) against a temporary SQLite store holding one sales world.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChannels } from '../../src/channels/registry.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { openStore } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { tempSqliteUrl } from '../support/stores.js';
import { FRIDAY_1630_NY, MONDAY_0900_NY, salesWorld } from './sales-fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('baton tasks list (CLI)', () => {
  const tmp = tempSqliteUrl();
  let workspace = '';
  beforeAll(async () => {
    const store = openStore(tmp.url);
    try {
      await migrateToLatest(store);
      const { ws } = await salesWorld(store, { at: FRIDAY_1630_NY, contacts: 2 });
      await new Dispatcher(store, defaultChannels(store), { workerId: 'cli' }).drain(FRIDAY_1630_NY);
      workspace = (await new WorkspacesRepository(store).get(ws))!.name;
    } finally {
      await store.close();
    }
  });
  afterAll(() => tmp.cleanup());

  const baton = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, BATON_DB: tmp.url },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it("lists a rep's tasks with their due time and rendered instructions, and names a bad filter", async () => {
    const mine = await baton(['tasks', 'list', '--workspace', workspace, '--assignee', 'REP@acme-sales.com']);
    expect(mine.stderr).toBe('');
    expect(mine.code).toBe(0);
    const lines = mine.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const ada = lines.map((l) => l.split('\t')).find((c) => c[5] === 'Ada')!;
    expect(ada.slice(2)).toEqual([
      new Date(MONDAY_0900_NY).toISOString(),
      'call',
      'rep@acme-sales.com',
      'Ada',
      'Call Ada at Acme about the pilot',
    ]);

    const bad = await baton(['tasks', 'list', '--workspace', workspace, '--status', 'later']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--status: must be one of open/);
  }, 180_000);
});
