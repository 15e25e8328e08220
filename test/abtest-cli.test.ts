import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/cli/commands/abtest.command.js';
import { analyzeMeanTest, analyzeRateTest } from '../src/measure/experiments/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

// An unusable database URL: if `baton abtest` opened the store, it would fail on it.
const env = { ...process.env, BATON_DB: 'oracle://scott@localhost/nowhere' };
// Each run starts node + the TypeScript loader; on a busy 2-core machine that can take several seconds.
const SPAWN_TIMEOUT = 120_000;

async function baton(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout: string; stderr: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe('baton abtest', () => {
  it(
    'prints every section for rates without opening the database',
    async () => {
      const r = await baton(['abtest', '--control', '1000/10000', '--treatment', '1100/10000']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      for (const heading of [
        'Two-proportion z test',
        'Relative lift',
        'chance to beat control',
        'expected loss',
        'Sequential test',
        'verdict: keep testing',
        'Sample ratio',
        'minimum detectable effect',
      ])
        expect(r.stdout).toContain(heading);
    },
    SPAWN_TIMEOUT,
  );

  // R prop.test(matrix(c(94, 39, 120, 89), 2), correct = FALSE) (influentialpoints.com, "Two-sample
  // test for independent proportions - using R"): X-squared = 6.1026, p-value = 0.01350,
  // 95 percent confidence interval 0.03074072 0.23838896.
  it(
    '--json carries the numbers (checked against R prop.test)',
    async () => {
      const r = await baton([
        'abtest',
        '--control',
        '39/128',
        '--treatment',
        '94/214',
        '--split',
        '1:1',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.metric).toBe('rate');
      expect(out.test.z ** 2).toBeCloseTo(6.1026, 4);
      expect(out.test.pValue).toBeCloseTo(0.0135, 4);
      expect(out.test.interval.lower).toBeCloseTo(0.03074072, 8);
      expect(out.test.interval.upper).toBeCloseTo(0.23838896, 8);
      expect(out.srm.mismatch).toBe(true); // 128 vs 214 on a 50:50 plan is a broken split
      expect(out.bayesian.chanceToBeatControl).toBeGreaterThan(0.99);
      expect(out.sequential.verdict).toBe('keep_testing'); // blocked by the SRM
    },
    SPAWN_TIMEOUT,
  );

  // R's documented Welch test on the sleep data: t = -1.8608, df = 17.776, p-value = 0.07939.
  // Sufficient statistics of sleep$extra: group 1 n = 10, Σ = 7.5, Σx² = 34.43; group 2 n = 10, Σ = 23.3, Σx² = 90.37.
  it(
    'computes the Welch test from --control-mean / --treatment-mean',
    async () => {
      const r = await baton([
        'abtest',
        '--control-mean',
        '10,23.3,90.37',
        '--treatment-mean',
        '10,7.5,34.43',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.metric).toBe('mean');
      expect(out.test.t).toBeCloseTo(-1.8608, 4);
      expect(out.test.df).toBeCloseTo(17.776, 3);
      expect(out.test.pValue).toBeCloseTo(0.07939, 5);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'exits 2 with one clear line naming the flag or field for bad input',
    async () => {
      const cases: Array<[string[], string]> = [
        [['abtest', '--control', '10/5', '--treatment', '1/10'], 'control.conversions'],
        [['abtest', '--control', 'ten', '--treatment', '1/10'], '--control'],
        [['abtest', '--control-mean', '1,2', '--treatment-mean', '3,3,5', '--split', '50'], '--split'],
      ];
      const results = await Promise.all(cases.map(([args]) => baton(args)));
      results.forEach((r, i) => {
        expect(r.code).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines[0]).toMatch(/^baton: /);
        expect(lines[0]).toContain(cases[i]![1]);
      });
    },
    SPAWN_TIMEOUT,
  );
});

describe('baton abtest text report', () => {
  // Sufficient statistics of R's sleep data; R's t.test prints t = -1.8608, df = 17.776, p-value = 0.07939.
  it('prints the Welch test for value per contact, without Bayesian or power sections', () => {
    const text = formatReport(
      analyzeMeanTest({ n: 10, sum: 23.3, sumSquares: 90.37 }, { n: 10, sum: 7.5, sumSquares: 34.43 }),
    );
    expect(text).toContain("Welch's t test");
    expect(text).toContain('t = -1.861   df = 17.8   p = 0.0794   not significant at α = 0.05');
    expect(text).not.toContain('Bayesian');
    expect(text).not.toContain('Power');
  });

  it('warns loudly on a sample ratio mismatch and names the winner when conclusive', () => {
    const text = formatReport(analyzeRateTest({ conversions: 200, n: 5000 }, { conversions: 400, n: 6000 }));
    expect(text).toContain('MISMATCH: assignment looks broken');
    expect(text).toContain('verdict: keep testing');
    const clean = formatReport(analyzeRateTest({ conversions: 200, n: 5000 }, { conversions: 400, n: 5000 }));
    expect(clean).toContain('verdict: treatment wins');
    expect(clean).toContain('Sample ratio (planned 5000 : 5000)');
  });

  it('says so when the relative lift is undefined', () => {
    const text = formatReport(analyzeRateTest({ conversions: 0, n: 100 }, { conversions: 3, n: 100 }));
    expect(text).toContain('Relative lift: undefined (the control mean is 0)');
  });
});
