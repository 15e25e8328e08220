// Campaign-as-code files: YAML and schema errors with line and column, template references, and the
// `baton apply` / `baton lint` commands end to end (spawned CLI on a temporary SQLite store).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../src/cli/commands/campaign.command.js';
import { isBatonError, type BatonError } from '../src/domain/errors.js';
import { loadCampaignFile, parseCampaignYaml } from '../src/store/campaigns/index.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { tempSqliteUrl } from './support/stores.js';

const run = promisify(execFile);

const GOOD = `id: spring
name: Spring push
objective: leads
goal: { metric: conversions, event: demo_booked, target: 10, lookback_days: 30 }
window: { start: 2027-03-01T09:00, end: 2027-04-01T17:00, timezone: Europe/Berlin }
channels: [email]
sequence:
  - id: intro
    channel: email
    subject: Hello
    template: templates/intro.liquid
  - id: followup
    channel: email
    delay: 3bd
    when: { not: { opened: intro } }
    template: templates/intro.liquid
`;

function errorOf(fn: () => unknown): BatonError {
  try {
    fn();
  } catch (e) {
    if (isBatonError(e)) return e;
    throw e;
  }
  throw new Error('expected a BatonError');
}

type Issue = { path: string; message: string; line?: number; column?: number };
const issues = (e: BatonError): Issue[] => (e.details as { issues: Issue[] }).issues;

describe('campaign files', () => {
  it('parses a good file', () => {
    expect(parseCampaignYaml(GOOD).sequence.map((s) => s.id)).toEqual(['intro', 'followup']);
  });

  it('reports malformed YAML with line and column', () => {
    const e = errorOf(() => parseCampaignYaml('id: x\nname: [unclosed\nobjective: leads\n', 'c.yaml'));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/^c\.yaml:\d+:\d+: malformed YAML/);
    expect(issues(e)[0]?.line).toBeGreaterThanOrEqual(2);
    const dup = errorOf(() => parseCampaignYaml('id: x\nid: y\n', 'c.yaml'));
    expect(dup.message).toMatch(/^c\.yaml:2:1: malformed YAML/);
  });

  it.each([
    ['a schema violation', GOOD.replace('target: 10', 'target: -3'), 'goal.target', 4, /positive/],
    [
      'an unknown field',
      GOOD.replace('objective: leads', 'objective: leads\nbudjet: 3'),
      'budjet',
      4,
      /not a known field/,
    ],
    ['duplicate step ids', GOOD.replace('id: followup', 'id: intro'), 'sequence.1.id', 12, /used twice/],
    [
      'a condition on a later step',
      GOOD.replace('opened: intro', 'opened: followup'),
      'sequence.1.when',
      15,
      /not an earlier step/,
    ],
    ['a negative delay', GOOD.replace('delay: 3bd', 'delay: -3bd'), 'sequence.1.delay', 14, /negative/],
    [
      'end before start',
      GOOD.replace('end: 2027-04-01T17:00', 'end: 2027-02-01T17:00'),
      'window.end',
      5,
      /after window.start/,
    ],
    [
      'a zone that does not exist',
      GOOD.replace('Europe/Berlin', 'Europe/Atlantis'),
      'window.timezone',
      5,
      /IANA/,
    ],
  ])('reports %s with its path, line and reason', (_name, text, path, line, reason) => {
    const e = errorOf(() => parseCampaignYaml(text, 'c.yaml'));
    expect(e.code).toBe('invalid_input');
    const first = issues(e)[0]!;
    expect(first.path).toBe(path);
    expect(first.message).toMatch(reason);
    expect(first.line).toBe(line);
    expect(e.message).toContain(`c.yaml:${line}:`);
  });
});

