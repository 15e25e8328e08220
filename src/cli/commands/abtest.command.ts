// `baton abtest`: experiment statistics from counts on the command line; no database is opened.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import {
  analyzeMeanTest,
  analyzeRateTest,
  type AbTestOptions,
  type AbTestReport,
  type MeanArm,
  type RateArm,
} from '../../measure/experiments/index.js';

interface AbTestFlags {
  control?: string;
  treatment?: string;
  controlMean?: string;
  treatmentMean?: string;
  split: string;
  alpha: string;
  tuning: string;
  power: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('abtest')
    .description('two-arm experiment statistics from counts (no database needed)')
    .option('--control <x/n>', 'control conversions/contacts, e.g. 1000/10000')
    .option('--treatment <x/n>', 'treatment conversions/contacts, e.g. 1100/10000')
    .option('--control-mean <n,sum,sumsq>', 'control value per contact: n, Σx, Σx²')
    .option('--treatment-mean <n,sum,sumsq>', 'treatment value per contact: n, Σx, Σx²')
    .option('--split <c:t>', 'planned traffic split control:treatment, for the sample-ratio check', '50:50')
    .option('--alpha <a>', 'significance level', '0.05')
    .option('--tuning <N>', 'confidence-sequence tuning: total contacts where it is tightest', '5000')
    .option('--power <p>', 'target power for the sample-size figures', '0.8')
    .option('--json', 'print the full result as JSON')
    .action((flags: AbTestFlags) => {
      const report = analyze(flags);
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else console.log(formatReport(report));
    });
}

function analyze(flags: AbTestFlags): AbTestReport {
  const options: AbTestOptions = {
    alpha: parseNumber(flags.alpha, '--alpha'),
    tuning: parseNumber(flags.tuning, '--tuning'),
    power: parseNumber(flags.power, '--power'),
    split: parseSplit(flags.split),
  };
  const rates = flags.control !== undefined || flags.treatment !== undefined;
  const means = flags.controlMean !== undefined || flags.treatmentMean !== undefined;
  if (rates === means)
    throw BatonError.invalid([
      {
        path: '--control',
        message: 'give --control and --treatment (rates) or --control-mean and --treatment-mean (values)',
      },
    ]);
  if (rates) {
    return analyzeRateTest(
      parseRate(flags.control, '--control'),
      parseRate(flags.treatment, '--treatment'),
      options,
    );
  }
  return analyzeMeanTest(
    parseMean(flags.controlMean, '--control-mean'),
    parseMean(flags.treatmentMean, '--treatment-mean'),
    options,
  );
}

function parseNumber(text: string, flag: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x))
    throw BatonError.invalid([{ path: flag, message: `${JSON.stringify(text)} is not a number` }]);
  return x;
}

function parseRate(text: string | undefined, flag: string): RateArm {
  const m = text === undefined ? null : /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw BatonError.invalid([
      {
        path: flag,
        message: `expected conversions/contacts such as 1000/10000, got ${JSON.stringify(text ?? '')}`,
      },
    ]);
  return { conversions: Number(m[1]), n: Number(m[2]) };
}

function parseMean(text: string | undefined, flag: string): MeanArm {
  const parts = (text ?? '').split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || nums.some((x) => !Number.isFinite(x)))
    throw BatonError.invalid([
      {
        path: flag,
        message: `expected n,sum,sumsq such as 500,1234.5,9876.25, got ${JSON.stringify(text ?? '')}`,
      },
    ]);
  return { n: nums[0]!, sum: nums[1]!, sumSquares: nums[2]! };
}

function parseSplit(text: string): [number, number] {
  const parts = text.split(/[:/,]/).map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every((x) => Number.isFinite(x) && x > 0))
    throw BatonError.invalid([
      {
        path: '--split',
        message: `expected two positive weights such as 50:50, got ${JSON.stringify(text)}`,
      },
    ]);
  return [parts[0]!, parts[1]!];
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
const signedPct = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`;
const pp = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`;
const num = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const signed = (x: number, digits = 4) => `${x >= 0 ? '+' : ''}${num(x, digits)}`;
const loss = (x: number) => `${x < 5e-7 ? '0' : (x * 100).toPrecision(2)} pp`;
const pValue = (p: number) => (p < 0.0001 ? p.toExponential(2) : p.toFixed(4));

