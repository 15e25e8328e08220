// `npm run bench -- import [ROWS]`: 1,000,000 generated contacts from CSV into a fresh SQLite file through
// the CLI's import path, against the same rows inserted with one bare better-sqlite3 prepared statement in
// one transaction, into the same (freshly migrated) contacts table with the same columns.
import { mkdtempSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/db.js';
import { importContacts } from '../src/store/import/index.js';
import { IMPORT_CACHE_KIB } from '../src/store/import/import-session.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

/** Wall time (the harness's `timed`) and this process's CPU time, which a busy machine disturbs less. */
async function measure<T>(fn: () => Promise<T> | T): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const r = await timed(fn);
  const used = process.cpuUsage(cpu);
  return { ...r, cpuMs: (used.user + used.system) / 1000 };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton'];
const TITLES = ['CTO', 'VP Engineering', 'Head of Data', 'Marketing Manager', 'Founder', ''];
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'UTC',
  'America/Los_Angeles',
  'Europe/Paris',
];
const STAGES = ['subscriber', 'lead', 'mql', 'sql', 'customer'];
const PLANS = ['free', 'pro', 'enterprise'];
export const HEADER =
  'email,external_id,first_name,last_name,title,phone,time_zone,lifecycle_stage,sms_consent,plan';

/** Row `i` of the generated file, as CSV cells. */
export function contactRow(i: number): string[] {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[i % LAST.length]!;
  return [
    `${first.toLowerCase()}.${last.toLowerCase()}${i}@company${i % 5000}.com`,
    `crm-${i}`,
    first,
    last,
    TITLES[i % TITLES.length]!,
    `+1 555 ${String(i % 10000).padStart(4, '0')}`,
    ZONES[i % ZONES.length]!,
    STAGES[i % STAGES.length]!,
    i % 2 === 0 ? 'yes' : 'no',
    PLANS[i % PLANS.length]!,
  ];
}

/** Writes a contacts CSV of `rows` generated rows. */
export function writeContactsCsv(file: string, rows: number): void {
  writeFileSync(file, HEADER + '\n');
  const batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    batch.push(contactRow(i).join(','));
    if (batch.length === 50_000 || i === rows - 1) {
      appendFileSync(file, batch.join('\n') + '\n');
      batch.length = 0;
    }
  }
}

async function freshStore(dir: string, name: string): Promise<{ store: Store; workspaceId: string }> {
  const store = openStore(`sqlite:${join(dir, name)}`);
  await migrateToLatest(store);
  const ws = await new WorkspacesRepository(store).ensure('bench', 1_800_000_000_000);
  return { store, workspaceId: ws.id };
}

export async function run(args: string[]): Promise<void> {
  const rows = Number(args[0] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-import-'));
  try {
    const file = join(dir, 'contacts.csv');
    writeContactsCsv(file, rows);
    console.log(
      `generated ${rows.toLocaleString('en-US')} contacts (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB CSV)`,
    );
    const now = 1_800_000_000_000;

    // Baton: the CLI's code path (importContacts), fresh SQLite file.
    const a = await freshStore(dir, 'import.db');
    const imported = await measure(() => importContacts(a.store, file, { workspaceId: a.workspaceId, now }));
    const count = a.store.sqlite!.prepare('SELECT count(*) AS n FROM contacts').get() as { n: number };
    await a.store.close();
    if (!imported.value.committed || count.n !== rows) {
      throw new Error(`import wrote ${count.n} of ${rows} rows (${imported.value.issues.length} issues)`);
    }

    // Baseline: the same rows, already in memory, one prepared INSERT per row in one transaction.
    const b = await freshStore(dir, 'baseline.db');
    const values = Array.from({ length: rows }, (_, i) => {
      const c = contactRow(i);
      return [
        `con_${String(i).padStart(26, '0')}`,
        c[0]!.toLowerCase(),
        c[1]!,
        c[2]!,
        c[3]!,
        c[4] || null,
        c[5]!,
        c[6]!,
        c[7]!,
        c[8] === 'yes' ? 1 : 0,
        JSON.stringify({ plan: c[9] }),
      ] as const;
    });
    const sqlite = b.store.sqlite!;
    sqlite.pragma(`cache_size = ${IMPORT_CACHE_KIB}`); // the page cache the import uses, for equal terms
    const columns = `id, workspace_id, email, external_id, first_name, last_name, title, phone, time_zone,
      lifecycle_stage, sms_consent, subscription_status, attributes, created_at, updated_at`;
    const params = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'subscribed', ?, ?, ?`;
    const bare = (table: string) => {
      const insert = sqlite.prepare(`INSERT INTO ${table} (${columns}) VALUES (${params})`);
      const ws = b.workspaceId;
      return measure(() =>
        sqlite.transaction(() => {
          for (const v of values) {
            insert.run(v[0], ws, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], now, now);
          }
        })(),
      );
    };
    const baseline = await bare('contacts');
    // Reference only: the same insert into a copy of the table without its unique and lookup indexes,
    // to show how much of the baseline is index upkeep.
    sqlite.exec('CREATE TABLE contacts_plain AS SELECT * FROM contacts WHERE 0');
    const plain = await bare('contacts_plain');
    await b.store.close();

    const perSecond = (ms: number): number => rows / (ms / 1000);
    report(
      {
        label: 'baton import contacts (parse + validate + upsert)',
        value: perSecond(imported.ms),
        unit: 'rows/s',
      },
      {
        label: 'bare better-sqlite3 prepared INSERT, one transaction',
        value: perSecond(baseline.ms),
        unit: 'rows/s',
      },
    );
    console.log(
      `wall: import ${(imported.ms / 1000).toFixed(2)} s, baseline ${(baseline.ms / 1000).toFixed(2)} s; ` +
        `CPU: import ${(imported.cpuMs / 1000).toFixed(2)} s, baseline ${(baseline.cpuMs / 1000).toFixed(2)} s ` +
        `(CPU ratio ${((baseline.cpuMs / imported.cpuMs) * 100).toFixed(1)}%)`,
    );
    console.log(
      `reference: the same INSERT into the table without indexes: ${Math.round(perSecond(plain.ms)).toLocaleString('en-US')} rows/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
