// Settings of the whole installation (not of one workspace), such as the generated signing secret.
import { randomBytes } from 'node:crypto';
import type { Store } from './db.js';

export async function getSetting(store: Pick<Store, 'db'>, key: string): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

/**
 * The key that signs tracking, unsubscribe and session tokens: BATON_SECRET when set, otherwise one
 * generated on first start and kept in the database so every process of the installation agrees.
 */
export async function resolveSecret(
  store: Pick<Store, 'db'>,
  configured: string | undefined,
): Promise<string> {
  if (configured) return configured;
  const existing = await getSetting(store, 'secret');
  if (existing) return existing;
  await store.db
    .insertInto('instance_settings')
    .values({ key: 'secret', value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await getSetting(store, 'secret'))!;
}
