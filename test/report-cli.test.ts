// The real `baton report` and `baton clone` (src/cli/main.ts under tsx) against a temporary SQLite store.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReview } from '../src/store/campaign-review.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { reportCampaign, runReportCampaign, T0 } from './report-fixture.js';
import { tempSqliteUrl } from './support/stores.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('baton report and baton clone (CLI)', () => {
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
    const ws = (await new WorkspacesRepository(store).ensure('acme-marketing', T0)).id;
    const run = await runReportCampaign(store, ws);
    run.clock.set(Date.parse('2027-01-22T17:00:00Z'));
    await run.worker.tick();
    await writeReview(store, ws, reportCampaign.id, 'Subject lines matter.', 'cli-test', run.clock.now());
    await store.close();
  }, 150_000);
  afterAll(() => tmp.cleanup());

  it('prints the report sections as text, and the same report as JSON', async () => {
    const text = await baton(['report', reportCampaign.id, '--as-of', '2027-01-23T00:00:00Z']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    for (const s of ['Goal', 'Pacing', 'Funnel', 'Attribution', 'Experiments', 'Holdout lift', 'Learnings'])
      expect(text.stdout).toMatch(new RegExp(`^${s}`, 'm'));
    expect(text.stdout).toContain('MISSED by 3 (2 of 5');
    expect(text.stdout).toContain('Subject lines matter.');

    const json = await baton(['report', reportCampaign.id, '--json', '--as-of', '2027-01-23T00:00:00Z']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.campaign.status).toBe('reviewed');
    expect(r.goal).toMatchObject({ actual: 2, target: 5, outcome: 'missed' });
    expect(r.asOf).toBe('2027-01-23T00:00:00.000Z');

    const bad = await baton(['report', reportCampaign.id, '--as-of', 'yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--as-of');
  }, 150_000);

  it('clones the reviewed campaign into a draft and refuses a missing one', async () => {
    const res = await baton(['clone', reportCampaign.id, '--name', 'Report push, take two']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('created draft report-push-take-two');
    const missing = await baton(['clone', 'nope', '--name', 'x']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nope');
  }, 150_000);
});
