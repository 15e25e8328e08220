// `baton demo`: four campaigns end to end on a simulated market, then the API and UI.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEMO_START, runDemo } from '../../sim/demo.js';
import { printDemoReview } from '../../sim/review-printer.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run four example campaigns on a simulated market (embedded store), print their reviews, then serve the UI',
    )
    .option('--weeks <n>', 'weeks of simulated time', '8')
    .option('--seed <seed>', 'world and behaviour seed (same seed, same results)', 'baton')
    .option('--contacts <n>', 'approximate number of contacts in the simulated market', '1300')
    .option('--truth', "also print the simulator's ground truth next to what Baton measured")
    .option('--no-serve', 'exit after the review instead of serving the API and UI')
    .option('--port <port>', 'port to serve on', '4400')
    .option('--db <path>', 'demo database file (recreated)', './baton-demo.db')
    .action(
      async (opts: {
        weeks: string;
        seed: string;
        contacts: string;
        truth?: boolean;
        serve: boolean;
        port: string;
        db: string;
      }) => {
        const weeks = Number(opts.weeks);
        if (!Number.isInteger(weeks) || weeks < 1 || weeks > 52)
          throw new Error('--weeks must be a whole number from 1 to 52');
        const contacts = Number(opts.contacts);
        const started = process.hrtime.bigint();
        const tty = process.stderr.isTTY;
        console.log(
          `Baton demo: a simulated B2B market, four campaigns, ${weeks} weeks from ${new Date(DEMO_START).toISOString().slice(0, 10)} (seed ${opts.seed})`,
        );
        const run = await runDemo({
          weeks,
          seed: opts.seed,
          dbPath: resolve(opts.db),
          size: { accounts: Math.max(10, Math.round(contacts / 8)), contactsPerAccount: 8 },
          publicUrl: `http://localhost:${opts.port}`,
          log: (line) => console.log(line),
          progress: tty
            ? (done, total, label) => {
                const w = 30;
                const f = Math.round((done / total) * w);
                process.stderr.write(`\r  simulating [${'#'.repeat(f)}${'.'.repeat(w - f)}] ${label}`);
                if (done >= total) process.stderr.write('\n');
              }
            : undefined,
        });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        await printDemoReview(run, { truth: opts.truth ?? false, out: (l) => console.log(l) });
        console.log(`\nSimulated ${weeks} weeks in ${seconds.toFixed(1)} s.`);
        await run.shutdown();
        if (!opts.serve) {
          await run.app.close();
          await run.store.close();
          return;
        }
        await run.app.listen({ port: Number(opts.port), host: '127.0.0.1' });
        console.log(
          `Serving the demo workspace on http://localhost:${opts.port} (API docs at /docs). Ctrl-C to stop.`,
        );
      },
    );
}
