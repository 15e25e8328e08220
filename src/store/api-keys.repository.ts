// API keys and ingestion write keys: only a SHA-256 of each key is stored; the key is shown once.
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { SCOPES, type Scope } from '../domain/roles.js';

export type KeyKind = 'api' | 'ingest';
export const KEY_SCOPES = SCOPES;
export type KeyScope = Scope;

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  kind: KeyKind;
  name: string | null;
  scopes: KeyScope[];
  prefix: string;
  createdAt: number;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class ApiKeysRepository {
  constructor(private readonly store: Store) {}

  /** Creates a key and returns it in clear text: the only time it exists outside the caller's hands. */
  async create(
    workspaceId: string,
    input: { kind: KeyKind; name?: string; scopes: KeyScope[] },
    now: number,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    // API keys are 256-bit random; ingestion write keys are shorter because SDKs put them in URLs' basic auth.
    const secret = randomBytes(input.kind === 'api' ? 32 : 24).toString('base64url');
    const key = `${input.kind === 'api' ? 'bk' : 'bwk'}_${secret}`;
    const row = {
      id: newId('key', now),
      workspace_id: workspaceId,
      kind: input.kind,
      name: input.name ?? null,
      scopes: input.scopes.join(' '),
      prefix: key.slice(0, 10),
      hash: hashKey(key),
      created_at: now,
      revoked_at: null,
    };
    await this.store.db.insertInto('api_keys').values(row).execute();
    return { key, record: toRecord(row) };
  }

  /** Finds the live key a request presented, or undefined. */
  async verify(key: string, kind: KeyKind): Promise<ApiKeyRecord | undefined> {
    const row = await this.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('hash', '=', hashKey(key))
      .where('kind', '=', kind)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async list(workspaceId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return rows.map(toRecord);
  }

  async revoke(workspaceId: string, id: string, now: number): Promise<boolean> {
    const r = await this.store.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function toRecord(row: {
  id: string;
  workspace_id: string;
  kind: string;
  name: string | null;
  scopes: string;
  prefix: string;
  created_at: number;
}): ApiKeyRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    kind: row.kind as KeyKind,
    name: row.name,
    scopes: row.scopes.split(' ').filter(Boolean) as KeyScope[],
    prefix: row.prefix,
    createdAt: Number(row.created_at),
  };
}
