// The Import page in a real browser (Debian's Chromium driven by playwright-core), over the real Fastify app
// and a temporary SQLite store: a marketer uploads a contacts CSV of 4,000 rows (two of them invalid) with
// "import the valid rows" ticked, sees the progress bar while the server imports, then the counts — the same
// numbers GET /api/v1/imports answers — and the rejected rows with their line numbers. axe-core finds
// nothing serious or critical and every field has a label.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import type { AppContext } from '../../src/api/context.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { newWorkspace } from '../support/stores.js';
import {
  buildWebApp,
  launchChromium,
  listenLocally,
  seriousViolations,
  unlabeledFields,
} from './browser-support.js';

const SHOTS = process.env.BATON_SCREENSHOTS_DIR ?? join(import.meta.dirname, '../../test-results/import');
const T0 = Date.parse('2027-01-04T12:00:00Z');
const ROWS = 4000;
const BAD_LINES = [101, 2502];

interface ImportList {
  data: Array<{
    status: string;
    result: { rows: number; inserted: number; updated: number; rejected: number } | null;
  }>;
}

describe('Import page in Chromium', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  /** Kept to lower the upload limit the routes read (BATON_IMPORT_MAX_BYTES in `baton serve`). */
  let ctx: AppContext;
  let browser: Browser;
  let base: string;
  let csvPath: string;
  const email = 'mia@example.com';
  const password = 'a long enough password';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-import-web-'));
    mkdirSync(SHOTS, { recursive: true });
    const webDir = join(dir, 'web');
    await buildWebApp(webDir);
    store = openStore(`sqlite:${join(dir, 'baton.db')}`);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, T0);
    await new UsersRepository(store).create(ws, { email, password, role: 'marketer' }, T0);
    // Line 1 is the header, so data row i (0-based) is on line i + 2. A long note column makes the file a
    // few megabytes, read in several chunks.
    const lines = ['email,first_name,note'];
    for (let i = 0; i < ROWS; i++) {
      const line = i + 2;
      const address = BAD_LINES.includes(line) ? `broken-${i}` : `person${i}@example.com`;
      lines.push(`${address},P${i},${'x'.repeat(600)}`);
    }
    csvPath = join(dir, 'people.csv');
    writeFileSync(csvPath, lines.join('\n') + '\n');
    const clock = new SimulatedClock(T0);
    ctx = { store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost' };
    app = await buildApp(ctx, { webDir });
    base = await listenLocally(app);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a CSV, shows the progress bar, then the API’s counts and the rejected lines', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    await page.goto(`${base}/import`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Import contacts or accounts' }).waitFor();
    await expect(
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).count(),
    ).resolves.toBe(1);
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // Without a file: the reason next to the file field, nothing sent.
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.locator('#file-error').textContent()).resolves.toMatch(/choose a CSV file/);

    // Over the upload limit: the API's 413 next to the file field, no import started.
    ctx.importMaxBytes = 100_000;
    try {
      await page.getByLabel('CSV file', { exact: true }).setInputFiles(csvPath);
      await page.getByRole('button', { name: 'Upload' }).click();
      await page.locator('#file-error', { hasText: 'larger than 97 KB' }).waitFor();
      expect(await page.getByLabel('CSV file', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await page.screenshot({ path: join(SHOTS, 'import-too-large.png'), fullPage: true });
    } finally {
      delete ctx.importMaxBytes;
    }

    await page.getByLabel('What the file holds').selectOption('contacts');
    await page.getByLabel('CSV file', { exact: true }).setInputFiles(csvPath);
    await page.getByLabel('Import the valid rows and report the others').check();
    // Records every appearance of the bar (it may be on screen for less than a poll of the test).
    await page.evaluate(`window.__barSeen = false;
      new MutationObserver(() => {
        if (document.querySelector('progress[aria-label="Import progress"]')) window.__barSeen = true;
      }).observe(document.body, { childList: true, subtree: true });`);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('heading', { name: 'Imported' }).waitFor({ timeout: 120_000 });
    expect(await page.evaluate('window.__barSeen')).toBe(true);

    const shown = async (id: string): Promise<number> =>
      Number(((await page.getByTestId(id).textContent()) ?? '').replace(/,/g, ''));
    const list = (await (await page.request.get(`${base}/api/v1/imports`)).json()) as ImportList;
    expect(list.data).toHaveLength(1);
    const api = list.data[0]!;
    expect(api.status).toBe('done');
    expect(api.result).toEqual(
      expect.objectContaining({ rows: ROWS, inserted: ROWS - 2, updated: 0, rejected: 2 }),
    );
    expect(await shown('count-rows')).toBe(api.result!.rows);
    expect(await shown('count-inserted')).toBe(api.result!.inserted);
    expect(await shown('count-updated')).toBe(api.result!.updated);
    expect(await shown('count-rejected')).toBe(api.result!.rejected);

    const rejected = page.getByRole('table').getByRole('row');
    await expect(rejected.count()).resolves.toBe(3);
    for (const [i, line] of BAD_LINES.entries()) {
      const cells = await rejected
        .nth(i + 1)
        .getByRole('cell')
        .allTextContents();
      expect(cells[0]).toBe(String(line));
      expect(cells[1]).toBe('email');
    }
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'import-done.png'), fullPage: true });
    expect(failures).toEqual([]);
    await context.close();
  }, 240_000);
});
