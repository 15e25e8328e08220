// From launch to results in a real browser (Debian's Chromium driven by playwright-core), on a server in test
// mode: a user signs in, a campaign created over the API shows the forecast the API computes, is launched from
// its page (with progress while the launch runs), the simulated clock is moved through the test-only endpoint
// while the in-process worker sends the touches and turns ingested events into conversions, and Results shows
// the API's funnel and attribution numbers cell by cell. The campaign is then ended, reviewed and cloned, and a
// sales task it made is opened; axe-core and the label check run at each step. Screenshots go to
// test-results/launch-to-results/ (git-ignored) for review.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { defaultChannels } from '../../src/channels/registry.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
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

const SHOTS = join(import.meta.dirname, '../../test-results/launch-to-results');

/** A screenshot under test-results/launch-to-results/, then the two accessibility checks. */
async function checkpoint(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  expect(await unlabeledFields(page), `unlabeled fields at ${name}`).toEqual([]);
  expect(await seriousViolations(page), `axe at ${name}`).toEqual([]);
}

/** A number as the app shows it in a numbers table: whole numbers as they are, others with `digits` decimals. */
const shown = (x: number, digits: number): string =>
  Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(digits);

const CONTACTS = 12;
const CONVERTERS = 5;

const SPEC = (assignee: string) => ({
  id: 'launch-e2e',
  name: 'Launch to results',
  objective: 'leads',
  goal: { metric: 'conversions', event: 'demo_booked', target: 8, lookback_days: 14 },
  window: { start: '2027-03-01T09:00', end: '2027-03-12T17:00', timezone: 'UTC' },
  audience: { segment: { all: [{ attribute: 'lifecycle_stage', op: 'eq', value: 'lead' }] } },
  channels: ['log', 'webhook', 'task'],
  sequence: [
    { id: 'hello', channel: 'log' },
    { id: 'ping', channel: 'webhook', delay: '1d', webhook: { url: 'https://hooks.example.test/baton' } },
    // Due with the ping, but the workspace's cap of one counted touch a day (log is exempt) moves it a day.
    {
      id: 'call',
      channel: 'task',
      delay: '0d',
      task: { type: 'call', assignee, instructions: 'Ask about the demo' },
    },
  ],
});

interface Forecast {
  audience: { contacts: number; treatment: number; holdout: number };
  days: Array<{ date: string; channels: Record<string, number>; total: number }>;
  totals: { touches: number; conditional: number; window_closed: number };
  capped: { people: number; touches: number };
}
type Counts = Record<string, number>;
interface Report {
  goal: { actual: number; target: number };
  funnel: {
    campaign: { counts: Counts };
    channels: Array<{ channel: string; counts: Counts }>;
    steps: Array<{ step: string; counts: Counts }>;
  };
  attribution: {
    available: boolean;
    byChannel: {
      channels: string[];
      models: Array<{ model: string; credits: Array<{ channel: string; conversions: number }> }>;
    };
  };
}

