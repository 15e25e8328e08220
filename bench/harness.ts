// Small helpers shared by benchmarks: timing and a uniform figure/baseline/ratio report.

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

export interface Figure {
  label: string;
  value: number;
  unit: string;
}

/** Prints a figure against its same-run baseline; `higherIsBetter` decides how the ratio reads. */
export function report(figure: Figure, baseline: Figure, higherIsBetter = true): number {
  const ratio = figure.value / baseline.value;
  const fmt = (f: Figure): string =>
    `${f.label}: ${f.value.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${f.unit}`;
  console.log(fmt(figure));
  console.log(fmt(baseline) + ' (baseline, same run)');
  console.log(
    `ratio: ${(ratio * 100).toFixed(1)}% of baseline ${higherIsBetter ? '(higher is better)' : '(lower is better; ' + ratio.toFixed(2) + '×)'}`,
  );
  return ratio;
}
