// `npm run bench -- journey [--contacts N] [--events N] [--changed K]`: buyer-journey stage re-evaluation
// for K changed contacts (the worker's pass after their events arrived) on a SQLite store of N contacts and
// M events, against the plain segment query that counts the same K contacts matching one stage's
// criteria (the cost of asking "is this contact in Consideration?" once). Default 200,000 contacts,
// 1,000,000 events, 5,000 changed.
// Then the worker's sweep 31 days later (the contacts whose time windows elapsed, found by
// `stage_recheck_at`) against re-evaluating every contact, which is what a timer would do.
// Then `GET /journey/flows` over a seeded stage history of S subjects (`--flow-subjects S`, default
// 200,000; ~1.75 changes each) aggregated in SQL, against the in-memory way it replaced: load every change
// before the range's end and run src/measure/journey-flows.ts over them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { checkJourney } from '../src/domain/journey.js';
import { journeyFlows } from '../src/measure/journey-flows.js';
import { aggregateFlows } from '../src/store/journey/flows.js';
import { openStore } from '../src/store/db.js';
import { evaluateStages } from '../src/store/journey/stage-evaluator.js';
import { sweepStageWindows } from '../src/store/journey/stage-sweep.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { compileRule } from '../src/store/segments/compile.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const DAY = 86_400_000;
const NOW = Date.parse('2027-01-04T12:00:00Z');
const TYPES = ['page', 'page', 'email_opened', 'pricing_page_viewed', 'guide_downloaded', 'demo_booked'];

export async function run(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const contacts = arg('contacts', 200_000);
  const events = arg('events', 1_000_000);
  const changed = arg('changed', 5_000);
  const flowSubjects = arg('flow-subjects', 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'baton-journey-bench-'));
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(store);
    const ws = (await new WorkspacesRepository(store).ensure('bench', NOW)).id;
    const db = store.sqlite!;
    let seed = 7;
    const r = (): number => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 4_294_967_296;
    const insC = db.prepare(
      "insert into contacts (id, workspace_id, email, lifecycle_stage, subscription_status, sms_consent, attributes, created_at, updated_at) values (?, ?, ?, 'lead', 'subscribed', 0, '{}', ?, ?)",
    );
    const insE = db.prepare(
      "insert into events (id, workspace_id, type, contact_id, occurred_at, received_at, properties) values (?, ?, ?, ?, ?, ?, '{}')",
    );
    const ids: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < contacts; i++) {
        const id = `con_${String(i).padStart(8, '0')}`;
        ids.push(id);
        insC.run(id, ws, `c${i}@x.example`, NOW - 400 * DAY, NOW - 400 * DAY);
      }
      for (let i = 0; i < events; i++) {
        const at = NOW - Math.floor(r() * 120 * DAY);
        insE.run(
          `evt_${i}`,
          ws,
          TYPES[Math.floor(r() * TYPES.length)]!,
          ids[Math.floor(r() * contacts)]!,
          at,
          at,
        );
      }
    })();
    const journey = checkJourney({ preset: 'default' });
    // Every contact placed once, as saving the map does.
    await evaluateStages(store, ws, journey, 'all', {
      now: NOW - 60 * DAY,
      cause: 'journey_changed',
      mode: 'reset',
    });
    const batch = Array.from({ length: changed }, (_, i) => ids[(i * 7919) % contacts]!);

    const first = await timed(() => evaluateStages(store, ws, journey, batch, { now: NOW, cause: 'event' }));
    const again = await timed(() => evaluateStages(store, ws, journey, batch, { now: NOW, cause: 'event' }));
    const consideration = journey.rules[1]!;
    const cond = compileRule(
      { dialect: 'sqlite', workspaceId: ws, now: NOW, lists: new Map(), segments: new Map() },
      consideration,
    );
    const baseline = await timed(() =>
      sql`select count(*) as n from contacts c where c.workspace_id = ${ws} and c.id in (${sql.join(
        batch.map((id) => sql.val(id)),
      )}) and ${cond}`.execute(store.db),
    );
    console.log(
      `${contacts.toLocaleString('en-US')} contacts, ${events.toLocaleString('en-US')} events, ${changed.toLocaleString('en-US')} changed; ` +
        `first pass moved ${first.value.contactChanges} contacts and ${first.value.accountChanges} accounts`,
    );
    console.log(`second pass over the same contacts (nothing moves): ${again.ms.toFixed(1)} ms`);
    report(
      {
        label: 'stage re-evaluation of the changed contacts (4 stages, history written)',
        value: first.ms,
        unit: 'ms',
      },
      {
        label: 'one segment count over the same contacts (the Consideration criteria)',
        value: baseline.ms,
        unit: 'ms',
      },
      false,
    );
    // Every contact evaluated once more at NOW (their due times set), then the sweep 31 days later.
    await evaluateStages(store, ws, journey, 'all', { now: NOW, cause: 'event', mode: 'recheck' });
    const later = NOW + 31 * DAY;
    const idle = await timed(() => sweepStageWindows(store, ws, journey, NOW + 1));
    const sweep = await timed(() => sweepStageWindows(store, ws, journey, later));
    const timer = await timed(() =>
      evaluateStages(store, ws, journey, 'all', { now: later, cause: 'event', mode: 'recheck' }),
    );
    console.log(
      `sweep with nothing due: ${idle.ms.toFixed(1)} ms; sweep 31 days later: ${sweep.value.contacts.toLocaleString('en-US')} contacts due, ` +
        `${sweep.value.changes.toLocaleString('en-US')} changes; the timer's pass after it moved ${timer.value.contactChanges}`,
    );
    report(
      { label: 'sweep of the contacts whose windows elapsed', value: sweep.ms, unit: 'ms' },
      { label: 're-evaluating every contact (a timer)', value: timer.ms, unit: 'ms' },
      false,
    );
    await flowsBench(store, flowSubjects);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const STAGES = ['awareness', 'consideration', 'decision', 'customer'];