describe('launch to results in Chromium, on a server in test mode', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let ingestAuth: string;
  const email = 'lin@example.com';
  const password = 'a long enough password';
  const start = Date.parse('2027-03-01T08:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-e2e-'));
    mkdirSync(SHOTS, { recursive: true });
    const webDir = join(dir, 'web');
    await buildWebApp(webDir);
    store = openStore(`sqlite:${join(dir, 'baton.db')}`);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, start);
    await new UsersRepository(store).create(ws, { email, password }, start);
    const { key } = await new ApiKeysRepository(store).create(
      ws,
      { kind: 'ingest', scopes: ['ingest'] },
      start,
    );
    ingestAuth = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    // Test mode, wired as `baton serve --test-mode` wires it: one simulated clock for the API and the worker,
    // which ticks only when POST /api/v1/test/clock moves it.
    const clock = new SimulatedClock(start);
    const worker = new Worker(store, defaultChannels(store), clock, { workerId: 'e2e', processEvents });
    app = await buildApp(
      { store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost' },
      { webDir, testMode: { clock, worker } },
    );
    base = await listenLocally(app);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('launches with progress, moves the clock, and shows the API’s forecast, funnel and attribution', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));

    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in to Baton' }).waitFor();
    await checkpoint(page, 'sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();

    // The session's own calls: the CSRF token rides along on writes.
    const csrf = (await context.cookies()).find((c) => c.name === 'baton_csrf')!.value;
    const api = async <T>(method: 'GET' | 'POST', path: string, data?: object): Promise<T> => {
      const res = await page.request.fetch(`${base}/api/v1${path}`, {
        method,
        headers: { 'x-csrf-token': csrf },
        ...(data ? { data } : {}),
      });
      expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
      return res.json() as Promise<T>;
    };
    for (let i = 1; i <= CONTACTS; i++) {
      await api('POST', '/contacts', {
        external_id: `lead-${i}`,
        email: `lead${i}@example.test`,
        first_name: 'Lead',
        last_name: String(i),
        lifecycle_stage: 'lead',
      });
    }
    await api('POST', '/campaigns', SPEC(email));

    // Before launch: the forecast on the page is the API's, day by day and channel by channel.
    await page.goto(`${base}/campaigns/launch-e2e`);
    await page.getByRole('heading', { name: 'Launch to results', level: 1 }).waitFor();
    const forecast = await api<Forecast>('GET', '/campaigns/launch-e2e/forecast');
    expect(forecast.audience.contacts).toBe(CONTACTS);
    expect(forecast.totals.touches).toBe(3 * CONTACTS);
    expect(forecast.capped.people).toBe(CONTACTS);
    const section = page.locator('section[aria-labelledby="forecast"]');
    const table = section.getByRole('table', { name: /Touches per day and channel/ });
    await table.waitFor();
    const summary = (await section.locator('p').first().textContent()) ?? '';
    expect(summary).toContain(`${forecast.audience.contacts} contacts`);
    expect(summary).toContain(`${forecast.totals.touches} touches planned`);
    expect(summary).toContain(`${forecast.capped.people} people pushed by frequency caps`);
    expect(summary).toContain(`${forecast.totals.window_closed} touches would fall after the end`);
    const channels = (await table.locator('thead th').allTextContents()).slice(1, -1);
    expect(new Set(channels)).toEqual(new Set(['log', 'webhook', 'task']));
    const rows = table.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(forecast.days.length);
    for (const [i, day] of forecast.days.entries()) {
      expect(await rows.nth(i).locator('th, td').allTextContents()).toEqual([
        day.date,
        ...channels.map((c) => String(day.channels[c] ?? 0)),
        String(day.total),
      ]);
    }
    await section.getByRole('img', { name: 'Forecast touches per day and channel' }).locator('svg').waitFor();
    await checkpoint(page, 'forecast');

    // Launch: while the request runs (held here, as a large audience would hold it) the page says so.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/v1/campaigns/launch-e2e/launch', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'launch' }).click();
    const working = page.getByRole('status').filter({ hasText: 'Launching' });
    await working.waitFor();
    await expect(working.locator('progress').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'launch' }).isDisabled()).resolves.toBe(true);
    await checkpoint(page, 'launching');
    release();
    await page.getByRole('button', { name: 'pause' }).waitFor();
    await page.unroute('**/api/v1/campaigns/launch-e2e/launch');
    await expect.poll(() => working.count(), { timeout: 60_000 }).toBe(0);
    await expect(page.locator('.status').first().textContent()).resolves.toBe('scheduled');
    const sending = page.locator('.sending');
    await expect(sending.textContent()).resolves.toContain(`${CONTACTS} contacts enrolled; 0 touched`);
    await checkpoint(page, 'launched');

    // The clock, moved through the test-only endpoint in steps of six hours (a session idle for eight ends,
    // and each call uses it): the window opens, the first two steps go out.
    let clockAt = start;
    const advanceTo = async (to: string): Promise<number> => {
      let sent = 0;
      while (clockAt < Date.parse(to)) {
        const next = Math.min(Date.parse(to), clockAt + 6 * 3_600_000);
        const r = await api<{ now: string; worker: { sent: number } }>('POST', '/test/clock', {
          to: new Date(next).toISOString(),
        });
        expect(r.now).toBe(new Date(next).toISOString());
        clockAt = next;
        sent += r.worker.sent;
      }
      return sent;
    };
    expect(await advanceTo('2027-03-02T12:00:00Z')).toBe(2 * CONTACTS);
    // Five leads book a demo (Segment-compatible ingestion), then the clock moves on: the worker turns the
    // events into conversions, the converted leads leave the sequence, the others' call tasks fall due.
    for (let i = 1; i <= CONVERTERS; i++) {
      const res = await page.request.post(`${base}/v1/track`, {
        headers: { authorization: ingestAuth },
        data: { userId: `lead-${i}`, event: 'demo_booked' },
      });
      expect(res.status()).toBe(200);
    }
    expect(await advanceTo('2027-03-04T12:00:00Z')).toBe(CONTACTS - CONVERTERS);

    // Results: the page's funnel and attribution tables hold the API's numbers, cell by cell.
    await sending.getByRole('button', { name: 'Refresh' }).click();
    await expect
      .poll(() => page.locator('.status').first().textContent(), { timeout: 60_000 })
      .toBe('running');
    const report = await api<Report>('GET', '/campaigns/launch-e2e/report');
    const counts = report.funnel.campaign.counts;
    expect(counts.enrolled).toBe(CONTACTS);
    expect(counts.touched).toBe(CONTACTS);
    expect(counts.converted).toBe(CONVERTERS);
    expect(report.goal).toMatchObject({ actual: CONVERTERS, target: 8 });
    await expect
      .poll(() => sending.textContent(), { timeout: 60_000 })
      .toContain(`${counts.enrolled} contacts enrolled; ${counts.touched} touched so far`);
    await expect(
      sending.getByRole('progressbar', { name: /Enrolled contacts touched/ }).getAttribute('value'),
    ).resolves.toBe('1');
    await expect(page.locator('section[aria-labelledby="goal"]').textContent()).resolves.toContain(
      `${report.goal.actual} / ${report.goal.target}`,
    );

    const results = page.locator('section[aria-labelledby="results"]');
    const funnelTable = results.locator('table.numbers').first();
    const stages = (await funnelTable.locator('thead th').allTextContents()).slice(1);
    expect(stages).toContain('converted');
    const funnelRows = [
      { name: 'campaign', counts },
      ...report.funnel.channels.map((r) => ({ name: r.channel, counts: r.counts })),
    ];
    expect(report.funnel.channels.map((r) => r.channel).sort()).toEqual(['log', 'task', 'webhook']);
    await expect(funnelTable.locator('tbody tr').count()).resolves.toBe(funnelRows.length);
    for (const [i, row] of funnelRows.entries()) {
      const cells = await funnelTable.locator('tbody tr').nth(i).locator('th, td').allTextContents();
      expect(cells[0]).toBe(row.name);
      expect(cells.slice(1).map((c) => c.replace('*', ''))).toEqual(stages.map((s) => String(row.counts[s])));
    }
    await results
      .getByRole('img', { name: 'Funnel of distinct contacts per stage' })
      .locator('svg')
      .waitFor();

    expect(report.attribution.available).toBe(true);
    const byChannel = report.attribution.byChannel;
    const credited = byChannel.models.flatMap((m) => m.credits.map((c) => c.conversions));
    expect(credited.some((x) => x > 0)).toBe(true);
    const attribution = results.locator('table.attribution');
    expect((await attribution.locator('thead th').allTextContents()).slice(1)).toEqual(byChannel.channels);
    await expect(attribution.locator('tbody tr').count()).resolves.toBe(byChannel.models.length);
    for (const [i, m] of byChannel.models.entries()) {
      const cells = await attribution.locator('tbody tr').nth(i).locator('th, td').allTextContents();
      expect(cells).toEqual([
        m.model.replace(/_/g, ' '),
        ...byChannel.channels.map((c) => shown(m.credits.find((x) => x.channel === c)?.conversions ?? 0, 2)),
      ]);
      // Every model hands out exactly the conversions it attributed.
      const sum = m.credits.reduce((s, c) => s + c.conversions, 0);
      expect(sum).toBeCloseTo(CONVERTERS, 6);
    }
    await results
      .getByRole('img', { name: /Attributed conversions per channel/ })
      .locator('svg')
      .waitFor();
    await checkpoint(page, 'results');

    // End it: the review form appears, passes the checks, and keeps the learnings.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'end' }).click();
    await page.getByLabel('What the team learned').waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('completed');
    await checkpoint(page, 'ended');
    await page.getByLabel('What the team learned').fill('Calls after the webhook ping converted best.');
    await page.getByRole('button', { name: 'Save learnings' }).click();
    await page.getByLabel('Name of the next campaign').waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('reviewed');
    await page.getByText('Calls after the webhook ping converted best.', { exact: true }).first().waitFor();
    await checkpoint(page, 'reviewed');
    await page.getByLabel('Name of the next campaign').fill('Launch to results 2');
    await page.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'Launch to results 2', level: 1 }).waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('draft');
    await checkpoint(page, 'cloned');

    // The call tasks the campaign made: the task dialog passes the checks too.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    const tasks = page.getByRole('table', { name: /Tasks/ });
    await tasks
      .locator('tbody tr')
      .first()
      .getByRole('button', { name: /^Work on/ })
      .click();
    await page.getByRole('heading', { name: /call for/ }).waitFor();
    await page.getByText('Ask about the demo').first().waitFor();
    await checkpoint(page, 'task-dialog');

    for (const name of ['forecast', 'launching', 'results', 'reviewed', 'task-dialog']) {
      const file = join(SHOTS, `${name}.png`);
      expect(statSync(file).size).toBeGreaterThan(10_000);
      expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(failures).toEqual([]);
    await context.close();
  }, 300_000);
});
