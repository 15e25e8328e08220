// `npm run bench -- journey [--contacts N] [--events N] [--changed K]`: buyer-journey stage re-evaluation
// for K changed contacts (the worker's pass after their events arrived) on a SQLite store of N contacts and
// M events, against the plain segment query that counts the same K contacts matching one stage's
// criteria (the cost of asking "is this contact in Consideration?" once). Default 200,000 contacts,
// 1,000,000 events, 5,000 changed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { checkJourney } from '../src/domain/journey.js';
import { openStore } from '../src/store/db.js';
import { evaluateStages } from '../src/store/journey/stage-evaluator.js';
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
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
