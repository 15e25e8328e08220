// The rolling-deploy rule, checked on the migration files themselves: every migration after the baseline is
// additive (new tables, nullable columns or columns with a default, indexes, triggers, data backfills). It
// drops, renames or alters nothing an older release reads, and adds no NOT NULL column without a default
// (an older release's inserts would fail). A destructive step, shipped one release after the code stopped
// reading what it removes (docs/operations.md, "Upgrades"), is listed in DESTRUCTIVE with that reason.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/store/migrations');
/** The first schema: everything after it must be additive. */
const BASELINE = '20261129T0500-core';
/** Documented destructive migrations: file name → why no running release still reads what it removes. */
const DESTRUCTIVE: Record<string, string> = {
  // PostgreSQL only: `events` becomes a table partitioned by month with the same columns (rename, copy, drop
  // the old table); its release needs a short stop, not a rolling deploy (docs/operations.md, "Upgrades").
  '20261129T0920-events-partitions':
    'replaces events with a monthly-partitioned table of the same columns; its release is deployed with a stop',
};

const migrations = readdirSync(DIR)
  .filter((f) => /^\d{8}T\d{4}-[a-z0-9-]+\.ts$/.test(f))
  .sort();

/** Destructive statements in one migration's source (comments removed), each named. */
function destructiveSteps(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns: Array<[RegExp, string]> = [
    [/\.drop(Table|Column|Index|Constraint|View|Schema|Type)\(/g, 'drop'],
    [/\bdrop\s+(table|column|index|constraint|view|schema|type|trigger|function)\b/gi, 'DROP'],
    [/\.rename(To|Column)\(/g, 'rename'],
    [/\brename\s+(to|column)\b/gi, 'RENAME'],
    [/\.alterColumn\(/g, 'alter column'],
    [/\balter\s+column\b/gi, 'ALTER COLUMN'],
    // A TRUNCATE statement (not a `before truncate` trigger).
    [/(?:`|;)\s*truncate\s+(?:table\s+)?\w+/gi, 'TRUNCATE'],
  ];
  for (const [re, name] of patterns) for (const m of code.matchAll(re)) found.push(`${name}: ${m[0]}`);
  // A NOT NULL column added to an existing table needs a default.
  for (const stmt of code.split(/\bawait\b/)) {
    if (!/\.alterTable\(/.test(stmt)) continue;
    for (const add of stmt.split(/\.addColumn\(/).slice(1)) {
      if (/\.notNull\(\)/.test(add) && !/\.defaultTo\(/.test(add)) {
        found.push(`NOT NULL column without default: ${add.slice(0, add.indexOf(',')).trim()}`);
      }
    }
  }
  if (/add\s+column\b[^;`]*\bnot\s+null\b(?![^;`]*\bdefault\b)/i.test(code)) {
    found.push('NOT NULL column without default (SQL)');
  }
  return found;
}

describe('migrations after the baseline are additive', () => {
  it('starts from the baseline', () => {
    expect(migrations).toContain(`${BASELINE}.ts`);
  });

  it('finds each kind of destructive step (the check itself)', () => {
    expect(destructiveSteps(`await db.schema.dropTable('touches').execute();`)).toHaveLength(1);
    expect(destructiveSteps('await sql`alter table touches drop column reason`.execute(db);')).toHaveLength(
      1,
    );
    expect(
      destructiveSteps(`await db.schema.alterTable('t').renameColumn('a', 'b').execute();`),
    ).toHaveLength(1);
    expect(
      destructiveSteps(`await db.schema.alterTable('t').alterColumn('a', (c) => c.setNotNull()).execute();`),
    ).toHaveLength(1);
    expect(
      destructiveSteps(
        `await db.schema.alterTable('t').addColumn('a', 'text', (c) => c.notNull()).execute();`,
      ),
    ).toHaveLength(1);
    expect(
      destructiveSteps(
        `await db.schema.alterTable('t').addColumn('a', 'text', (c) => c.notNull().defaultTo('x')).execute();`,
      ),
    ).toEqual([]);
    expect(
      destructiveSteps(
        `await db.schema.createTable('t').addColumn('a', 'text', (c) => c.notNull()).execute();`,
      ),
    ).toEqual([]);
    expect(
      destructiveSteps(`// we never drop table touches here\nawait db.schema.createIndex('i').execute();`),
    ).toEqual([]);
  });

  it.each(migrations.filter((f) => f > `${BASELINE}.ts`))('%s', (file) => {
    const steps = destructiveSteps(readFileSync(join(DIR, file), 'utf8'));
    const allowed = DESTRUCTIVE[file.replace(/\.ts$/, '')];
    if (allowed)
      expect(steps.length, `${file} is listed as destructive but has no destructive step`).toBeGreaterThan(0);
    else expect(steps, `${file} is not additive`).toEqual([]);
  });
});
