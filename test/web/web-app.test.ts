// The web app in a real browser (Debian's Chromium driven by playwright-core): the app is built with Vite,
// served by the real Fastify app on a random port over a temporary SQLite store with a campaign the engine
// ran; a user signs in through the page, sees the campaign in the list and opens it, works the sales-task
// inbox, looks people and accounts up and reads the audit trail. axe-core checks every page it visits.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { AccountsRepository } from '../../src/store/accounts.repository.js';
import { recordAudit } from '../../src/store/audit.repository.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { newId } from '../../src/store/ids.js';
import { ListsRepository } from '../../src/store/lists.repository.js';
import { defaultChannels } from '../../src/channels/registry.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { processEvents } from '../../src/engine/event-processor.js';
import { Worker } from '../../src/engine/worker.js';
import { EmailSendersRepository } from '../../src/store/email-senders.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { reportCampaign, runReportCampaign, T0 } from '../report-fixture.js';
import { startSmtp, type TestSmtp } from '../email/smtp.js';
import { newWorkspace } from '../support/stores.js';
import {
  buildWebApp,
  launchChromium,
  listenLocally,
  seriousViolations,
  unlabeledFields,
} from './browser-support.js';

// Screenshots of every page for review (git-ignored); BATON_SCREENSHOTS_DIR puts them elsewhere.
const SHOTS = process.env.BATON_SCREENSHOTS_DIR ?? join(import.meta.dirname, '../../test-results/web-app');

