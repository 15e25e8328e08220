// `baton users create --password-stdin` (src/cli/main.ts under tsx) against a temporary SQLite store: the
// user it creates can sign in with exactly the piped password.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { tempSqliteUrl } from '../support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('baton users (CLI)', () => {
  const tmp = tempSqliteUrl();
  afterAll(() => tmp.cleanup());

  const baton = (args: string[], stdin: string) =>
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

  it('creates a user from a piped password, refuses a duplicate and a short password', async () => {
    const args = ['users', 'create', '--workspace', 'acme', '--email', 'Lin@Example.com', '--password-stdin'];
    const ok = await baton(args, 'piped password 123\n');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/lin@example\.com can now sign in to workspace acme/);

    const dup = await baton(args, 'piped password 123\n');
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    const short = await baton([...args.slice(0, 5), 'b@example.com', '--password-stdin'], 'short\n');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/password/);

    const list = await baton(['users', 'list', '--workspace', 'acme'], '');
    expect(list.stdout).toMatch(/^lin@example\.com\t/);

    const store = openStore(tmp.url);
    try {
      const users = new UsersRepository(store);
      // The newline that ends the piped line is not part of the password.
      const s = await users.signIn({ email: 'lin@example.com', password: 'piped password 123' }, Date.now());
      expect(s.workspaceName).toBe('acme');
      await expect(
        users.signIn({ email: 'lin@example.com', password: 'piped password 123\n' }, Date.now()),
      ).rejects.toMatchObject({ code: 'unauthorized' });
    } finally {
      await store.close();
    }
  }, 180_000);
});
