// `npm run bench -- report [contacts]`: one campaign's full report (load + funnel + pacing + attribution under
// every model + experiments + lift) on SQLite, against a baseline that only reads the same rows with raw SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCampaign } from '../src/store/campaigns/index.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { buildReport } from '../src/measure/report.js';
import { buildCampaignReport, loadReportInput } from '../src/store/report-data.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const DAY = 86_400_000;
const T0 = Date.parse('2027-01-04T09:00:00Z');

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same campaign. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function run(args: string[]): Promise<void> {
  const contacts = Number(args[0] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-report-'));
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store);
    const ws = (await new WorkspacesRepository(store).ensure('bench', T0)).id;
    await applyCampaign(
      store,
      ws,
      {
        spec: {
          id: 'big',
          name: 'Big launch',
          objective: 'launch',
          goal: { metric: 'conversions', event: 'demo_booked', target: 3000, lookback_days: 14 },
          measurement: { holdout_percent: 10 },
          window: { start: '2027-01-04T09:00', end: '2027-02-15T17:00', timezone: 'UTC' },
          budget: { amount: 20000, currency: 'USD', spend: { email: 5000, ads: 12000, task: 3000 } },
          channels: ['email', 'ads', 'task'],
          sequence: [
            {
              id: 'intro',
              channel: 'email',
              variants: [
                { id: 'a', weight: 50 },
                { id: 'b', weight: 50 },
              ],
            },
            { id: 'retarget', channel: 'ads', delay: '1d' },
            { id: 'call', channel: 'task', delay: '3d' },
            { id: 'followup', channel: 'email', delay: '5d' },
          ],
        },
      },
      T0,
    );
    const db = store.sqlite!;
    const random = rng(42);
    const steps = [
      ['intro', 'email', 0],
      ['retarget', 'ads', 1],
      ['call', 'task', 4],
      ['followup', 'email', 9],
    ] as const;
    const insEnrollment = db.prepare(
      `INSERT INTO enrollments (id, workspace_id, campaign_id, contact_id, account_id, cycle, arm, variants, state, enrolled_at)
       VALUES (?, ?, 'big', ?, ?, 0, ?, '{}', 'active', ?)`,
    );
    const insTouch = db.prepare(
      `INSERT INTO touches (id, workspace_id, enrollment_id, campaign_id, contact_id, step_id, step_index, channel,
         variant_id, status, due_at, planned_at, sent_at, details)
       VALUES (?, ?, ?, 'big', ?, ?, ?, ?, ?, 'sent', ?, ?, ?, '{}')`,
    );
    const insEvent = db.prepare(
      `INSERT INTO events (id, workspace_id, type, contact_id, occurred_at, received_at, properties, campaign_id,
         touch_id, step_id, variant_id, channel)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insConversion = db.prepare(
      `INSERT INTO conversions (id, workspace_id, campaign_id, contact_id, enrollment_id, arm, event_id, value,
         occurred_at, touch_id, created_at)
       VALUES (?, ?, 'big', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let rows = 0;
    const build = timed(() =>
      db.transaction(() => {
        for (let i = 0; i < contacts; i++) {
          const contact = `ct${i}`;
          const holdout = random() < 0.1;
          insEnrollment.run(`en${i}`, ws, contact, `acc${i % 5000}`, holdout ? 'holdout' : 'treatment', T0);
          rows++;
          let lastTouch: string | null = null;
          let converted = false;
          if (!holdout) {
            const variant = random() < 0.5 ? 'a' : 'b';
            for (const [k, [step, channel, offset]] of steps.entries()) {
              if (k > 0 && random() < 0.3) continue;
              const id = `tc${i}-${k}`;
              const at = T0 + offset * DAY + Math.floor(random() * DAY);
              insTouch.run(id, ws, `en${i}`, contact, step, k, channel, k === 0 ? variant : null, at, T0, at);
              lastTouch = id;
              rows++;
              if (channel !== 'email') continue;
              const ev = (type: string, props = '{}') => {
                insEvent.run(
                  `ev${rows}`,
                  ws,
                  type,
                  contact,
                  at + 3600_000,
                  at + 3600_000,
                  props,
                  'big',
                  id,
                  step,
                  k === 0 ? variant : null,
                  channel,
                );
                rows++;
              };
              ev('delivered');
              if (random() < 0.35) ev('opened', random() < 0.4 ? '{"machine":true}' : '{}');
              if (random() < (variant === 'b' ? 0.09 : 0.07)) ev('clicked');
            }
          }
          if (random() < (holdout ? 0.03 : 0.05)) {
            const at = T0 + Math.floor(random() * 20 * DAY);
            const eventId = `goal${i}`;
            const value = Math.floor(random() * 500);
            insEvent.run(
              eventId,
              ws,
              'demo_booked',
              contact,
              at,
              at,
              `{"value":${value}}`,
              null,
              null,
              null,
              null,
              null,
            );
            if (holdout || lastTouch)
              insConversion.run(
                `cv${i}`,
                ws,
                contact,
                `en${i}`,
                holdout ? 'holdout' : 'treatment',
                eventId,
                value,
                at,
                lastTouch,
                at,
              );
            converted = true;
            rows += 2;
          }
          void converted;
        }
      })(),
    );
    console.log(
      `built ${contacts.toLocaleString('en-US')} enrollments, ${rows.toLocaleString('en-US')} rows in ${((await build).ms / 1000).toFixed(1)} s`,
    );

    const now = Date.parse('2027-02-16T00:00:00Z');
    // Warm the page cache and the module code once, then measure.
    await buildCampaignReport(store, ws, 'big', now);
    const baseline = await timed(() => {
      let n = 0;
      for (const sql of [
        `SELECT contact_id, account_id, arm, enrolled_at FROM enrollments WHERE workspace_id = ? AND campaign_id = 'big'`,
        `SELECT id, contact_id, step_id, channel, variant_id, status, sent_at FROM touches WHERE workspace_id = ? AND campaign_id = 'big'`,
        `SELECT type, contact_id, touch_id, step_id, channel, variant_id, occurred_at, properties FROM events WHERE workspace_id = ? AND campaign_id = 'big'`,
        `SELECT contact_id, arm, occurred_at, value FROM conversions WHERE workspace_id = ? AND campaign_id = 'big'`,
        `SELECT id, contact_id, occurred_at, properties FROM events WHERE workspace_id = ? AND type = 'demo_booked'
           AND contact_id IN (SELECT contact_id FROM enrollments WHERE workspace_id = ? AND campaign_id = 'big')`,
      ]) {
        const t = process.hrtime.bigint();
        n += db.prepare(sql).all(
          ...sql
            .split('?')
            .slice(1)
            .map(() => ws),
        ).length;
        if (process.env.BENCH_VERBOSE)
          console.log(`${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms  ${sql.slice(0, 60)}`);
      }
      return n;
    });
    if (process.env.BENCH_VERBOSE) {
      const load = await timed(() => loadReportInput(store, ws, 'big', now));
      const build = await timed(() => buildReport(load.value));
      console.log(`load ${load.ms.toFixed(0)} ms, build ${build.ms.toFixed(0)} ms`);
      const { computeFunnel } = await import('../src/measure/funnel.js');
      const i = load.value;
      const f = await timed(() => computeFunnel({ ...i, lookbackMs: 14 * DAY, steps: [], accounts: true }));
      const { attribute, journeysFromEvents, toPathSet } =
        await import('../src/measure/attribution/index.js');
      const j = await timed(() =>
        journeysFromEvents(
          i.touches.map((t) => ({ contactId: t.contactId, channel: t.channel, at: t.sentAt! })),
          i.conversions.map((c) => ({ contactId: c.contactId, at: c.occurredAt, value: c.value })),
          { lookbackMs: 14 * DAY, asOf: now },
        ),
      );
      const a = await timed(() => attribute(toPathSet(j.value.paths)));
      console.log(
        `funnel ${f.ms.toFixed(0)} ms, journeys ${j.ms.toFixed(0)} ms, attribute ${a.ms.toFixed(0)} ms`,
      );
    }
    const full = await timed(() => buildCampaignReport(store, ws, 'big', now));
    const r = full.value;
    console.log(
      `rows read: ${baseline.value.toLocaleString('en-US')}; goal ${r.goal.available ? r.goal.actual : '—'}, ` +
        `lift ${r.lift.available ? r.lift.absoluteLift.estimate.toFixed(4) : '—'}, experiments ${r.experiments.map((x) => x.recommendation).join(',')}`,
    );
    report(
      {
        label: `full report of one ${contacts.toLocaleString('en-US')}-contact campaign`,
        value: full.ms / 1000,
        unit: 's',
      },
      { label: 'raw SQL read of the same rows', value: baseline.ms / 1000, unit: 's' },
      false,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
