// Stores of their own for the operations tests (a worker tick claims every workspace's due touches, so these
// tests never share a database with others), and a running campaign with due touches on the log channel.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { campaignSchema } from '../../src/domain/campaign.js';
import { workspaceSettings } from '../../src/domain/workspace-settings.js';
import { buildRuntime } from '../../src/engine/campaign-runtime.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { openStore, type DialectName, type Store } from '../../src/store/db.js';
import { newId } from '../../src/store/ids.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { tempSqliteUrl } from '../support/stores.js';

export interface OwnStore {
  store: Store;
  url: string;
  dispose(): Promise<void>;
}

/** A brand-new database (SQLite file or PostgreSQL database), migrated unless told otherwise. */
export async function ownStore(dialect: DialectName, opts: { migrate?: boolean } = {}): Promise<OwnStore> {
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const tmp = tempSqliteUrl();
    url = tmp.url;
    drop = async () => tmp.cleanup();
  } else {
    const name = `baton_ops_${randomBytes(5).toString('hex')}`;
    const admin = inject('pgUrl').replace(/\/[^/]*$/, '/postgres');
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    url = admin.replace(/\/[^/]*$/, `/${name}`);
    drop = async () => {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    };
  }
  const store = openStore(url, { poolSize: 4 });
  if (opts.migrate ?? true) await migrateToLatest(store);
  return {
    store,
    url,
    dispose: async () => {
      await store.close();
      await drop();
    },
  };
}

/**
 * `n` contacts enrolled in a running campaign whose one step (channel `log`, any day, any hour) is due at `t0`;
 * with `followUp`, a second `log` step comes a day after the first.
 */
export async function seedDueTouches(
  store: Store,
  ws: string,
  n: number,
  t0: number,
  opts: { followUp?: boolean } = {},
): Promise<string> {
  const rows = Array.from({ length: n }, (_, i) => {
    const id = newId('ct', t0);
    return {
      id,
      workspace_id: ws,
      email: `p${i}-${id.toLowerCase()}@example.com`,
      time_zone: 'UTC',
      subscription_status: 'subscribed',
      sms_consent: 0,
      attributes: '{}',
      created_at: t0,
      updated_at: t0,
    };
  });
  for (let i = 0; i < rows.length; i += 500) {
    await store.db
      .insertInto('contacts')
      .values(rows.slice(i, i + 500))
      .execute();
  }
  const campaignId = `ops-${randomBytes(3).toString('hex')}`;
  const spec = campaignSchema.parse({
    id: campaignId,
    name: 'Ops',
    objective: 'awareness',
    window: { start: new Date(t0 - 86_400_000).toISOString(), timezone: 'UTC' },
    channels: ['log'],
    sequence: [
      {
        id: 'hello',
        channel: 'log',
        delay: '0d',
        send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
      },
      ...(opts.followUp
        ? [
            {
              id: 'again',
              channel: 'log',
              delay: '1d',
              send_window: { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59' },
            },
          ]
        : []),
    ],
  });
  const repo = new CampaignsRepository(store);
  await repo.insert(ws, spec, t0);
  await repo.setStatus(ws, spec.id, 'draft', 'running', t0, { launchedAt: t0 });
  const rt = buildRuntime(ws, spec, 1, workspaceSettings({}));
  await enrollContacts(
    store,
    rt,
    rows.map((r) => ({ id: r.id, account_id: null, time_zone: 'UTC' })),
    t0,
  );
  return campaignId;
}

/** Touches of the workspace by status. */
export async function touchCounts(store: Store, ws: string): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom('touches')
    .select((eb) => ['status', eb.fn.countAll().as('n')])
    .where('workspace_id', '=', ws)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Prometheus text exposition → samples, failing on any line that is not valid exposition syntax. */
export function parsePrometheus(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  // Values are read as Go's strconv.ParseFloat reads them, where NaN is case-insensitive: prom-client writes
  // NaN as `Nan` (an event-loop lag gauge before its first sample), which Prometheus accepts.
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.e+-]+|[Nn][Aa][Nn]|\+Inf|-Inf))(?: -?\d+)?$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*/.test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of one metric whose labels include `match`. */
export function metricSum(
  samples: ReturnType<typeof parsePrometheus>,
  name: string,
  match: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
