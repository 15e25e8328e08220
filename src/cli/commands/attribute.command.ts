// `baton attribute FILE`: offline attribution of a ChannelAttribution-format paths file under every model.
// Reads the file and prints; no store is opened.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import {
  ATTRIBUTION_MODELS,
  DAY_MS,
  attribute,
  parseModel,
  parsePathsFile,
  type AttributionModel,
  type AttributionReport,
} from '../../measure/attribution/index.js';

interface AttributeOptions {
  model: string;
  order: string;
  nulls?: boolean;
  value?: boolean;
  json?: boolean;
  halfLife: string;
}

export function register(program: Command): void {
  program
    .command('attribute')
    .description(
      'credit conversions to channels from a paths file (ChannelAttribution format: ' +
        'path;total_conversions;total_conversion_value;total_null, channels joined by " > ")',
    )
    .argument('<file>', 'paths file, ";" or "," separated')
    .option('--model <model>', `${ATTRIBUTION_MODELS.join(', ')}, a comma list, or all`, 'all')
    .option('--order <k>', 'Markov chain order, 1 to 3', '1')
    .option('--nulls', 'let non-converting paths (total_null) shape the Markov chain')
    .option('--value', 'also show conversion value credited')
    .option('--half-life <days>', 'time decay half-life in days (touches in the file are one day apart)', '7')
    .option('--json', 'print the full result as JSON')
    .action((file: string, opts: AttributeOptions) => {
      const models = parseModels(opts.model);
      const order = parseNumber('--order', opts.order);
      const halfLifeDays = parseNumber('--half-life', opts.halfLife);
      const set = parsePathsFile(readPaths(file));
      const report = attribute(set, {
        models,
        order,
        useNulls: opts.nulls ?? false,
        halfLifeMs: halfLifeDays * DAY_MS,
      });
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else process.stdout.write(formatTable(report, opts.value ?? false));
    });
}

function readPaths(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new BatonError('not_found', `paths file ${JSON.stringify(file)} does not exist`);
    throw new BatonError('invalid_input', `cannot read paths file ${JSON.stringify(file)}: ${String(e)}`);
  }
}

function parseModels(input: string): AttributionModel[] {
  const names = input
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...ATTRIBUTION_MODELS];
  return [...new Set(names.map(parseModel))];
}

function parseNumber(flag: string, raw: string): number {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x)) {
    throw BatonError.invalid([{ path: flag, message: `${JSON.stringify(raw)} is not a number` }]);
  }
  return x;
}

/** One row per channel (alphabetical), one column per model, and a total row. */
export function formatTable(report: AttributionReport, withValue: boolean): string {
  const fmt = (x: number): string =>
    x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const label = (m: AttributionReport['models'][number]): string =>
    m.model === 'markov' ? `markov_${m.markov?.order ?? 1}${m.markov?.useNulls ? '_nulls' : ''}` : m.model;
  const columns: Array<{ head: string; cell: (k: number) => number }> = [];
  for (const m of report.models) columns.push({ head: label(m), cell: (k) => m.credits[k]!.conversions });
  if (withValue) {
    for (const m of report.models)
      columns.push({ head: `${label(m)}_value`, cell: (k) => m.credits[k]!.value });
  }
  const order = report.channels
    .map((_c, k) => k)
    .sort((a, b) => report.channels[a]!.localeCompare(report.channels[b]!));
  const rows: string[][] = [['channel', ...columns.map((c) => c.head)]];
  for (const k of order) rows.push([report.channels[k]!, ...columns.map((c) => fmt(c.cell(k)))]);
  rows.push(['total', ...columns.map((c) => fmt(report.channels.reduce((s, _ch, k) => s + c.cell(k), 0)))]);
  const widths = rows[0]!.map((_h, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = rows.map(line);
  const t = report.totals;
  out.push('');
  out.push(
    `${report.channels.length} channels; ${fmt(t.conversions)} conversions, value ${fmt(t.value)}, ` +
      `${fmt(t.nulls)} non-converting journeys`,
  );
  const mk = report.models.find((m) => m.model === 'markov')?.markov;
  if (mk) {
    out.push(
      `markov: order ${mk.order}, ${mk.states} states, non-converting paths ${mk.useNulls ? 'used' : 'ignored'}, ` +
        `P(conversion) ${mk.conversionProbability.toFixed(4)}; removal effects: ` +
        mk.removalEffects
          .slice()
          .sort((a, b) => a.channel.localeCompare(b.channel))
          .map((r) => `${r.channel} ${r.conversions.toFixed(4)}`)
          .join(', '),
    );
  }
  return out.join('\n') + '\n';
}
