// `baton audit` (src/cli/main.ts under tsx) on a temporary SQLite store: a workspace's trail newest first,
// filtered by action prefix and time, as lines or JSON lines; `--instance` reads the installation's trail
// (failed sign-ins that named no workspace), which no workspace admin reads over the API; bad flags are
// refused by name.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_AUDIT_WORKSPACE, recordAudit } from '../../src/store/audit.repository.js';
import { openStore } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { tempSqliteUrl } from '../support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const T0 = Date.parse('2026-11-02T09:00:00Z');
const HOUR = 3_600_000;

// Each test starts one CLI process (a few seconds under tsx on a busy machine).
describe('baton audit (CLI)', { timeout: 90_000 }, () => {
  const tmp = tempSqliteUrl();
  afterAll(() => tmp.cleanup());

  const baton = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'audit', ...args],
        {
          cwd: ROOT,
          env: { ...process.env, BATON_DB: tmp.url },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    const store = openStore(tmp.url);
    try {
      await migrateToLatest(store);
      const ws = await new WorkspacesRepository(store).ensure('acme', T0);
      const user = { type: 'user' as const, id: 'usr_1', role: 'marketer' as const };
      await recordAudit(store, {
        workspaceId: ws.id,
        at: T0,
        actor: user,
        action: 'campaign.update',
        target: { type: 'campaign', id: 'spring-launch' },
        details: { revision: 2 },
      });
      await recordAudit(store, {
        workspaceId: ws.id,
        at: T0 + HOUR,
        actor: user,
        action: 'campaign.launch',
        target: { type: 'campaign', id: 'spring-launch' },
        ip: '203.0.113.7',
      });
      await recordAudit(store, {
        workspaceId: ws.id,
        at: T0 + 2 * HOUR,
        actor: { type: 'key', id: 'key_9' },
        action: 'api_key.create',
        target: { type: 'api_key', id: 'key_10' },
      });
      await recordAudit(store, {
        workspaceId: INSTANCE_AUDIT_WORKSPACE,
        at: T0 + 3 * HOUR,
        actor: { type: 'anonymous', id: null },
        action: 'user.sign_in_failed',
        target: { type: 'unknown_email', id: 'sha256:abc' },
        ip: '198.51.100.4',
      });
    } finally {
      await store.close();
    }
  });

  it("prints the workspace's trail newest first", async () => {
    const all = await baton(['--workspace', 'acme']);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual([
      '2026-11-02T11:00:00.000Z  api_key.create  by key:key_9 api_key:key_10',
      '2026-11-02T10:00:00.000Z  campaign.launch  by user:usr_1 from 203.0.113.7 campaign:spring-launch',
      '2026-11-02T09:00:00.000Z  campaign.update  by user:usr_1 campaign:spring-launch {"revision":2}',
    ]);
  });

  it('filters by action prefix and time, as JSON lines', async () => {
    const campaigns = await baton(['--action', 'campaign.', '--since', '2026-11-02T09:30:00Z', '--json']);
    const entries = campaigns.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; target: unknown });
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'campaign.launch',
        target: { type: 'campaign', id: 'spring-launch' },
      }),
    ]);
  });

  it('prints at most --limit entries', async () => {
    const two = await baton(['--limit', '2']);
    expect(two.stdout.trim().split('\n')).toHaveLength(2);
  });

  it("reads the installation's trail with --instance and nothing of a workspace's", async () => {
    const r = await baton(['--instance', '--json']);
    expect(r.code).toBe(0);
    const entries = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({
        workspaceId: INSTANCE_AUDIT_WORKSPACE,
        action: 'user.sign_in_failed',
        target: { type: 'unknown_email', id: 'sha256:abc' },
        ip: '198.51.100.4',
      }),
    ]);
  });

  it('refuses bad flags by name and prints nothing', async () => {
    const r = await baton(['--limit', '0', '--since', 'last tuesday', '--instance', '--workspace', 'acme']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--instance: reads the installation trail/);
    expect(r.stderr).toMatch(/--limit: must be a whole number from 1 to 10000/);
    expect(r.stderr).toMatch(/--since: must be an ISO 8601 date/);
  });
});
