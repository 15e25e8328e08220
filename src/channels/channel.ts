// The one interface every channel implements. Channels take batches so a pooled transport (SMTP) or a
// bulk write (the log channel) can do many touches at once; each message carries an idempotency key.
import type SQLite from 'better-sqlite3';

export interface OutboundMessage {
  workspaceId: string;
  touchId: string;
  /** Stable across retries: receivers and providers de-duplicate on it. */
  idempotencyKey: string;
  campaignId: string;
  stepId: string;
  variantId: string | null;
  channel: string;
  contact: {
    id: string;
    email: string | null;
    phone: string | null;
    first_name: string | null;
    last_name: string | null;
    time_zone: string | null;
    account_id: string | null;
    attributes: Record<string, unknown>;
  };
  /** What the step asks for, already resolved for this contact (subject, body, task, audience, …). */
  content: Record<string, unknown>;
  /** The time the dispatcher performs the touch (from its clock). */
  now: number;
}

export type SendResult =
  | {
      status: 'sent';
      providerMessageId?: string;
      details?: Record<string, unknown>;
      /**
       * The step stays open until something outside the dispatcher resolves it (a sales task completed,
       * skipped or expired): the next step is planned then, not now.
       */
      holdsStep?: boolean;
    }
  /** A temporary failure: the dispatcher retries with backoff. */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** A permanent failure; `bounce: 'hard'` also suppresses the address. */
  | { status: 'failed'; error: string; bounce?: 'hard' | 'soft' };

export interface Channel {
  readonly name: string;
  /**
   * Set by a channel whose send only writes to this SQLite database, synchronously on its connection (the
   * `log` channel): on that store the dispatcher sends and records such a batch inside its claim transaction.
   */
  readonly storeOnly?: SQLite.Database;
  send(batch: OutboundMessage[]): Promise<SendResult[]>;
  close?(): Promise<void>;
}

export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();

  register(channel: Channel): this {
    this.channels.set(channel.name, channel);
    return this;
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  async close(): Promise<void> {
    for (const c of this.channels.values()) await c.close?.();
  }
}
