// `baton doctor`: configuration, database, migrations, clock skew and SMTP, each said plainly; exit 1 on an error.
import type { Command } from 'commander';
import { runDoctor } from '../../ops/doctor.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check configuration, database version, migrations, clock skew and SMTP reachability')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor();
      if (opts.json) console.log(JSON.stringify(checks, null, 2));
      else {
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) {
          const mark = c.status === 'ok' ? 'ok  ' : c.status === 'warning' ? 'warn' : 'FAIL';
          console.log(`${mark}  ${c.name.padEnd(width)}  ${c.detail}`);
        }
      }
      if (checks.some((c) => c.status === 'error')) process.exitCode = 1;
    });
}