describe('campaign files on disk and the CLI', () => {
  let dir: string;
  let db: ReturnType<typeof tempSqliteUrl>;
  /** Runs a campaign command in this process (spawning tsx per command is slow on a busy machine). */
  const inProcess = async (
    ...args: string[]
  ): Promise<{ out: string; error?: BatonError; exitCode: number }> => {
    const program = new Command('baton').exitOverride();
    register(program);
    const lines: string[] = [];
    const log = console.log;
    const env = process.env.BATON_DB;
    console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
    process.env.BATON_DB = db.url;
    process.exitCode = 0;
    try {
      await program.parseAsync(['node', 'baton', ...args]);
      return { out: lines.join('\n'), exitCode: Number(process.exitCode ?? 0) };
    } catch (e) {
      if (!isBatonError(e)) throw e;
      return { out: lines.join('\n'), error: e, exitCode: Number(process.exitCode ?? 0) };
    } finally {
      console.log = log;
      process.env.BATON_DB = env;
      process.exitCode = 0;
    }
  };
  const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    try {
      const r = await run('npx', ['tsx', 'src/cli/main.ts', ...args], {
        env: { ...process.env, BATON_DB: db.url },
      });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-campaign-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'spring.yaml'), GOOD);
    writeFileSync(
      join(dir, 'bad.yaml'),
      GOOD.replace('id: spring', 'id: bad').replace('Europe/Berlin', 'Nowhere/City'),
    );
    writeFileSync(
      join(dir, 'templates', 'intro.liquid'),
      'Hi {{ contact.first_name }} {{ links.unsubscribe }}',
    );
    db = tempSqliteUrl();
    const store = openStore(db.url);
    await migrateToLatest(store);
    await new WorkspacesRepository(store).ensure('acme', Date.parse('2027-01-04T12:00:00Z'));
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    db.cleanup();
  });

  it('loads the templates a file references, and refuses unknown or escaping ones', async () => {
    const f = await loadCampaignFile(join(dir, 'spring.yaml'));
    expect(f.templates.map((t) => [t.id, t.kind])).toEqual([['templates/intro.liquid', 'liquid']]);

    writeFileSync(
      join(dir, 'missing.yaml'),
      GOOD.replaceAll('templates/intro.liquid', 'templates/nope.mjml'),
    );
    await expect(loadCampaignFile(join(dir, 'missing.yaml'))).rejects.toThrow(
      /templates\/nope\.mjml" was not found/,
    );
    writeFileSync(join(dir, 'escape.yaml'), GOOD.replaceAll('templates/intro.liquid', '../secret.txt'));
    await expect(loadCampaignFile(join(dir, 'escape.yaml'))).rejects.toThrow(
      /inside the campaign file's folder/,
    );
  });

  it('applies a file, prints what changed, and prints "no change" the second time', async () => {
    const first = await inProcess('apply', join(dir, 'spring.yaml'));
    expect(first.error).toBeUndefined();
    expect(first.out).toContain('campaign spring: created (revision 1, draft)');
    expect(first.out).toContain('template templates/intro.liquid: created');
    const second = await inProcess('apply', join(dir, 'spring.yaml'));
    expect(second.out.trim()).toBe('campaign spring: no change');

    writeFileSync(join(dir, 'spring2.yaml'), GOOD.replace('target: 10', 'target: 12'));
    const third = await inProcess('apply', join(dir, 'spring2.yaml'));
    expect(third.out).toContain('campaign spring: updated to revision 2');
    expect(third.out).toContain('goal.target: 10 → 12');
  });

  it('writes nothing when the file has an error', async () => {
    const r = await inProcess('apply', join(dir, 'bad.yaml'));
    expect(r.error?.message).toMatch(/bad\.yaml:5:\d+: window\.timezone/);
    expect((await inProcess('lint', join(dir, 'bad.yaml'))).error?.code).toBe('invalid_input');
    // The campaign "bad" was never stored: launching it is "not found".
    expect((await inProcess('launch', 'bad')).error?.message).toMatch(/campaign "bad" was not found/);
  });

  it(
    'lints a file and exits 1 on blocking findings (the real `baton` process)',
    { timeout: 90_000 },
    async () => {
      const r = await cli('lint', join(dir, 'spring.yaml'));
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/BLOCKING {2}audience_empty/);
      const bad = await cli('apply', join(dir, 'bad.yaml'));
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/bad\.yaml:5:\d+: window\.timezone/);
    },
  );
});
