// The web app in a real browser (Debian's Chromium driven by playwright-core): the app is built with Vite,
// served by the real Fastify app on a random port over a temporary SQLite store with a campaign the engine
// ran; a user signs in through the page, sees the campaign in the list and opens it.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { reportCampaign, runReportCampaign, T0 } from '../report-fixture.js';
import { newWorkspace } from '../support/stores.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Form fields on the page with no label (the issue asks for a label on every field). */
function unlabeledFields(page: Page): Promise<string[]> {
  // A string, evaluated in the page: the test's own type check has no DOM library.
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.labels?.length === 0 && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 80))`);
}

describe('web app in Chromium', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const email = 'grace@example.com';
  const password = 'a long enough password';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-web-'));
    const webDir = join(dir, 'web');
    await build({
      configFile: join(import.meta.dirname, '../../web/vite.config.ts'),
      build: { outDir: webDir, emptyOutDir: true },
      logLevel: 'warn',
    });
    store = openStore(`sqlite:${join(dir, 'baton.db')}`);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, T0);
    await runReportCampaign(store, ws);
    await new UsersRepository(store).create(ws, { email, password }, T0);
    const clock = new SimulatedClock(Date.parse('2027-01-06T00:00:00Z'));
    app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost' }, { webDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in, lists the campaign with its goal progress and opens its page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));

    // A deep link is answered with the app, which asks to sign in first.
    await page.goto(`${base}/campaigns`);
    await page.getByRole('heading', { name: 'Sign in to Baton' }).waitFor();
    expect(await unlabeledFields(page)).toEqual([]);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(
      /email or the password is not right/,
    );
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const row = page.getByRole('row', { name: /Report push/ });
    await row.waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'baton_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });

    // The numbers on the page are the API's.
    const report = (await (
      await page.request.get(`${base}/api/v1/campaigns/${reportCampaign.id}/report`)
    ).json()) as {
      goal: { actual: number; target: number };
      pacing: { status: string };
      funnel: { campaign: { counts: { enrolled: number; touched: number } } };
    };
    expect(report.goal).toMatchObject({ actual: 2, target: 5 });
    await row.getByText(`${report.goal.actual} / ${report.goal.target}`).waitFor();
    const rowText = (await row.textContent()) ?? '';
    expect(rowText).toContain('running');
    expect(rowText).toContain('campaign');
    expect(rowText).toContain('2027-01-04 09:00 → 2027-01-22 17:00 (UTC)');
    expect(rowText).toContain(report.pacing.status.replace(/_/g, ' '));
    const shots = process.env.BATON_SCREENSHOTS_DIR ?? join(dir, 'screenshots');
    await page.screenshot({ path: join(shots, 'campaigns.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);

    await row.getByRole('link', { name: 'Report push' }).click();
    await page.getByRole('heading', { name: 'Report push', level: 1 }).waitFor();
    expect(page.url()).toBe(`${base}/campaigns/report-push`);
    const goal = (await page.locator('section[aria-labelledby="goal"]').textContent()) ?? '';
    expect(goal).toContain('conversions of demo_booked, target 5');
    expect(goal).toContain('2 / 5');
    await expect(page.locator('.status').first().textContent()).resolves.toBe('running');
    await page.getByRole('button', { name: 'pause' }).waitFor();

    // The funnel chart renders (SVG) with the API's counts.
    const funnel = page.getByRole('img', { name: 'Funnel of distinct contacts per stage' });
    await funnel.locator('svg').waitFor();
    await expect(funnel.textContent()).resolves.toContain(
      `enrolled ${report.funnel.campaign.counts.enrolled}`,
    );
    await page
      .getByRole('img', { name: /Attributed conversions per channel/ })
      .locator('svg')
      .waitFor();
    await page.screenshot({ path: join(shots, 'campaign.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);

    // Pause from the page: the status follows the API.
    await page.getByRole('button', { name: 'pause' }).click();
    await page.getByRole('button', { name: 'resume' }).waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('paused');

    // End it (after the confirmation), write the review, and clone the next campaign from it.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'end' }).click();
    await page.getByLabel('What the team learned').waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('completed');
    await page.getByLabel('What the team learned').fill('Variant b needs a longer test.');
    await page.getByRole('button', { name: 'Save learnings' }).click();
    await page.getByLabel('Name of the next campaign').waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('reviewed');
    await page.getByText('Variant b needs a longer test.', { exact: true }).first().waitFor();
    await page.getByLabel('Name of the next campaign').fill('Report push 2');
    await page.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'Report push 2', level: 1 }).waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('draft');

    for (const name of ['campaigns.png', 'campaign.png']) {
      const file = join(shots, name);
      expect(statSync(file).size).toBeGreaterThan(10_000);
      expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(failures).toEqual([]);
    await context.close();
  }, 240_000);

  it('creates a draft from a pasted spec, shows the blocking guardrail, fixes it, launches, draws the calendar', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    expect(await unlabeledFields(page)).toEqual([]);

    const spec = (priority: number) =>
      [
        'id: web-draft',
        'name: Web draft',
        'objective: leads',
        `priority: ${priority}`,
        'channels: [log]',
        'sequence:',
        '  - { id: hello, channel: log }',
      ].join('\n');
    // A schema error names its field.
    await page.getByLabel('Campaign spec').fill(spec(500));
    await page.getByRole('button', { name: 'Save draft' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/body\.priority.*priority is 0 to 100/);

    // The guardrails run on the unsaved spec: no goal is blocking, at its path.
    await page.getByLabel('Campaign spec').fill(spec(60));
    await page.getByRole('button', { name: 'Check' }).click();
    const blocking = page
      .locator('.finding-blocking', { hasText: 'goal_missing' })
      .or(page.locator('.finding-blocking', { hasText: 'has no goal' }));
    await blocking.first().waitFor();
    await expect(blocking.first().locator('code').textContent()).resolves.toBe('goal');

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('heading', { name: 'Web draft', level: 1 }).waitFor();
    expect(page.url()).toBe(`${base}/campaigns/web-draft`);
    const csrf = (await context.cookies()).find((c) => c.name === 'baton_csrf')!.value;
    const lint = (await (
      await page.request.post(`${base}/api/v1/campaigns/web-draft/lint`, {
        headers: { 'x-csrf-token': csrf },
      })
    ).json()) as { blocking: number };
    expect(lint.blocking).toBeGreaterThan(0);
    await page.getByText(`Launch is disabled: ${lint.blocking} blocking finding(s)`).waitFor();
    await expect(page.getByRole('button', { name: 'launch' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('heading', { name: 'Forecast' }).waitFor();
    const shots = process.env.BATON_SCREENSHOTS_DIR ?? join(dir, 'screenshots');
    await page.screenshot({ path: join(shots, 'draft.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);

    // Fix it in the spec editor: the findings clear, Launch is enabled and schedules the campaign.
    await page.getByText('Edit the spec (revision 1)').click();
    await page
      .getByLabel('Campaign spec')
      .fill(
        [
          spec(60),
          'goal: { metric: conversions, event: demo_booked, target: 5, lookback_days: 14 }',
          "window: { start: '2027-02-01T09:00', end: '2027-02-20T17:00', timezone: UTC }",
        ].join('\n'),
      );
    await page.getByRole('button', { name: 'Save revision' }).click();
    await page.getByText('Edit the spec (revision 2)').waitFor();
    await expect(page.locator('.finding-blocking').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'launch' }).isEnabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'launch' }).click();
    await page.getByRole('button', { name: 'pause' }).waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('scheduled');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
    await page.getByRole('heading', { name: 'Calendar', level: 1 }).waitFor();
    const cal = (await (await page.request.get(`${base}/api/v1/calendar`)).json()) as {
      totals: { planned: number; sent: number; collisions: number };
    };
    expect(cal.totals.sent).toBeGreaterThan(0);
    await page
      .getByText(
        `${cal.totals.planned} planned and ${cal.totals.sent} sent touches, ${cal.totals.collisions} collisions`,
      )
      .waitFor();
    await page
      .getByRole('img', { name: /Touches per day/ })
      .locator('svg')
      .waitFor();
    await page.screenshot({ path: join(shots, 'calendar.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(failures).toEqual([]);
    await context.close();
  }, 240_000);
});
