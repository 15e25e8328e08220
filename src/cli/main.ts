// Entry point of the `baton` command: builds the commander program and turns errors into one clear line.
import { Command } from 'commander';
import { isBatonError } from '../domain/errors.js';
import { commandModules } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('baton')
    .description('Baton: plan, run and measure goal-driven campaigns')
    .version('0.1.0')
    .showHelpAfterError();
  for (const m of commandModules) m.register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (isBatonError(e)) {
      console.error(`baton: ${e.message}`);
      const issues = (e.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
      if (issues && issues.length > 1) for (const i of issues) console.error(`  ${i.path}: ${i.message}`);
      process.exitCode = e.code === 'blocked_by_guardrails' ? 1 : 2;
      return;
    }
    console.error(`baton: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 70;
  }
}

await main(process.argv);
