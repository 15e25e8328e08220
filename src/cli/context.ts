// Shared start-up for CLI commands: config parsed once, the store opened and migrated, workspaces resolved.
import { loadConfig, type Config } from '../config/config.js';
import { BatonError } from '../domain/errors.js';
import { realClock, type Clock } from '../engine/clock.js';
import { openStore, type Store } from '../store/db.js';
import { resolveSecret } from '../store/instance-settings.repository.js';
import { migrateToLatest } from '../store/migrate.js';
import { useSecretKeys } from '../store/secret-box.js';
import { WorkspacesRepository, type Workspace } from '../store/workspaces.repository.js';

export interface CliContext {
  config: Config;
  store: Store;
  clock: Clock;
}

export async function openCliContext(
  env: Record<string, string | undefined> = process.env,
): Promise<CliContext> {
  const config = loadConfig(env);
  const store = openStore(config.BATON_DB);
  await migrateToLatest(store);
  // Sealed credentials open with this secret (or a previous one) in every command of this process.
  useSecretKeys(store, {
    current: await resolveSecret(store, config.BATON_SECRET),
    previous: config.BATON_SECRET_PREVIOUS ?? [],
  });
  return { config, store, clock: realClock };
}

/** The named workspace, or the only one when no name is given. */
export async function resolveWorkspace(store: Store, name: string | undefined): Promise<Workspace> {
  const repo = new WorkspacesRepository(store);
  if (name) {
    const ws = await repo.findByName(name);
    if (!ws)
      throw new BatonError(
        'not_found',
        `workspace ${JSON.stringify(name)} does not exist (create it with \`baton keys create --workspace ${name}\`)`,
      );
    return ws;
  }
  const all = await repo.list();
  if (all.length === 1) return all[0]!;
  if (all.length === 0)
    throw new BatonError(
      'not_found',
      'there is no workspace yet: create one with `baton keys create --workspace NAME`',
    );
  throw new BatonError('invalid_input', `there are ${all.length} workspaces: name one with --workspace`, {
    issues: [{ path: '--workspace', message: `one of ${all.map((w) => w.name).join(', ')}` }],
  });
}

/** Runs a command body with a context and always closes the store. */
export async function withContext<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = await openCliContext();
  try {
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}
