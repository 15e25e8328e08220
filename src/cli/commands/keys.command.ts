// `baton keys create`: creates the workspace on first use and prints a new API key (or write key) once.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { ApiKeysRepository, KEY_SCOPES, type KeyScope } from '../../store/api-keys.repository.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import { withContext } from '../context.js';

export function register(program: Command): void {
  const keys = program.command('keys').description('manage API keys and ingestion write keys');
  keys
    .command('create')
    .description('create a key (and the workspace on first use); the key is printed once')
    .requiredOption('--workspace <name>', 'workspace name')
    .option('--ingest', 'create a Segment-compatible ingestion write key instead of an API key')
    .option('--scope <scopes...>', `API key scopes (${KEY_SCOPES.join(', ')})`, ['admin'])
    .option('--name <name>', 'a label for the key (the source, for write keys)')
    .action(async (opts: { workspace: string; ingest?: boolean; scope: string[]; name?: string }) => {
      const scopes = opts.ingest ? (['ingest'] as KeyScope[]) : parseScopes(opts.scope);
      await withContext(async ({ store, clock }) => {
        const ws = await new WorkspacesRepository(store).ensure(opts.workspace, clock.now());
        const { key } = await new ApiKeysRepository(store).create(
          ws.id,
          { kind: opts.ingest ? 'ingest' : 'api', name: opts.name, scopes },
          clock.now(),
        );
        process.stderr.write(
          `${opts.ingest ? 'Write key' : 'API key'} for workspace ${ws.name} (shown once, store it now):\n`,
        );
        console.log(key);
      });
    });
}

function parseScopes(input: string[]): KeyScope[] {
  const scopes = input
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scopes) {
    if (!(KEY_SCOPES as readonly string[]).includes(s)) {
      throw BatonError.invalid([
        { path: '--scope', message: `${JSON.stringify(s)} is not one of ${KEY_SCOPES.join(', ')}` },
      ]);
    }
  }
  return scopes as KeyScope[];
}
