// The real `baton segment preview FILE.yaml` (src/cli/main.ts under tsx) against a temporary SQLite store.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { tempSqliteUrl } from './support/stores.js';
import { NOW, insertAccounts, insertContacts, insertEvents } from './segments-fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('baton segment preview (CLI)', () => {
  const tmp = tempSqliteUrl();
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
    const ws = (await new WorkspacesRepository(store).ensure('acme-marketing', NOW)).id;
    const [acme] = await insertAccounts(store, ws, [{ domain: 'acme.com', name: 'Acme', industry: 'SaaS' }]);
    const [ann] = await insertContacts(store, ws, [
      { email: 'ann@acme.com', first_name: 'Ann', lifecycle_stage: 'lead', account_id: acme! },
      {
        email: 'bob@acme.com',
        lifecycle_stage: 'lead',
        account_id: acme!,
        subscription_status: 'unsubscribed',
      },
      { email: 'cy@else.org', lifecycle_stage: 'customer' },
    ]);
    // Relative to the real clock the CLI runs on: an event "now" is within any recent window.
    await insertEvents(store, ws, [
      { contact_id: ann!, type: 'pricing_page_viewed', occurred_at: Date.now() },
    ]);
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  it('previews the audience of a campaign file', async () => {
    const file = join(tmp.dir, 'campaign.yaml');
    writeFileSync(
      file,
      [
        'id: q1-launch',
        'name: Q1 launch',
        'audience:',
        '  segment:',
        '    all:',
        '      - { attribute: lifecycle_stage, op: in, value: [lead, mql] }',
        '      - { attribute: account.industry, op: eq, value: SaaS }',
        '',
      ].join('\n'),
    );
    const res = await baton(['segment', 'preview', file]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Audience: 1 contacts (50.0% of 2 contacts reachable by email)');
    expect(res.stdout).toMatch(/unsubscribed\s+1/);
    expect(res.stdout).toContain('ann@acme.com  Ann  lead');

    writeFileSync(file, 'audience:\n  segment: { attribute: account.colour, op: eq, value: red }\n');
    const bad = await baton(['segment', 'preview', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('audience.segment.attribute: "account.colour" is not a known field');
  }, 90_000);

  it('takes a bare rule, prints JSON, and exits 2 naming the bad node', async () => {
    const file = join(tmp.dir, 'rule.yaml');
    writeFileSync(file, 'event: pricing_page_viewed\nwithin_days: 7\n');
    const res = await baton(['segment', 'preview', file, '--json', '--channel', 'none']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ count: 1, matched: 1, channel: 'none' });

    writeFileSync(file, 'any:\n  - { attribute: lifecycle_stage, op: in, value: [] }\n');
    const bad = await baton(['segment', 'preview', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('segment.any.0.value: `in` needs at least one value in its list');
  }, 120_000);
});