describe('web app in Chromium', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const email = 'grace@example.com';
  const password = 'a long enough password';
  const now = Date.parse('2027-01-06T00:00:00Z');
  let userId: string;

  let accountId: string;
  let accountContacts: string[];
  let clock: SimulatedClock;
  let smtp: TestSmtp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-web-'));
    const webDir = join(dir, 'web');
    await buildWebApp(webDir);
    store = openStore(`sqlite:${join(dir, 'baton.db')}`);
    await migrateToLatest(store);
    const ws = await newWorkspace(store, T0);
    await runReportCampaign(store, ws);
    userId = (await new UsersRepository(store).create(ws, { email, password }, T0)).id;
    await seedSalesData(ws);
    // The planned campaign's emails go to a real SMTP server once the clock reaches its start.
    smtp = await startSmtp();
    await new EmailSendersRepository(store).upsert(
      ws,
      {
        email: 'grace@mail.example.org',
        name: 'Grace at Baton',
        postal_address: '1 Dock Road, Leith EH6 6AA, United Kingdom',
        smtp_url: smtp.url,
      },
      T0,
    );
    clock = new SimulatedClock(now);
    app = await buildApp({ store, clock, secret: 's'.repeat(40), publicUrl: 'http://localhost' }, { webDir });
    base = await listenLocally(app);
    browser = await launchChromium();
  }, 240_000);

  /**
   * Twelve open call tasks on the campaign's touches, due six hours apart from 2027-01-05 09:00 UTC (the
   * first two are past their overdue time at the clock's 2027-01-06 00:00), two of three assigned to the
   * signed-in user; an account with three contacts on a target-account list; 25 audit entries.
   */
  async function seedSalesData(ws: string): Promise<void> {
    const touches = await store.db
      .selectFrom('touches')
      .select(['id', 'contact_id', 'enrollment_id', 'campaign_id'])
      .where('workspace_id', '=', ws)
      .where('campaign_id', '=', reportCampaign.id)
      .orderBy('id')
      .limit(12)
      .execute();
    const due0 = Date.parse('2027-01-05T09:00:00Z');
    await store.db
      .insertInto('tasks')
      .values(
        touches.map((t, i) => ({
          id: newId('tsk', T0),
          workspace_id: ws,
          touch_id: t.id,
          campaign_id: t.campaign_id,
          enrollment_id: t.enrollment_id,
          contact_id: t.contact_id,
          step_id: 'call',
          type: 'call',
          instructions: `Call contact ${i + 1} about the report`,
          assignee_user_id: i % 3 === 2 ? null : userId,
          assignee: i % 3 === 2 ? 'Sam Seller' : email,
          status: 'open',
          due_at: due0 + i * 6 * 3_600_000,
          overdue_at: due0 + i * 6 * 3_600_000 + 8 * 3_600_000,
          expires_at: due0 + 5 * 86_400_000,
          outcome: null,
          note: null,
          resolved_at: null,
          resolved_by: null,
          created_at: T0,
          updated_at: T0,
        })),
      )
      .execute();
    const account = await new AccountsRepository(store).create(
      ws,
      { name: 'Acme Corp', domain: 'acme.example', industry: 'manufacturing' },
      T0,
    );

    accountId = account.id;
    const contacts = new ContactsRepository(store);
    accountContacts = touches.slice(0, 3).map((t) => t.contact_id);
    for (const [i, id] of accountContacts.entries()) {
      await contacts.update(ws, id, { account_id: account.id, first_name: 'Ada', last_name: `Acme${i}` }, T0);
    }
    const lists = new ListsRepository(store);
    await lists.create(ws, { name: 'Q1 targets', kind: 'account' }, T0);
    await lists.addMembers(ws, 'Q1 targets', [account.id], T0);
    for (let i = 0; i < 25; i++) {
      await recordAudit(store, {
        workspaceId: ws,
        at: T0 + i * 60_000,
        actor: { type: 'system', id: null },
        action: 'campaign.update',
        target: { type: 'campaign', id: `seeded-${i}` },
      });
    }
  }

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
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
    expect(await seriousViolations(page)).toEqual([]);
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
    const shots = SHOTS;
    await page.screenshot({ path: join(shots, 'campaigns.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

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
    expect(await seriousViolations(page)).toEqual([]);

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

  it('plans a campaign in the form: segment with its live size, steps with rendered content, a blocking guardrail fixed, YAML in step, forecast, launch, calendar', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    const shots = SHOTS;
    // One lead has unsubscribed: the audience preview shows it removed.
    const unsubscribed = await store.db
      .selectFrom('contacts')
      .select('id')
      .where('email', '=', 'r59@example.org')
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable('contacts')
      .set({ subscription_status: 'unsubscribed' })
      .where('id', '=', unsubscribed.id)
      .execute();

    await page.goto(`${base}/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign' }).waitFor();
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    const csrf = (await context.cookies()).find((c) => c.name === 'baton_csrf')!.value;
    const post = async <T>(path: string, data: unknown): Promise<T> =>
      (
        await page.request.post(`${base}${path}`, { data, headers: { 'x-csrf-token': csrf } })
      ).json() as Promise<T>;

    // The id follows the name.
    await page.getByLabel('Name', { exact: true }).fill('Web draft');
    await expect(page.getByLabel('Id', { exact: true }).inputValue()).resolves.toBe('web-draft');

    // The segment: leads who did not book a demo in the last 30 days.
    await page.getByRole('button', { name: 'Add condition' }).click();
    const first = page.getByRole('group', { name: 'Condition 1' });
    await first.getByLabel('Field').fill('lifecycle_stage');
    await first.getByLabel('Operator').selectOption('eq');
    await first.getByLabel('Value').fill('lead');
    await page.getByRole('button', { name: 'Add condition' }).last().click();
    const second = page.getByRole('group', { name: 'Condition 2' });
    await second.getByLabel('Condition 2', { exact: true }).selectOption('event');
    await second.getByLabel('Event').fill('demo_booked');
    await second.getByLabel('Happened').selectOption('did_not');
    await second.getByLabel('In the last (days)').fill('30');
    const segment = {
      all: [
        { attribute: 'lifecycle_stage', op: 'eq', value: 'lead' },
        { event: 'demo_booked', did: false, within_days: 30 },
      ],
    };
    // The size shown is the API's for the same audience, with the unsubscribed lead removed.
    const preview = await post<{ count: number; removed: Array<{ reason: string; count: number }> }>(
      '/api/v1/segments/preview',
      { segment, channel: 'email', sample_size: 20 },
    );
    expect(preview.removed).toContainEqual({ reason: 'unsubscribed', count: 1 });
    expect(preview.count).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#audience-count').textContent(), { timeout: 60_000 })
      .toBe(String(preview.count));
    const removedRow = page.getByRole('table', { name: 'Removed before sending' }).getByRole('row', {
      name: /unsubscribed/,
    });
    await expect(removedRow.locator('td').allTextContents()).resolves.toEqual(['unsubscribed', '1']);

    // Two steps: a marketing email (no unsubscribe link yet) and a log nudge for who did not open it.
    await page.getByRole('button', { name: 'Add step' }).click();
    const step1 = page.getByRole('group', { name: /^Step 1/ });
    await step1.getByLabel('Step id').fill('invite');
    await step1.getByLabel('Subject').fill('{{ contact.first_name | default: "Hello" }}, join our webinar');
    await step1.getByLabel('Body (when no template)').fill('Save your seat: https://example.com/webinar');
    await page.getByRole('button', { name: 'Add step' }).click();
    const step2 = page.getByRole('group', { name: /^Step 2/ });
    await step2.getByLabel('Step id').fill('nudge');
    await step2.getByLabel('Channel').selectOption('log');
    await step2.getByLabel('Delay after the previous step').fill('3d');
    await step2.getByLabel('Condition', { exact: true }).selectOption('not_opened');
    await expect(step2.getByLabel('Earlier step').inputValue()).resolves.toBe('invite');
    await step2.getByLabel('Message').fill('Nudge the people who did not open the invite');
    await page.getByRole('group', { name: 'Channels' }).getByLabel('log').check();

    // The invite rendered for a contact of the audience is what the API renders for them.
    await step1.getByRole('button', { name: 'Render step 1' }).click();
    const rendered = step1.getByRole('region', { name: 'Rendered content of step 1' });
    await rendered.waitFor();
    const contactId = await step1.getByLabel('Preview for contact').inputValue();
    const api = await post<{ subject: string; text: string }>('/api/v1/content/render', {
      contact_id: contactId,
      step_id: 'invite',
      subject: '{{ contact.first_name | default: "Hello" }}, join our webinar',
      body: 'Save your seat: https://example.com/webinar',
    });
    expect(api.text).toContain('https://example.com/webinar?utm_source=baton');
    await expect(rendered.locator('pre').textContent()).resolves.toBe(api.text);
    await expect(rendered.locator('p').first().textContent()).resolves.toBe(`Subject: ${api.subject}`);

    // An A/B test of the invite: the content is copied into two variants, weighted 50 and 30.
    await step1.getByRole('button', { name: 'Split into A/B variants' }).click();
    const variantA = step1.getByRole('group', { name: 'Variant 1 of step 1' });
    const variantB = step1.getByRole('group', { name: 'Variant 2 of step 1' });
    await expect(variantB.getByLabel('Subject').inputValue()).resolves.toBe(
      '{{ contact.first_name | default: "Hello" }}, join our webinar',
    );
    await variantB.getByLabel('Weight').fill('30');
    await variantB.getByLabel('Subject').fill('Seats are going: join our webinar');
    await step1.getByLabel('Variant', { exact: true }).selectOption('b');
    await step1.getByRole('button', { name: 'Render step 1' }).click();
    await expect
      .poll(() => rendered.locator('p').first().textContent(), { timeout: 60_000 })
      .toBe('Subject: Seats are going: join our webinar');

    // A value the schema refuses is named next to its field, and Launch says why it is disabled.
    await page.getByLabel('Priority (0–100)').fill('500');
    await expect
      .poll(() => page.locator('#f-priority-error').textContent(), { timeout: 60_000 })
      .toMatch(/priority is 0 to 100/);
    await expect(page.getByLabel('Priority (0–100)').getAttribute('aria-describedby')).resolves.toBe(
      'f-priority-error',
    );
    await expect(page.locator('#launch-why').textContent()).resolves.toMatch(/field error/);
    await page.getByLabel('Priority (0–100)').fill('60');

    // The guardrails on the unsaved spec: no goal, no window end, no unsubscribe link are blocking.
    const launch = page.getByRole('button', { name: 'Launch' });
    await page.locator('.finding-blocking', { hasText: 'unsubscribe' }).first().waitFor();
    const blocking = page.locator('.finding-blocking');
    await expect(blocking.filter({ hasText: /goal/ }).first().locator('code').textContent()).resolves.toBe(
      'goal',
    );
    const why = page.locator('#launch-why');
    await expect.poll(() => why.textContent(), { timeout: 60_000 }).toMatch(/blocking finding/);
    const shown = /^Launch is disabled: (\d+) blocking finding\(s\) must be fixed first \((.*)\)\.$/.exec(
      (await why.textContent()) ?? '',
    );
    expect(Number(shown?.[1])).toBe(await blocking.count());
    expect(shown?.[2]?.split(', ')).toEqual(
      expect.arrayContaining(['goal_missing', 'unsubscribe_link_missing']),
    );
    await expect(launch.isDisabled()).resolves.toBe(true);
    // A finding that names a field shows beside it too.
    for (const variant of [variantA, variantB]) {
      await variant.locator('.field-finding-blocking', { hasText: 'no unsubscribe link' }).waitFor();
    }
    await page.screenshot({ path: join(shots, 'planner-blocked.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // Fix them in the form: a goal, a window, the unsubscribe link.
    await page.getByLabel('Goal metric').selectOption('conversions');
    await page.getByLabel('Goal event').fill('demo_booked');
    await page.getByLabel('Goal target').fill('5');
    await page.getByLabel('Lookback (days)').fill('14');
    await page.getByLabel('Starts').fill('2027-02-01T09:00');
    await page.getByLabel('Ends').fill('2027-02-20T17:00');
    for (const variant of [variantA, variantB]) {
      await variant
        .getByLabel('Body (when no template)')
        .fill('Save your seat: https://example.com/webinar\nUnsubscribe: {{ links.unsubscribe }}');
    }
    await expect.poll(() => blocking.count(), { timeout: 60_000 }).toBe(0);
    await page
      .getByText('No findings: the guardrails pass.')
      .or(page.locator('.finding-warning').first())
      .waitFor();
    await expect.poll(() => launch.isEnabled(), { timeout: 60_000 }).toBe(true);

    // The YAML tab shows the same spec; a YAML edit comes back to the form.
    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = page.getByLabel('Campaign spec (YAML)');
    await expect.poll(() => yaml.inputValue(), { timeout: 60_000 }).toContain('event: demo_booked');
    const text = await yaml.inputValue();
    expect(text).toContain('priority: 60');
    expect(text).toContain('within_days: 30');
    await yaml.fill(`${text.trimEnd()}\nmeasurement:\n  holdout_percent: 10\n`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Form' }).click();
    await expect(page.getByLabel('Holdout (%)').inputValue()).resolves.toBe('10');
    await expect(
      page.getByRole('group', { name: 'Condition 2' }).getByLabel('Event').inputValue(),
    ).resolves.toBe('demo_booked');

    // Save: the draft is stored as the form says, and its forecast is the API's.
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(`${base}/campaigns/web-draft/plan`);
    const stored = (await (await page.request.get(`${base}/api/v1/campaigns/web-draft`)).json()) as {
      spec: Record<string, unknown>;
    };
    expect(stored.spec).toMatchObject({
      id: 'web-draft',
      name: 'Web draft',
      priority: 60,
      channels: ['email', 'log'],
      goal: { metric: 'conversions', event: 'demo_booked', target: 5, lookback_days: 14 },
      measurement: { holdout_percent: 10 },
      window: { start: '2027-02-01T09:00', end: '2027-02-20T17:00', timezone: 'UTC' },
      audience: { segment },
      sequence: [
        {
          id: 'invite',
          channel: 'email',
          delay: '0d',
          variants: [
            { id: 'a', weight: 50, subject: '{{ contact.first_name | default: "Hello" }}, join our webinar' },
            { id: 'b', weight: 30, subject: 'Seats are going: join our webinar' },
          ],
        },
        { id: 'nudge', channel: 'log', delay: '3d', when: { not: { opened: 'invite' } } },
      ],
    });
    const forecast = (await (
      await page.request.get(`${base}/api/v1/campaigns/web-draft/forecast`)
    ).json()) as {
      audience: { contacts: number; holdout: number; treatment: number };
      totals: { touches: number };
    };
    expect(forecast.audience.contacts).toBe(preview.count);
    const forecastSection = page.locator('section[aria-labelledby="forecast"]');
    await forecastSection
      .getByText(
        `${forecast.audience.contacts} contacts (${forecast.audience.treatment} treated, ${forecast.audience.holdout} held out); ${forecast.totals.touches} touches planned`,
      )
      .waitFor();
    await forecastSection.locator('svg').first().waitFor();
    await page.getByText('Ready to launch.').waitFor();
    await expect
      .poll(() => page.locator('#audience-count').textContent(), { timeout: 60_000 })
      .toBe(String(preview.count));
    await page.screenshot({ path: join(shots, 'planner.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // Launch from the planner: the campaign is scheduled.
    await expect.poll(() => launch.isEnabled(), { timeout: 60_000 }).toBe(true);
    await launch.click();
    await page.getByRole('heading', { name: 'Web draft', level: 1 }).waitFor();
    expect(page.url()).toBe(`${base}/campaigns/web-draft`);
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
    expect(await seriousViolations(page)).toEqual([]);
    expect(failures).toEqual([]);
    await context.close();
  }, 240_000);
  it('works the task inbox, looks up contacts and accounts, reads the audit trail; axe finds nothing serious', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The machine is shared with other test runs: give slow moments room, the test timeout still bounds it.
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    const shots = SHOTS;
    await page.goto(`${base}/tasks`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const getJson = async <T>(path: string): Promise<T> =>
      (await page.request.get(`${base}${path}`)).json() as Promise<T>;
    type TaskJson = {
      id: string;
      status: string;
      overdue: boolean;
      due_at: string;
      outcome: string | null;
      note: string | null;
      contact: { email: string };
    };

    // Tasks: open ones, oldest due first, ten a page; the overdue flag and due dates are the API's.
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    const tasksTable = page.getByRole('table', { name: /Tasks/ });
    const firstPage = await getJson<{ data: TaskJson[]; next_cursor: string | null }>(
      '/api/v1/tasks?status=open&limit=10',
    );
    expect(firstPage.data).toHaveLength(10);
    expect(firstPage.data.filter((t) => t.overdue)).toHaveLength(2);
    await tasksTable.locator('tbody tr').nth(9).waitFor();
    await expect.poll(() => tasksTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    const firstRow = tasksTable.locator('tbody tr').first();
    await expect(firstRow.textContent()).resolves.toContain('2027-01-05 09:00 UTC');
    await expect(firstRow.textContent()).resolves.toContain('overdue');
    await expect.poll(() => tasksTable.locator('.flag-overdue').count(), { timeout: 60_000 }).toBe(2);
    await page.screenshot({ path: join(shots, 'tasks.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    const pager = page.getByRole('navigation', { name: 'Task pages' });
    await pager.getByRole('button', { name: 'Next' }).click();
    await pager.getByText('Page 2').waitFor();
    await expect.poll(() => tasksTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(2);
    await pager.getByRole('button', { name: 'Previous' }).click();
    await pager.getByText('Page 1').waitFor();

    // A bad filter: the API's reason shows next to the field it names, and the list stays away.
    await page.getByLabel('Due before').fill('next tuesday');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.locator('#due_before-error').textContent()).resolves.toMatch(/ISO 8601/);
    await expect(page.getByLabel('Due before').getAttribute('aria-describedby')).resolves.toBe(
      'due_before-error',
    );
    await page.getByLabel('Due before').fill('2027-01-05T16:00:00Z');
    await page.getByLabel('Overdue').selectOption('true');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#due_before-error').count(), { timeout: 60_000 }).toBe(0);
    await tasksTable.locator('tbody tr').nth(1).waitFor();
    await expect.poll(() => tasksTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(2);

    // Complete the oldest: without an outcome the API names the field, with one the task is done.
    const oldest = firstPage.data[0]!;
    await firstRow.getByRole('button', { name: /^Work on/ }).click();
    await page.getByRole('heading', { name: /call for/ }).waitFor();
    await page.getByRole('button', { name: 'Complete' }).click();
    await expect(page.locator('#outcome-error').textContent()).resolves.toMatch(
      /connected|meeting_booked|option|expected/i,
    );
    await page.getByLabel('Outcome').selectOption('connected');
    await page.getByLabel('Note').fill('Wants the report by Friday.');
    await page.getByRole('button', { name: 'Complete' }).click();
    await expect.poll(() => tasksTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(1);
    const done = await getJson<TaskJson>(`/api/v1/tasks/${oldest.id}`);
    expect(done).toMatchObject({
      status: 'completed',
      outcome: 'connected',
      note: 'Wants the report by Friday.',
    });

    // Skip the next one with a reason.
    await tasksTable
      .locator('tbody tr')
      .first()
      .getByRole('button', { name: /^Work on/ })
      .click();
    await page.getByLabel('Reason for skipping').fill('Already spoke at the fair.');
    await page.getByRole('button', { name: 'Skip' }).click();
    await page.getByText('No tasks match.').waitFor();
    const skipped = await getJson<TaskJson>(`/api/v1/tasks/${firstPage.data[1]!.id}`);
    expect(skipped).toMatchObject({ status: 'skipped', note: 'Already spoke at the fair.' });

    // Move the next one: a time in the past is refused next to the field, a later one is kept.
    await page.getByLabel('Due before').fill('');
    await page.getByLabel('Overdue').selectOption('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => tasksTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    const third = firstPage.data[2]!;
    await tasksTable
      .locator('tbody tr')
      .first()
      .getByRole('button', { name: /^Work on/ })
      .click();
    await page.getByLabel('New due time').fill('2027-01-01T10:00:00Z');
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await expect(page.locator('#due_at-error').textContent()).resolves.toMatch(/in the past/);
    await page.getByLabel('New due time').fill('2027-01-12T10:00:00Z');
    await page.getByRole('button', { name: 'Reschedule' }).click();
    await expect.poll(() => page.locator('#due_at-error').count(), { timeout: 60_000 }).toBe(0);
    await expect
      .poll(async () => (await getJson<TaskJson>(`/api/v1/tasks/${third.id}`)).due_at, { timeout: 60_000 })
      .toBe('2027-01-12T10:00:00.000Z');

    // Contacts: ten a page, searched by name; a search the API refuses says why next to its field.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    const contactsTable = page.getByRole('table', { name: /Contacts/ });
    await expect.poll(() => contactsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    const contactPager = page.getByRole('navigation', { name: 'Contact pages' });
    await contactPager.getByRole('button', { name: 'Next' }).click();
    await contactPager.getByText('Page 2').waitFor();
    await expect.poll(() => contactsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(10);
    await page.getByLabel('Search', { exact: true }).fill('x'.repeat(201));
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.locator('#q-error').textContent()).resolves.toMatch(/200/);
    await page.getByLabel('Search', { exact: true }).fill('Acme');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => contactsTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(3);
    await expect(page.locator('#q-error').count()).resolves.toBe(0);
    await page.screenshot({ path: join(shots, 'contacts.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // One contact: its touches and events, newest first, as the API lists them.
    await contactsTable.getByRole('link', { name: 'Ada Acme0' }).click();
    await page.getByRole('heading', { name: 'Ada Acme0', level: 1 }).waitFor();
    const timeline = await getJson<{ items: Array<{ kind: string; type: string }> }>(
      `/api/v1/contacts/${accountContacts[0]}/timeline`,
    );
    expect(timeline.items.some((i) => i.kind === 'touch')).toBe(true);
    const items = page.getByRole('list', { name: 'Touches and events, newest first' }).locator('li');
    await expect.poll(() => items.count(), { timeout: 60_000 }).toBe(Math.min(20, timeline.items.length));
    await page.screenshot({ path: join(shots, 'contact.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // Its account: the target-account list it is on and its engagement per campaign.
    await page.getByRole('link', { name: accountId }).click();
    await page.getByRole('heading', { name: 'Acme Corp', level: 1 }).waitFor();
    await page.locator('section[aria-labelledby="lists"]').getByText('Q1 targets').waitFor();
    const journey = await getJson<{
      items: Array<{ kind: string; campaignId?: string; contactId?: string }>;
    }>(`/api/v1/journey/accounts/${accountId}/timeline`);
    const sent = journey.items.filter((i) => i.kind === 'touch' && i.campaignId === reportCampaign.id);
    expect(sent.length).toBeGreaterThan(0);
    const engagementRow = page
      .getByRole('table', { name: 'Engagement per campaign' })
      .getByRole('row', { name: new RegExp(reportCampaign.id) });
    await engagementRow.waitFor();
    const cells = await engagementRow.locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual([
      reportCampaign.id,
      String(sent.length),
      String(new Set(sent.map((i) => i.contactId)).size),
    ]);
    const people = page.locator('section[aria-labelledby="people"] li');
    await expect.poll(() => people.count(), { timeout: 60_000 }).toBe(3);
    await page.screenshot({ path: join(shots, 'account.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // The accounts list finds it by domain.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    await page.getByLabel('Domain').fill('acme.example');
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('table', { name: /Accounts/ })
      .getByRole('link', { name: 'Acme Corp' })
      .waitFor();
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // Audit: newest first, twenty a page; a refused filter says why next to its field; filters narrow it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    const auditTable = page.getByRole('table', { name: /Audit entries/ });
    const audit = await getJson<{ data: Array<{ action: string; at: string }>; next_cursor: string | null }>(
      '/api/v1/audit?limit=20',
    );
    expect(audit.next_cursor).not.toBeNull();
    await expect.poll(() => auditTable.locator('tbody tr').count(), { timeout: 60_000 }).toBe(20);
    await expect(auditTable.locator('tbody tr').first().textContent()).resolves.toContain(
      audit.data[0]!.action,
    );
    const auditPager = page.getByRole('navigation', { name: 'Audit pages' });
    await auditPager.getByRole('button', { name: 'Next' }).click();
    await auditPager.getByText('Page 2').waitFor();
    await auditTable.getByText('campaign seeded-0').waitFor();
    await page.getByLabel('Since').fill('last week');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.locator('#since-error').textContent()).resolves.toMatch(/date|ISO|datetime/i);
    await page.getByLabel('Since').fill('');
    await page.getByLabel('Action').fill('user.');
    await page.getByRole('button', { name: 'Filter' }).click();
    const signIns = await getJson<{ data: Array<{ action: string }> }>('/api/v1/audit?action=user.&limit=20');
    expect(signIns.data.length).toBeGreaterThan(0);
    await expect
      .poll(() => auditTable.locator('tbody tr').count(), { timeout: 60_000 })
      .toBe(signIns.data.length);
    await expect(auditTable.locator('tbody tr').first().textContent()).resolves.toContain(
      signIns.data[0]!.action,
    );
    await page.screenshot({ path: join(shots, 'audit.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(failures).toEqual([]);
    await context.close();
  }, 300_000);

  it('advances the simulated clock: the planned campaign sends, and its results show the API numbers', async () => {
    // Runs last: the other tests read tasks and timelines at the clock's 2027-01-06.
    clock.set(Date.parse('2027-02-01T09:30:00Z'));
    const worker = new Worker(
      store,
      defaultChannels(store, { secret: 's'.repeat(40), publicUrl: 'http://localhost' }),
      clock,
      {
        workerId: 'web-test',
        processEvents,
      },
    );
    await worker.tick();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const failures: string[] = [];
    page.on('pageerror', (e) => failures.push(e.message));
    const shots = SHOTS;
    await page.goto(`${base}/campaigns/web-draft`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Web draft', level: 1 }).waitFor();
    await expect(page.locator('.status').first().textContent()).resolves.toBe('running');

    const report = (await (await page.request.get(`${base}/api/v1/campaigns/web-draft/report`)).json()) as {
      funnel: { campaign: { counts: { enrolled: number; touched: number } }; holdout: { enrolled: number } };
    };
    const counts = report.funnel.campaign.counts;
    // Every treated contact got the invite, through the SMTP server (the holdout got nothing).
    expect(counts.touched).toBeGreaterThan(0);
    expect(counts.touched).toBe(counts.enrolled);
    expect(smtp.received.length).toBe(counts.touched);
    const funnel = page.getByRole('img', { name: 'Funnel of distinct contacts per stage' });
    await funnel.locator('svg').waitFor();
    await expect(funnel.textContent()).resolves.toContain(`enrolled ${counts.enrolled}`);
    await expect(funnel.textContent()).resolves.toContain(`touched ${counts.touched}`);
    await page.getByText(`Holdout: ${report.funnel.holdout.enrolled} enrolled`).waitFor();
    await page.screenshot({ path: join(shots, 'results.png'), fullPage: true });
    expect(await unlabeledFields(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(failures).toEqual([]);
    await context.close();
  }, 240_000);
});
