// `baton demo` end to end on a small world: the example campaigns run (one of them across email, an ads
// audience, a social post and a call task), the review is printed, and the same seed gives the same output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/sim/demo.js';
import { printDemoReview } from '../src/sim/review-printer.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function demoOutput(name: string, seed: string): Promise<string[]> {
  const lines: string[] = [];
  const run = await runDemo({
    weeks: 2,
    seed,
    dbPath: join(dir, `${name}.db`),
    size: { accounts: 30, contactsPerAccount: 6 },
    log: (l) => lines.push(l),
  });
  try {
    await printDemoReview(run, { truth: true, out: (l) => lines.push(l) });
  } finally {
    await run.shutdown();
    await run.app.close();
    await run.store.close();
  }
  return lines;
}

describe('baton demo', () => {
  it('runs the example campaigns end to end and prints the same review for the same seed', async () => {
    const first = await demoOutput('a', 'seed-1');
    const text = first.join('\n');
    for (const id of [
      'q1-analytics-launch',
      'fy27-outbound-enterprise',
      'lead-nurture',
      'sql-omnichannel-push',
    ])
      expect(text).toContain(id);
    // The omnichannel campaign's post reached the local stand-in for LinkedIn on day 2 of its window.
    expect(text).toContain(
      'Social post customer-story published on company-linkedin at 2027-01-07T14:00:00.000Z with a tracked link',
    );
    // The review of issue 9: goal, funnel, attribution side by side, experiment verdict, holdout lift,
    // and with --truth the simulator's ground truth.
    for (const section of [
      'Goal',
      'Pacing',
      'Funnel',
      'Attribution',
      'Experiments',
      'Holdout lift',
      'Ground truth',
    ]) {
      expect(text).toContain(section);
    }
    expect(text).toMatch(/step intro \(opened, control a\)/);
    // The forecast is shown before launch, from the real planning code.
    expect(text).toMatch(/Forecast before launch/);
    expect(text).toMatch(/q1-analytics-launch: \d+ people \(\+\d+ holdout\), \d+ touches/);
    const second = await demoOutput('b', 'seed-1');
    expect(second).toEqual(first);
  }, 240_000);
});
