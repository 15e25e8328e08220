// `baton users create --role`, `users set-role`, `keys create|list|revoke` (src/cli/main.ts under tsx) on a
// temporary SQLite store: a workspace's first user is admin by default, a bad role is refused naming
// --role, a revoked key stops authenticating, and each change is in the audit log.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { AuditRepository } from '../../src/store/audit.repository.js';
import { openStore } from '../../src/store/db.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { tempSqliteUrl } from '../support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('access commands (CLI)', () => {
  const tmp = tempSqliteUrl();
  afterAll(() => tmp.cleanup());

  const baton = (args: string[], stdin = '') =>
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
      child.stdin.end(stdin);
    });
  const create = (email: string, extra: string[] = []) =>
    baton(
      ['users', 'create', '--workspace', 'acme', '--email', email, '--password-stdin', ...extra],
      'piped password 123\n',
    );

  it('creates users with roles, changes a role, creates and revokes a key, and audits each', async () => {
    expect((await create('first@example.com')).stdout).toMatch(/as admin/);
    expect((await create('rep@example.com', ['--role', 'sales_rep'])).stdout).toMatch(/as sales_rep/);
    const bad = await create('bad@example.com', ['--role', 'owner']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--role: must be one of admin, marketer, sales_rep, analyst/);

    const changed = await baton([
      'users',
      'set-role',
      'rep@example.com',
      '--role',
      'analyst',
      '--workspace',
      'acme',
    ]);
    expect(changed.stdout).toMatch(/rep@example\.com is now analyst/);

    const key = (await baton(['keys', 'create', '--workspace', 'acme', '--scope', 'read'])).stdout.trim();
    const store = openStore(tmp.url);
    try {
      const ws = (await new WorkspacesRepository(store).findByName('acme'))!;
      const keys = new ApiKeysRepository(store);
      const record = (await keys.verify(key, 'api'))!;
      expect(record.scopes).toEqual(['read']);
      expect((await baton(['keys', 'revoke', record.id, '--workspace', 'acme'])).code).toBe(0);
      expect(await keys.verify(key, 'api')).toBeUndefined();
      expect((await new UsersRepository(store).list(ws.id)).map((u) => [u.email, u.role])).toEqual([
        ['first@example.com', 'admin'],
        ['rep@example.com', 'analyst'],
      ]);
      const audit = await new AuditRepository(store).list(ws.id, { limit: 20 });
      expect(audit.data.map((e) => e.action).reverse()).toEqual([
        'user.create',
        'user.create',
        'user.set_role',
        'api_key.create',
        'api_key.revoke',
      ]);
      expect(audit.data[0]).toMatchObject({
        actor: { type: 'system' },
        target: { type: 'api_key', id: record.id },
      });
      expect(audit.data[0]!.actor.id).toMatch(/^cli:/);
    } finally {
      await store.close();
    }
  }, 300_000);
});