/** Flows over a seeded history of `subjects` contacts: SQL aggregation against load-and-compute. */
async function flowsBench(store: ReturnType<typeof openStore>, subjects: number): Promise<void> {
  const ws = (await new WorkspacesRepository(store).ensure('bench-flows', NOW)).id;
  const db = store.sqlite!;
  let seed = 11;
  const r = (): number => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 4_294_967_296;
  const ins = db.prepare(
    "insert into journey_stage_changes (id, workspace_id, subject_kind, subject_id, from_stage, to_stage, changed_at, cause, recorded_at) values (?, ?, 'contact', ?, ?, ?, ?, 'event', ?)",
  );
  let n = 0;
  db.transaction(() => {
    for (let s = 0; s < subjects; s++) {
      // Entered between 360 days before NOW and NOW; forward (one time in five back) every ~12 days.
      let at = NOW - r() * 360 * DAY;
      let stage = 0;
      ins.run(`stg_${n++}`, ws, `con_${s}`, null, STAGES[0], Math.round(at), NOW);
      for (let k = 0; k < 4 && r() < 0.6; k++) {
        at += -Math.log(1 - r()) * 12 * DAY;
        if (at >= NOW) break;
        const next = r() < 0.2 ? Math.max(0, stage - 1) : Math.min(3, stage + 1);
        if (next === stage) break;
        ins.run(`stg_${n++}`, ws, `con_${s}`, STAGES[stage], STAGES[next], Math.round(at), NOW);
        stage = next;
      }
    }
  })();
  const from = NOW - 90 * DAY;
  const to = NOW;
  const heap = (): number => process.memoryUsage().heapUsed / 1e6;
  const h0 = heap();
  const aggregated = await timed(() => aggregateFlows(store, ws, 'contact', STAGES, from, to));
  const h1 = heap();
  const loaded = await timed(async () => {
    const rows = await store.db
      .selectFrom('journey_stage_changes')
      .select(['subject_id', 'from_stage', 'to_stage', 'changed_at'])
      .where('workspace_id', '=', ws)
      .where('subject_kind', '=', 'contact')
      .where('changed_at', '<', to)
      .execute();
    const changes = rows.map((c) => ({
      subjectId: c.subject_id,
      from: c.from_stage,
      to: c.to_stage,
      at: Number(c.changed_at),
    }));
    return { flows: journeyFlows({ stages: STAGES, changes, from, to }), heap: heap() };
  });
  const same =
    JSON.stringify(aggregated.value.transitions) === JSON.stringify(loaded.value.flows.transitions) &&
    JSON.stringify(aggregated.value.conversion) === JSON.stringify(loaded.value.flows.conversion);
  console.log(
    `flows over ${subjects.toLocaleString('en-US')} subjects, ${n.toLocaleString('en-US')} changes (range: last 90 days); ` +
      `same transitions and conversion: ${same}; heap growth ${(h1 - h0).toFixed(0)} MB (SQL) vs ` +
      `${(loaded.value.heap - h1).toFixed(0)} MB (in memory, before collection)`,
  );
  report(
    { label: 'flows aggregated in SQL', value: aggregated.ms, unit: 'ms' },
    { label: 'flows loaded and computed in memory (the previous way)', value: loaded.ms, unit: 'ms' },
    false,
  );
}
