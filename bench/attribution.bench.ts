// `npm run bench -- attribution [paths]`: 1,000,000 seeded paths (20 channels, mean length 5) in ChannelAttribution's
// file format through every attribution model, each timed against a same-run baseline that only reads and splits
// the same text into channel ids. Targets (issue 8): Markov order 1 within 4× the baseline; all models < 30 s.
import {
  firstTouch,
  lastTouch,
  linear,
  markov,
  parsePathsFile,
  positionBased,
  shapley,
  timeDecay,
  type PathSet,
} from '../src/measure/attribution/index.js';
import { report, timed } from './harness.js';

/** Wall and CPU milliseconds of one call; CPU time is steadier when other work shares the 2 cores. */
async function measured<T>(fn: () => T): Promise<{ ms: number; cpuMs: number; value: T }> {
  const c0 = process.cpuUsage();
  const t = await timed(fn);
  const c = process.cpuUsage(c0);
  return { ms: t.ms, cpuMs: (c.user + c.system) / 1000, value: t.value };
}

/** mulberry32: a small seeded generator so every run sees the same paths. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHANNELS = Array.from({ length: 20 }, (_, i) => `channel_${String(i + 1).padStart(2, '0')}`);

/** Paths file text: length 1 + geometric (mean 5), channels skewed and sticky, conversions more likely late. */
export function generatePaths(n: number, seed = 20261129): string {
  const random = rng(seed);
  // Zipf-like popularity, and a per-channel conversion lift so attribution has something to find.
  const weights = CHANNELS.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = weights.map(
    (
      (s) => (w: number) =>
        (s += w / total)
    )(0),
  );
  const lift = CHANNELS.map((_, i) => 0.02 + 0.01 * (i % 5));
  const pick = (): number => {
    const u = random();
    const i = cumulative.findIndex((c) => u < c);
    return i < 0 ? CHANNELS.length - 1 : i;
  };
  const lines: string[] = ['path;total_conversions;total_conversion_value;total_null'];
  for (let i = 0; i < n; i++) {
    const length = 1 + Math.floor(Math.log(1 - random()) / Math.log(0.8));
    const touches: number[] = [];
    let p = 0.05;
    for (let t = 0; t < length; t++) {
      const ch = t > 0 && random() < 0.3 ? touches[t - 1]! : pick();
      touches.push(ch);
      p += lift[ch]!;
    }
    const journeys = 1 + Math.floor(random() * 4);
    let conversions = 0;
    for (let j = 0; j < journeys; j++) if (random() < Math.min(p, 0.9)) conversions++;
    const value = conversions > 0 ? Math.round(conversions * (20 + random() * 80) * 100) / 100 : 0;
    lines.push(
      `${touches.map((c) => CHANNELS[c]).join(' > ')};${conversions};${value};${journeys - conversions}`,
    );
  }
  return lines.join('\n') + '\n';
}

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 1_000_000);
  const gen = await timed(() => generatePaths(n));
  const text = gen.value;
  console.log(
    `generated ${n.toLocaleString('en-US')} paths (${(text.length / 1e6).toFixed(0)} MB of text) in ${(gen.ms / 1000).toFixed(1)} s`,
  );

  // Baseline: read and split the same text into channel ids; best of two to damp noise on a shared machine.
  let set: PathSet | undefined;
  let base = { ms: Infinity, cpuMs: Infinity };
  for (let r = 0; r < 2; r++) {
    const t = await measured(() => parsePathsFile(text));
    set = t.value;
    if (t.ms < base.ms) base = { ms: t.ms, cpuMs: t.cpuMs };
  }
  const paths = set!;
  console.log(
    `baseline (read + split into channel ids): ${(base.ms / 1000).toFixed(2)} s wall, ` +
      `${(base.cpuMs / 1000).toFixed(2)} s CPU; ${paths.touches.length.toLocaleString('en-US')} touches, ` +
      `${paths.channels.length} channels\n`,
  );

  const models: Array<[string, () => unknown]> = [
    ['first_touch', () => firstTouch(paths)],
    ['last_touch', () => lastTouch(paths)],
    ['linear', () => linear(paths)],
    ['time_decay', () => timeDecay(paths)],
    ['position_based', () => positionBased(paths)],
    ['shapley (exact, 2^20 coalitions)', () => shapley(paths)],
    ['markov order 1', () => markov(paths, { order: 1 })],
    ['markov order 1 + nulls', () => markov(paths, { order: 1, useNulls: true })],
    ['markov order 2', () => markov(paths, { order: 2 })],
    ['markov order 2 + nulls', () => markov(paths, { order: 2, useNulls: true })],
  ];
  if (args.includes('--order3')) {
    models.push(['markov order 3 + nulls (extra)', () => markov(paths, { order: 3, useNulls: true })]);
  }
  const rows: Array<{ name: string; ms: number; cpuMs: number }> = [];
  for (const [name, fn] of models) {
    const t = await measured(fn);
    rows.push({ name, ms: t.ms, cpuMs: t.cpuMs });
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  const s = (ms: number): string => (ms / 1000).toFixed(2).padStart(7);
  const x = (r: number): string => `${r.toFixed(2).padStart(6)}×`;
  console.log(`${'model'.padEnd(width)}   wall s    CPU s  (read+model)/read, wall  CPU`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${s(r.ms)}  ${s(r.cpuMs)}  ${x((base.ms + r.ms) / base.ms)}  ` +
        `${x((base.cpuMs + r.cpuMs) / base.cpuMs)}`,
    );
  }
  const core = rows.filter((r) => !r.name.includes('extra'));
  const totalMs = core.reduce((a, r) => a + r.ms, 0);
  const totalCpu = core.reduce((a, r) => a + r.cpuMs, 0);
  console.log(
    `${'all models (target < 30 s)'.padEnd(width)}  ${s(totalMs)}  ${s(totalCpu)}  ` +
      `(with one read: ${((totalMs + base.ms) / 1000).toFixed(2)} s wall)\n`,
  );

  const o1 = rows.find((r) => r.name === 'markov order 1')!;
  report(
    { label: 'read + Markov order 1 (wall)', value: (base.ms + o1.ms) / 1000, unit: 's' },
    { label: 'read + split only (wall)', value: base.ms / 1000, unit: 's' },
    false,
  );
  console.log('target: Markov order 1 within 4× the baseline');
}