/** The human-readable report printed without --json. */
export function formatReport(r: AbTestReport): string {
  const level = `${Math.round((1 - r.test.alpha) * 100)}%`;
  const lines: string[] = [];
  const seq = r.sequential;
  const cmp = seq.comparisons[0]!;
  if (r.metric === 'rate') {
    const t = r.test;
    lines.push(
      'Conversion rate',
      `  control    ${r.control.conversions} / ${r.control.n}  ${pct(t.controlRate)}`,
      `  treatment  ${r.treatment.conversions} / ${r.treatment.n}  ${pct(t.treatmentRate)}`,
      '',
      'Two-proportion z test (pooled p-value, unpooled interval)',
      `  difference ${pp(t.difference)}   ${level} CI [${pp(t.interval.lower)}, ${pp(t.interval.upper)}]`,
      `  z = ${num(t.z, 3)}   p = ${pValue(t.pValue)}   ${t.pValue < t.alpha ? 'significant' : 'not significant'} at α = ${t.alpha}`,
    );
  } else {
    const t = r.test;
    lines.push(
      'Value per contact',
      `  control    n = ${r.control.n}  mean ${num(t.controlMean)}  sd ${num(Math.sqrt(t.controlVariance))}`,
      `  treatment  n = ${r.treatment.n}  mean ${num(t.treatmentMean)}  sd ${num(Math.sqrt(t.treatmentVariance))}`,
      '',
      "Welch's t test",
      `  difference ${signed(t.difference)}   ${level} CI [${signed(t.interval.lower)}, ${signed(t.interval.upper)}]`,
      `  t = ${num(t.t, 3)}   df = ${num(t.df, 1)}   p = ${pValue(t.pValue)}   ${t.pValue < t.alpha ? 'significant' : 'not significant'} at α = ${t.alpha}`,
    );
  }
  const lift = r.relativeLift;
  lines.push(
    '',
    lift
      ? `Relative lift ${signedPct(lift.estimate)}   ${level} CI [${signedPct(lift.interval.lower)}, ${signedPct(lift.interval.upper)}] (delta method)`
      : 'Relative lift: undefined (the control mean is 0)',
  );
  if (r.metric === 'rate') {
    const b = r.bayesian;
    lines.push(
      '',
      `Bayesian (Beta(${b.prior.alpha}, ${b.prior.beta}) prior, exact)`,
      `  chance to beat control  ${pct(b.chanceToBeatControl, 1)}`,
      `  expected loss if shipping treatment ${loss(b.expectedLossTreatment)}, if keeping control ${loss(b.expectedLossControl)}`,
    );
  }
  const scale = r.metric === 'rate' ? pp : (x: number) => signed(x);
  const verdict =
    seq.verdict === 'winner'
      ? `${seq.chosenVariant} wins`
      : seq.verdict === 'keep_testing'
        ? 'keep testing'
        : seq.verdict === 'inconclusive'
          ? `inconclusive, ${seq.chosenVariant} goes`
          : 'no difference';
  lines.push(
    '',
    `Sequential test (confidence sequence, valid at every look; α = ${seq.alpha})`,
    `  difference ${scale(cmp.difference)}   sequence [${scale(cmp.interval.lower)}, ${scale(cmp.interval.upper)}]   always-valid p = ${pValue(cmp.pValue)}`,
    `  verdict: ${verdict} (${seq.reason})`,
    '',
    `Sample ratio (planned ${r.srm.expected.map((e) => Math.round(e)).join(' : ')})`,
    `  chi-square = ${num(r.srm.chiSquare, 3)}   p = ${pValue(r.srm.pValue)}   ${r.srm.mismatch ? 'MISMATCH: assignment looks broken, do not trust these results' : 'ok'}`,
  );
  if (r.metric === 'rate') {
    const p = r.power;
    const mde = p.minimumDetectableEffect;
    lines.push(
      '',
      `Power (${pct(p.targetPower, 0)}, α = ${r.test.alpha}, two-sided)`,
      mde.p2 === null
        ? `  minimum detectable effect at ${Math.min(r.control.n, r.treatment.n)} per arm: none (too few contacts)`
        : `  minimum detectable effect at ${Math.min(r.control.n, r.treatment.n)} per arm: ${pct(r.test.controlRate)} → ${pct(mde.p2)} (${pp(mde.absolute!)}${mde.relative === null ? '' : `, ${signedPct(mde.relative, 1)} relative`})`,
      p.sampleSizeForObservedEffect === null
        ? '  contacts per arm to detect the observed difference: no difference observed'
        : `  contacts per arm to detect the observed difference: ${p.sampleSizeForObservedEffect}`,
    );
  }
  return lines.join('\n');
}
