import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const DATA = join(ROOT, 'test/fixtures/attribution/Data.csv');

// An unusable database URL: if `baton attribute` opened the store, it would fail on it.
const env = { ...process.env, BATON_DB: 'oracle://scott@localhost/nowhere' };

async function baton(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout: string; stderr: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

// Data.csv is ChannelAttribution's own example data (python/src/cypack/data/Data.csv); its README gives
// 12 channels, 19,785 conversions, conversion value 74,802.972 and 68,602 non-converting journeys.
const CHANNELS = [
  'alpha',
  'beta',
  'delta',
  'epsilon',
  'eta',
  'gamma',
  'iota',
  'kappa',
  'lambda',
  'mi',
  'theta',
  'zeta',
];

describe('baton attribute', () => {
  it('prints every model side by side for Data.csv without opening the database', async () => {
    const r = await baton(['attribute', DATA, '--value']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual([
      'channel',
      'first_touch',
      'last_touch',
      'linear',
      'time_decay',
      'position_based',
      'markov_1',
      'shapley',
      'first_touch_value',
      'last_touch_value',
      'linear_value',
      'time_decay_value',
      'position_based_value',
      'markov_1_value',
      'shapley_value',
    ]);
    expect(lines.slice(1, 13).map((l) => l.split(/\s+/)[0])).toEqual(CHANNELS);
    const total = lines[13]!.split(/\s+/);
    expect(total.slice(1, 8)).toEqual(Array(7).fill('19,785.00'));
    expect(total.slice(8)).toEqual(Array(7).fill('74,802.97'));
    expect(r.stdout).toContain('68,602.00 non-converting journeys');
    expect(r.stdout).toMatch(/markov: order 1, 12 states, non-converting paths ignored/);
  });

  it('prints JSON for one model with the Markov options', async () => {
    const r = await baton(['attribute', DATA, '--model', 'markov', '--order', '2', '--nulls', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      totals: { conversions: number; value: number; nulls: number };
      models: Array<{
        model: string;
        credits: Array<{ channel: string; conversions: number }>;
        markov: {
          order: number;
          useNulls: boolean;
          conversionProbability: number;
          removalEffects: unknown[];
        };
      }>;
    };
    expect(report.totals.conversions).toBe(19785);
    expect(report.totals.nulls).toBe(68602);
    expect(report.totals.value).toBeCloseTo(74802.972, 2);
    expect(report.models).toHaveLength(1);
    const [m] = report.models;
    expect(m!.model).toBe('markov');
    expect(m!.markov.order).toBe(2);
    expect(m!.markov.useNulls).toBe(true);
    expect(m!.markov.removalEffects).toHaveLength(12);
    // With non-converting paths the chain's P(conversion) is the observed share 19,785 / (19,785 + 68,602).
    expect(m!.markov.conversionProbability).toBeCloseTo(19785 / 88387, 10);
    expect(m!.credits.reduce((s, c) => s + c.conversions, 0)).toBeCloseTo(19785, 6);
  });

  it('accepts a comma list of models and comma-separated files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-attr-'));
    const file = join(dir, 'paths.csv');
    // Analyzecore's three journeys (see markov.test.ts): removal effects C1 0.5, C2 1, C3 1 → 0.2, 0.4, 0.4.
    writeFileSync(
      file,
      'path,total_conversions,total_conversion_value,total_null\nC1>C2>C3,1,0,0\nC1,0,0,1\nC2>C3,0,0,1\n',
    );
    const r = await baton(['attribute', file, '--model', 'first_touch,markov', '--nulls']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').map((l) => l.split(/\s+/));
    expect(rows[0]).toEqual(['channel', 'first_touch', 'markov_1_nulls']);
    expect(rows.slice(1, 4)).toEqual([
      ['C1', '1.00', '0.20'],
      ['C2', '0.00', '0.40'],
      ['C3', '0.00', '0.40'],
    ]);
  });

  it.each([
    [['--model', 'lasttouch'], /model: "lasttouch" is not a model/],
    [['--order', 'two'], /--order: "two" is not a number/],
  ])('rejects bad options %j', async (extra, message) => {
    const r = await baton(['attribute', DATA, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('names the line of a malformed path and refuses a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-attr-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'path;total_conversions;total_conversion_value;total_null\na > b;1;2;0\na >  > c;1;0;0\n',
    );
    const r1 = await baton(['attribute', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('line 3: the path "a >  > c" has an empty channel');
    const r2 = await baton(['attribute', join(dir, 'missing.csv')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/does not exist/);
  });
});
