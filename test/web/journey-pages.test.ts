// The journey pages in a real browser (Debian's Chromium driven by playwright-core), launched as
// web-app.test.ts does: the app built with Vite and served by the real Fastify app over a temporary SQLite
// store. The workspace holds the report campaign (60 leads, a 20% holdout) the engine ran, an auto-winner
// campaign the engine decided, the default journey map, pricing views that move more enrolled contacts than
// held-out ones to Consideration, and an account whose contact opens an opportunity. The pages must show
// the API's numbers: the Sankey's nodes and links, the arms of the campaign, the account's timeline, the
// auto-winner decision; the list pages still page; axe-core finds nothing serious on the new pages.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { appendEvents } from '../../src/store/events.repository.js';
import { setJourney } from '../../src/store/journey/journey-map.repository.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { runAutoWinnerCampaign } from '../auto-winner-fixture.js';
import { reportCampaign, runReportCampaign, T0 } from '../report-fixture.js';
import { newWorkspace } from '../support/stores.js';
import {
  buildWebApp,
  launchChromium,
  listenLocally,
  seriousViolations,
  unlabeledFields,
} from './browser-support.js';

const SHOTS = process.env.BATON_SCREENSHOTS_DIR ?? join(import.meta.dirname, '../../test-results/journey');

interface Transition {
  from: string | null;
  to: string;
  count: number;
}

interface Flows {
  stages: Array<{ id: string; name: string }>;
  transitions: Transition[];
  time_in_stage: Array<{ stage: string; completed: number; current: number }>;
  conversion: Array<{ from: string; to: string; entered: number; reached: number }>;
  campaign: {
    treatment: { enrolled: number; moved: number; transitions: Transition[] };
    holdout: { enrolled: number; moved: number; transitions: Transition[] };
    lift: { difference: number } | null;
  } | null;
}

const DAY = 86_400_000;

