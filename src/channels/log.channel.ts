// The `log` channel: records each touch in the channel_log table instead of contacting anyone. The engine's
// tests and benchmarks use it, and it stands in for any channel a workspace has not connected yet.
import type SQLite from 'better-sqlite3';
import type { Store } from '../store/db.js';
import { toJson } from '../store/json.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';

// The insert, prepared once per SQLite connection (every log channel of a store shares it).
const inserts = new WeakMap<SQLite.Database, SQLite.Statement>();

function logInsert(sqlite: SQLite.Database): SQLite.Statement {
  let insert = inserts.get(sqlite);
  if (!insert) {
    insert = sqlite.prepare(
      `INSERT INTO channel_log (touch_id, workspace_id, channel, contact_id, payload, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (touch_id) DO NOTHING`,
    );
    inserts.set(sqlite, insert);
  }
  return insert;
}

export class LogChannel implements Channel {
  /** On SQLite the log is a table of the same store: the dispatcher may send inside its transaction. */
  readonly storeOnly: Store['sqlite'];

  constructor(
    private readonly store: Store,
    readonly name: string = 'log',
  ) {
    this.storeOnly = store.sqlite;
  }

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    if (batch.length === 0) return [];
    const rows = batch.map((m) => ({
      touch_id: m.touchId,
      workspace_id: m.workspaceId,
      channel: m.channel,
      contact_id: m.contact.id,
      payload: toJson({ campaign: m.campaignId, step: m.stepId, variant: m.variantId, content: m.content }),
      created_at: m.now,
    }));
    const sqlite = this.store.sqlite;
    if (sqlite) {
      // One transaction of prepared inserts: the log channel must not be what the dispatcher benchmark measures.
      const insert = logInsert(sqlite);
      sqlite.transaction(() => {
        for (const r of rows)
          insert.run(r.touch_id, r.workspace_id, r.channel, r.contact_id, r.payload, r.created_at);
      })();
    } else {
      for (let i = 0; i < rows.length; i += 500) {
        await this.store.db
          .insertInto('channel_log')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.column('touch_id').doNothing())
          .execute();
      }
    }
    return batch.map(() => ({ status: 'sent' }));
  }
}
