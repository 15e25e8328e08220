// `baton keys create|list|revoke`: creates the workspace on first use and prints a new API key (or write key) once.
import type { Command } from 'commander';
import { BatonError } from '../../domain/errors.js';
import { ApiKeysRepository, KEY_SCOPES, type KeyScope } from '../../store/api-keys.repository.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import { recordAudit } from '../../store/audit.repository.js';
import { cliActor } from '../audit.js';
import { resolveWorkspace, withContext } from '../context.js';

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
        const { key, record } = await new ApiKeysRepository(store).create(
          ws.id,
          { kind: opts.ingest ? 'ingest' : 'api', name: opts.name, scopes },
          clock.now(),
        );
        await recordAudit(store, {
          workspaceId: ws.id,
          at: clock.now(),
          actor: cliActor(),
          action: 'api_key.create',
          target: { type: 'api_key', id: record.id },
          details: { kind: record.kind, scopes: record.scopes, name: record.name, prefix: record.prefix },
        });
        process.stderr.write(
          `${opts.ingest ? 'Write key' : 'API key'} for workspace ${ws.name} (shown once, store it now):\n`,
        );
        console.log(key);
      });
    });
  keys
    .command('list')
    .description("list a workspace's live keys (id, kind, scopes, prefix; never the key)")
    .option('--workspace <name>', 'workspace name (default: the only one)')
    .action(async (opts: { workspace?: string }) => {
      await withContext(async ({ store }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        for (const k of await new ApiKeysRepository(store).list(ws.id)) {
          console.log(`${k.id}\t${k.kind}\t${k.scopes.join(' ')}\t${k.prefix}…\t${k.name ?? ''}`);
        }
      });
    });
  keys
    .command('revoke <id>')
    .description('revoke a key at once (requests with it are refused from then on)')
    .option('--workspace <name>', 'workspace name (default: the only one)')
    .action(async (id: string, opts: { workspace?: string }) => {
      await withContext(async ({ store, clock }) => {
        const ws = await resolveWorkspace(store, opts.workspace);
        if (!(await new ApiKeysRepository(store).revoke(ws.id, id, clock.now()))) {
          throw BatonError.notFound('API key', id);
        }
        await recordAudit(store, {
          workspaceId: ws.id,
          at: clock.now(),
          actor: cliActor(),
          action: 'api_key.revoke',
          target: { type: 'api_key', id },
        });
        console.log(`Key ${id} is revoked.`);
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