describe('journey pages in Chromium', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const email = 'ada@example.com';
  const password = 'a long enough password';
  const bareEmail = 'bo@example.com';
  const now = Date.parse('2027-01-06T00:00:00Z');
  let accountId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-journey-web-'));
    mkdirSync(SHOTS, { recursive: true });
    const webDir = join(dir, 'web');
    await buildWebApp(webDir);
    store = openStore(`sqlite:${join(dir, 'baton.db')}`);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, T0);
    // The report fixture reads every enrollment of the workspace: it runs first. The auto-winner campaign's
    // people are MQLs, the report campaign's leads: the audiences do not meet.
    const run = await runReportCampaign(store, ws);
    await runAutoWinnerCampaign(store, ws, {
      id: 'subject-test',
      contacts: 400,
      lifecycle: 'mql',
      decide: true,
    });
    await new UsersRepository(store).create(ws, { email, password }, T0);
    // A second workspace that never saved a journey map, with its own user.
    const bare = await newWorkspace(store, T0);
    await new UsersRepository(store).create(bare, { email: bareEmail, password }, T0);
    await seedJourney(ws, run.treated, run.held);
    const clock = new SimulatedClock(now);
    app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost' }, { webDir });
    base = await listenLocally(app);
    browser = await launchChromium();
  }, 240_000);

  /**
   * Twelve accounts (one more page than ten); Acme Corp holds three treated contacts. The default journey
   * map puts everyone in Awareness (the three who booked a demo in Decision) on 2027-01-05 13:00; then half
   * the treated contacts and a quarter of the held-out ones view the pricing page (Consideration), and
   * Acme's first contact opens an opportunity of 12,000 (Decision).
   */
  async function seedJourney(ws: string, treated: string[], held: string[]): Promise<void> {
    const accounts = new AccountsRepository(store);
    const acme = await accounts.create(ws, { name: 'Acme Corp', domain: 'acme.example' }, T0);
    accountId = acme.id;
    for (let i = 0; i < 11; i++)
      await accounts.create(
        ws,
        { name: `Account ${String(i).padStart(2, '0')}`, domain: `a${i}.example` },
        T0,
      );
    const contacts = new ContactsRepository(store);
    const acmeContacts = treated.slice(4, 7);
    for (const [i, id] of acmeContacts.entries())
      await contacts.update(ws, id, { account_id: acme.id, first_name: 'Ada', last_name: `Acme${i}` }, T0);

    const mapAt = Date.parse('2027-01-05T13:00:00Z');
    await setJourney(store, ws, { preset: 'default' }, mapAt);
    const viewAt = mapAt + 3_600_000;
    const viewers = [
      ...treated.filter((_, i) => i % 2 === 0 || (i >= 4 && i < 7)),
      ...held.filter((_, i) => i % 4 === 0),
    ];
    await appendEvents(store.db, [
      ...viewers.map((contactId, i) => ({
        workspaceId: ws,
        type: 'pricing_page_viewed',
        occurredAt: viewAt + i * 60_000,
        receivedAt: viewAt + i * 60_000,
        contactId,
        messageId: `${ws}-pricing-${i}`,
      })),
    ]);
    await processEvents(store, viewAt + DAY / 4);
    const dealAt = viewAt + DAY / 4;
    await appendEvents(store.db, [
      {
        workspaceId: ws,
        type: 'Opportunity Created',
        occurredAt: dealAt,
        receivedAt: dealAt,
        contactId: acmeContacts[0]!,
        accountId: acme.id,
        properties: { amount: 12000, deal_id: 'opp-1' },
        messageId: `${ws}-opp-1`,
      },
    ]);
    await processEvents(store, dealAt + 60_000);
  }

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signedIn(
    path: string,
    as = email,
  ): Promise<{ page: Page; failures: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    await page.goto(`${base}${path}`);
    await page.getByLabel('Email').fill(as);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return { page, failures, close: () => context.close() };
  }

  const getJson = async <T>(page: Page, path: string): Promise<T> =>
    (await page.request.get(`${base}${path}`)).json() as Promise<T>;

  it('draws the stage moves as a Sankey with the API numbers, by range and per campaign arm', async () => {
    const { page, failures, close } = await signedIn('/campaigns');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journey' }).click();
    await page.getByRole('heading', { name: 'Buyer journey', level: 1 }).waitFor();

    const flows = await getJson<Flows>(page, '/api/v1/journey/flows');
    const name = (id: string | null) =>
      id === null ? 'Entered' : (flows.stages.find((s) => s.id === id)?.name ?? id);
    // The seeded moves: everyone entered, some moved on to Consideration and Decision.
    expect(flows.transitions.find((t) => t.from === null && t.to === 'awareness')?.count).toBeGreaterThan(0);
    expect(
      flows.transitions.find((t) => t.from === 'awareness' && t.to === 'consideration')?.count,
    ).toBeGreaterThan(0);
    expect(flows.transitions.some((t) => t.to === 'decision')).toBe(true);

    // The Sankey: a node per stage labelled with what flowed through it, a link label per move.
    const sankey = page.getByRole('img', { name: 'Sankey of the moves between journey stages' });
    await sankey.locator('svg').waitFor();
    await expect.poll(() => sankey.locator('svg text').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const texts = await sankey.locator('svg text').allTextContents();
    const inflow = new Map<string, number>();
    const outflow = new Map<string, number>();
    for (const t of flows.transitions) {
      outflow.set(name(t.from), (outflow.get(name(t.from)) ?? 0) + t.count);
      inflow.set(name(t.to), (inflow.get(name(t.to)) ?? 0) + t.count);
    }
    const nodeLabels = [...new Set([...inflow.keys(), ...outflow.keys()])].map(
      (n) => `${n}: ${Math.max(inflow.get(n) ?? 0, outflow.get(n) ?? 0)}`,
    );
    expect(texts.filter((t) => t.includes(': ')).sort()).toEqual(nodeLabels.sort());
    expect(
      texts
        .filter((t) => /^\d+$/.test(t))
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(flows.transitions.map((t) => t.count).sort((a, b) => a - b));

    // The same moves as a table, then time in stage and conversion, all as the API has them.
    const moves = page.getByRole('table', { name: 'Moves between stages' });
    await expect(moves.locator('tbody tr').allTextContents()).resolves.toEqual(
      flows.transitions.map((t) => `${name(t.from)}${name(t.to)}${t.count}`),
    );
    const stays = page.getByRole('table', { name: 'Time spent in each stage' });
    await expect(stays.locator('tbody tr').count()).resolves.toBe(flows.time_in_stage.length);
    for (const [i, s] of flows.time_in_stage.entries()) {
      const cells = await stays.locator('tbody tr').nth(i).locator('th, td').allTextContents();
      expect([cells[0], cells[1], cells[4]]).toEqual([name(s.stage), String(s.completed), String(s.current)]);
    }
    const conversion = page.getByRole('table', { name: 'Conversion from each stage to the next' });
    for (const [i, c] of flows.conversion.entries()) {
      const cells = await conversion.locator('tbody tr').nth(i).locator('td').allTextContents();
      expect(cells.slice(0, 4)).toEqual([name(c.from), name(c.to), String(c.entered), String(c.reached)]);
    }
    await page.screenshot({ path: join(SHOTS, 'journey.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // A range that ends before it starts: the API's reason shows next to To.
    await page.getByLabel('From', { exact: true }).fill('2027-01-05');
    await page.getByLabel('To', { exact: true }).fill('2027-01-01');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page.locator('#to-error').textContent()).resolves.toMatch(/after from/);
    await expect(page.getByLabel('To', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    // A range before anything happened, then the day the map was set.
    await page.getByLabel('From', { exact: true }).fill('2026-12-01');
    await page.getByLabel('To', { exact: true }).fill('2026-12-31');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('Nobody moved between stages in this range.').waitFor();
    await expect(page.locator('#to-error').count()).resolves.toBe(0);
    await page.getByLabel('From', { exact: true }).fill('2027-01-05');
    await page.getByLabel('To', { exact: true }).fill('2027-01-05');
    await page.getByRole('button', { name: 'Show' }).click();
    const day = await getJson<Flows>(page, '/api/v1/journey/flows?from=2027-01-05&to=2027-01-05');
    expect(day.transitions.length).toBeGreaterThan(0);
    await expect
      .poll(() => moves.locator('tbody tr').allTextContents(), { timeout: 60_000 })
      .toEqual(day.transitions.map((t) => `${name(t.from)}${name(t.to)}${t.count}`));
    expect(page.url()).toBe(`${base}/journey?from=2027-01-05&to=2027-01-05`);

    // Accounts instead of contacts.
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('People').selectOption('account');
    await page.getByRole('button', { name: 'Show' }).click();
    const ofAccounts = await getJson<Flows>(page, '/api/v1/journey/flows?subject=account');
    expect(ofAccounts.transitions.some((t) => t.to === 'decision')).toBe(true);
    await expect
      .poll(() => moves.locator('tbody tr').allTextContents(), { timeout: 60_000 })
      .toEqual(ofAccounts.transitions.map((t) => `${name(t.from)}${name(t.to)}${t.count}`));
    await page.getByLabel('People').selectOption('contact');

    // The report campaign: its enrolled contacts against its holdout.
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('Campaign').selectOption({ label: reportCampaign.name });
    await page.getByRole('button', { name: 'Show' }).click();
    const arms = page.getByRole('table', { name: 'Enrolled contacts against the holdout' });
    await arms.waitFor();
    const withCampaign = await getJson<Flows>(page, `/api/v1/journey/flows?campaign=${reportCampaign.id}`);
    const c = withCampaign.campaign!;
    expect(c.treatment.enrolled + c.holdout.enrolled).toBe(60);
    expect(c.treatment.moved).toBeGreaterThan(0);
    const armCells = async (i: number) =>
      (await arms.locator('tbody tr').nth(i).locator('td').allTextContents()).slice(0, 2);
    await expect(armCells(0)).resolves.toEqual([String(c.treatment.enrolled), String(c.treatment.moved)]);
    await expect(armCells(1)).resolves.toEqual([String(c.holdout.enrolled), String(c.holdout.moved)]);
    expect(c.lift).not.toBeNull();
    await expect(page.locator('p.lift').textContent()).resolves.toContain(
      `${(c.lift!.difference * 100).toFixed(1)}%`,
    );
    const perArm = page.getByRole('table', { name: 'Moves per arm after enrolling' });
    const treatedMoves = c.treatment.transitions.reduce((s, t) => s + t.count, 0);
    const heldMoves = c.holdout.transitions.reduce((s, t) => s + t.count, 0);
    const rows = await perArm.locator('tbody tr').all();
    let treatedShown = 0;
    let heldShown = 0;
    for (const r of rows) {
      const cells = await r.locator('td').allTextContents();
      treatedShown += Number(cells[2]);
      heldShown += Number(cells[3]);
    }
    expect([treatedShown, heldShown]).toEqual([treatedMoves, heldMoves]);
    await page.screenshot({ path: join(SHOTS, 'journey-campaign.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    for (const file of ['journey.png', 'journey-campaign.png']) {
      expect(statSync(join(SHOTS, file)).size).toBeGreaterThan(10_000);
      expect(readFileSync(join(SHOTS, file)).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(failures).toEqual([]);
    await close();
  }, 300_000);

  it("shows an account's journey timeline, the auto-winner decision, and the lists still page", async () => {
    const { page, failures, close } = await signedIn('/accounts');

    // Accounts: ten a page, twelve accounts.
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const accountsTable = page.getByRole('table', { name: /Accounts/ });
    await expect.poll(() => accountsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    const accountPager = page.getByRole('navigation', { name: 'Account pages' });
    await accountPager.getByRole('button', { name: 'Next' }).click();
    await accountPager.getByText('Page 2').waitFor();
    await expect.poll(() => accountsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(2);
    await accountPager.getByRole('button', { name: 'Previous' }).click();
    await accountPager.getByText('Page 1').waitFor();
    await page.getByLabel('Domain').fill('acme.example');
    await page.getByRole('button', { name: 'Search' }).click();
    await accountsTable.getByRole('link', { name: 'Acme Corp' }).click();
    await page.getByRole('heading', { name: 'Acme Corp', level: 1 }).waitFor();

    // Its journey timeline: the API's items, oldest first.
    await page.getByRole('link', { name: 'Journey timeline' }).click();
    await page.getByRole('heading', { name: 'Journey of Acme Corp', level: 1 }).waitFor();
    expect(page.url()).toBe(`${base}/accounts/${accountId}/journey`);
    type Item = {
      kind: 'touch' | 'stage' | 'deal';
      at: string;
      campaignId?: string;
      contactId?: string;
      from?: string | null;
      to?: string;
      type?: string;
      dealId?: string;
    };
    const timeline = await getJson<{ stage: string; items: Item[] }>(
      page,
      `/api/v1/journey/accounts/${accountId}/timeline`,
    );
    expect(timeline.stage).toBe('decision');
    const kinds = new Set(timeline.items.map((i) => i.kind));
    expect(kinds).toEqual(new Set(['touch', 'stage', 'deal']));
    const list = page.getByRole('list', { name: 'Touches, stage changes and deals, oldest first' });
    await expect
      .poll(() => list.locator('li').count(), { timeout: 60_000 })
      .toBe(Math.min(25, timeline.items.length));
    const texts = await list.locator('li').allTextContents();
    for (const [i, item] of timeline.items.slice(0, 25).entries()) {
      const text = texts[i]!;
      expect(text).toContain(`${item.at.slice(0, 16).replace('T', ' ')} UTC`);
      if (item.kind === 'touch') expect(text).toContain(item.campaignId!);
      if (item.kind === 'stage') expect(text).toContain(`${item.from ?? 'none'} → ${item.to}`);
      if (item.kind === 'deal') expect(text).toContain(`${item.type} 12,000`);
    }
    await page
      .locator('.facts')
      .getByText(`${timeline.items.filter((i) => i.kind === 'deal').length} deal(s)`)
      .waitFor();
    await page.screenshot({ path: join(SHOTS, 'account-journey.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // A range with nothing in it.
    await page.getByLabel('From', { exact: true }).fill('2026-06-01');
    await page.getByLabel('To', { exact: true }).fill('2026-06-30');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('Nothing happened on this account in the range.').waitFor();

    // Contacts still page (460 people, ten a page).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    const contactsTable = page.getByRole('table', { name: /Contacts/ });
    await expect.poll(() => contactsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    const first = await contactsTable.locator('tbody tr').first().textContent();
    const contactPager = page.getByRole('navigation', { name: 'Contact pages' });
    await contactPager.getByRole('button', { name: 'Next' }).click();
    await contactPager.getByText('Page 2').waitFor();
    await expect
      .poll(() => contactsTable.locator('tbody tr').first().textContent(), { timeout: 60_000 })
      .not.toBe(first);
    await page.getByLabel('Search', { exact: true }).fill('Acme');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => contactsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(3);
    await expect(contactPager.count()).resolves.toBe(0);

    // The auto-winner campaign's results show the decision the engine recorded.
    await page.goto(`${base}/campaigns/subject-test`);
    await page.getByRole('heading', { name: 'Subject test', level: 1 }).waitFor();
    const report = await getJson<{
      experiments: Array<{
        step: string;
        autoWinner: {
          variantId: string;
          released: number;
          decidedBy: string;
          decidedAt: string;
          reason: string;
        };
      }>;
    }>(page, '/api/v1/campaigns/subject-test/report');
    const w = report.experiments[0]!.autoWinner;
    expect(w).toMatchObject({ variantId: 'b', decidedBy: 'sequential_test' });
    const decision = page.getByRole('group', { name: 'Auto-winner decision for step intro' });
    await decision.waitFor();
    const text = (await decision.textContent()) ?? '';
    expect(text).toContain(`${w.variantId} sent to ${w.released} held contacts`);
    expect(text).toContain('sequential test');
    expect(text).toContain(`${w.decidedAt.slice(0, 16).replace('T', ' ')} UTC`);
    expect(text).toContain(w.reason);
    await page.screenshot({ path: join(SHOTS, 'auto-winner.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // From the campaign to its journey moves: the campaign is chosen, it has no holdout to compare with.
    await page
      .getByRole('link', { name: 'Journey moves of the enrolled contacts against the holdout' })
      .click();
    await page.getByRole('heading', { name: 'Did subject-test move people?', level: 2 }).waitFor();
    await expect(page.getByLabel('Campaign').inputValue()).resolves.toBe('subject-test');
    await page.getByText('No comparison yet: an arm has nobody enrolled.').waitFor();
    expect(failures).toEqual([]);
    await close();
  }, 300_000);

  it('says when the workspace has no journey map yet', async () => {
    const { page, failures, close } = await signedIn('/journey', bareEmail);
    await page.getByRole('heading', { name: 'Buyer journey', level: 1 }).waitFor();
    const stages = await getJson<{ enabled: boolean }>(page, '/api/v1/journey/stages');
    expect(stages.enabled).toBe(false);
    await page
      .getByRole('status')
      .getByText(/no journey map yet/)
      .waitFor();
    await page.getByText('Nobody moved between stages in this range.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(failures).toEqual([]);
    await close();
  }, 120_000);
});
