// `npm run bench -- demo [contacts] [weeks] [seed]`: the demo on a larger simulated world. It prints the run time
// against a same-run baseline (building and importing the same world with no campaign running), and the
// ground-truth checks of issue 9: does each holdout-lift interval contain the true incremental
// conversions, and does the A/B verdict pick the truly better variant (the simulator's variant a opens
// 1.45× as often as b)?
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, timed } from './harness.js';
import { runDemo } from '../src/sim/demo.js';
import { printDemoReview } from '../src/sim/review-printer.js';
import { generateWorld } from '../src/sim/world.js';

export async function run(args: string[]): Promise<void> {
  const contacts = Number(args[0] ?? 4000);
  const weeks = Number(args[1] ?? 8);
  const seed = args[2] ?? 'bench';
  const size = { accounts: Math.round(contacts / 8), contactsPerAccount: 8 };
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-demo-'));
  try {
    const base = await timed(() => generateWorld(seed, size));
    const demo = await timed(() =>
      runDemo({ weeks, seed, dbPath: join(dir, 'demo.db'), size, log: (l) => console.log(l) }),
    );
    const lines: string[] = [];
    await printDemoReview(demo.value, { truth: true, out: (l) => lines.push(l) });
    await demo.value.shutdown();
    await demo.value.app.close();
    await demo.value.store.close();
    console.log(`world: ${demo.value.world.contacts.length} contacts, ${weeks} weeks`);
    report(
      {
        label: 'demo run (world, campaigns, weeks on the simulated clock)',
        value: demo.ms / 1000,
        unit: 's',
      },
      { label: 'generating the same world only', value: Math.max(base.ms, 1) / 1000, unit: 's' },
      false,
    );
    for (const l of lines)
      if (
        /interval (contains|misses)|^Campaign|chance to be best|: (winner|keep testing|no difference|inconclusive)/.test(
          l.trim(),
        )
      )
        console.log(l);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
