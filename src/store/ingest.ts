// Segment-spec messages in: validation per message (so a batch reports each bad one by index), Segment's
// clock-skew correction, and storage with identity resolution. On SQLite, calls made only of track, page
// and screen messages are written by prepared statements, the calls of one event-loop turn in one
// transaction (group commit); elsewhere runs of those messages are written set-based (ingest-batch.ts) and
// identify, group and alias go through Kysely message by message, on both dialects.
import type SQLite from 'better-sqlite3';
import type { Store } from './db.js';
import { appendEvents, eventRow, storedMessageIds, type NewEvent } from './events.repository.js';
import {
  aliasIdentity,
  groupContact,
  identifyContact,
  resolveContact,
  SqliteIdentityResolver,
} from './identity.js';
import { ingestEventRun } from './ingest-batch.js';
import { isErasedEmail } from './privacy/erased-emails.js';
import { UNSTORABLE_TEXT, unstorableTextPath } from '../domain/storable-text.js';

export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Segment's limits: 32 KB per message and 500 KB per call (segment.com/docs, HTTP API, max request size). */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_CALL_BYTES = 500 * 1024;
/** A timestamp more than this far ahead of the receipt time is taken as a wrong clock: receivedAt wins. */
export const MAX_FUTURE_MS = 24 * 3_600_000;
/** Before this, a timestamp is a unit mistake (seconds for milliseconds) rather than history. */
export const EARLIEST_TIMESTAMP = Date.UTC(2000, 0, 1);

/**
 * The event types Baton records itself about its touches (the dispatcher, the email and SMS channels, the
 * tracking and unsubscribe routes, the inbound listener, the event processor's conversions). A tracked event
 * may not take one of these names: the write key lives in browser JavaScript, and a forged `bounced` or
 * `unsubscribed` would otherwise end a person's enrollments, a forged `opened` satisfy a step condition.
 */
export const BATON_EVENT_TYPES: ReadonlySet<string> = new Set([
  'sent',
  'delivered',
  'opened',
  'clicked',
  'replied',
  'bounced',
  'failed',
  'unsubscribed',
  'complained',
  'converted',
]);

export interface TrackingMessage {
  type: MessageType;
  messageId: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** track: the event name; page/screen: the page name. */
  event: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  groupId: string | null;
  previousId: string | null;
  context: Record<string, unknown> | null;
  /** The event time after clock-skew correction (epoch ms). */
  occurredAt: number;
}

export type ParseResult = { ok: true; message: TrackingMessage } | { ok: false; error: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function id(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function time(v: unknown): number | undefined | 'invalid' {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && !(v instanceof Date)) return 'invalid';
  const t = typeof v === 'string' ? Date.parse(v) : v.getTime();
  return Number.isFinite(t) ? t : 'invalid';
}

/**
 * The time an event happened, as Segment computes `timestamp`: the client's timestamp shifted by the
 * difference between the server's receipt time and the client's `sentAt` (timestamp + (receivedAt −
 * sentAt)), the receipt time when there is no timestamp, and the receipt time again when the result is
 * more than a day in the future (a wrong device clock, not a future event).
 */
export function correctedTime(
  timestamp: number | undefined,
  sentAt: number | undefined,
  receivedAt: number,
): number {
  if (timestamp === undefined) return receivedAt;
  const t = sentAt === undefined ? timestamp : timestamp + (receivedAt - sentAt);
  return t > receivedAt + MAX_FUTURE_MS ? receivedAt : t;
}

/** Validates one message; `type` comes from the endpoint (/v1/track) or from the message (/v1/batch). */
export function parseMessage(
  raw: unknown,
  endpointType: MessageType | undefined,
  receivedAt: number,
  callSentAt: number | undefined,
): ParseResult {
  if (!isObject(raw)) return { ok: false, error: 'must be a JSON object' };
  const unstorable = unstorableTextPath(raw);
  if (unstorable) return { ok: false, error: `${unstorable}: ${UNSTORABLE_TEXT}` };
  const type = (endpointType ?? raw.type) as MessageType;
  if (!MESSAGE_TYPES.includes(type)) {
    return { ok: false, error: `type: must be one of ${MESSAGE_TYPES.join(', ')}` };
  }
  const userId = id(raw.userId);
  const anonymousId = id(raw.anonymousId);
  const previousId = id(raw.previousId);
  const groupId = id(raw.groupId);
  if (type === 'alias') {
    if (!userId || !previousId) return { ok: false, error: 'alias needs userId and previousId' };
  } else if (!userId && !anonymousId) {
    return { ok: false, error: 'userId or anonymousId: one of them is required' };
  }
  let event: string | null = null;
  if (type === 'track') {
    if (typeof raw.event !== 'string' || raw.event.trim() === '') {
      return { ok: false, error: 'event: track needs an event name' };
    }
    if (raw.event.length > 200) return { ok: false, error: 'event: must be at most 200 characters' };
    if (BATON_EVENT_TYPES.has(raw.event)) {
      return {
        ok: false,
        error: `event: "${raw.event}" is an outcome Baton records itself from its own emails and messages; track your event under another name`,
      };
    }
    event = raw.event;
  } else if (type === 'page' || type === 'screen') {
    event = typeof raw.name === 'string' ? raw.name : null;
  }
  if (type === 'group' && !groupId) return { ok: false, error: 'groupId: group needs a groupId' };
  for (const key of ['properties', 'traits', 'context'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && !isObject(raw[key])) {
      return { ok: false, error: `${key}: must be an object` };
    }
  }
  const messageId = raw.messageId === undefined || raw.messageId === null ? null : id(raw.messageId);
  if (messageId !== null && messageId.length > 200) {
    return { ok: false, error: 'messageId: must be at most 200 characters' };
  }
  const timestamp = time(raw.timestamp ?? raw.originalTimestamp);
  const sentAt = time(raw.sentAt);
  if (timestamp === 'invalid') return { ok: false, error: 'timestamp: is not an ISO-8601 date' };
  if (sentAt === 'invalid') return { ok: false, error: 'sentAt: is not an ISO-8601 date' };
  const occurredAt = correctedTime(timestamp, sentAt ?? callSentAt, receivedAt);
  if (occurredAt < EARLIEST_TIMESTAMP) {
    return { ok: false, error: 'timestamp: is before 2000-01-01 (seconds sent as milliseconds?)' };
  }
  const context = isObject(raw.context) ? raw.context : null;
  const traits = isObject(raw.traits) ? raw.traits : isObject(context?.traits) ? context.traits : {};
  return {
    ok: true,
    message: {
      type,
      messageId,
      userId,
      anonymousId,
      event,
      properties: isObject(raw.properties) ? raw.properties : {},
      traits,
      groupId,
      previousId,
      context,
      occurredAt,
    },
  };
}

/** The stored event: track events under their own name; the other calls under theirs. */
function toEvent(
  workspaceId: string,
  m: TrackingMessage,
  receivedAt: number,
  contactId: string | null,
): NewEvent {
  let properties: Record<string, unknown>;
  if (m.type === 'track') properties = m.properties;
  else if (m.type === 'page' || m.type === 'screen') properties = { name: m.event, ...m.properties };
  else if (m.type === 'identify') properties = { traits: m.traits };
  else if (m.type === 'group') properties = { groupId: m.groupId, traits: m.traits };
  else properties = { previousId: m.previousId, userId: m.userId };
  if (m.context) properties = { ...properties, $context: m.context };
  return {
    workspaceId,
    type: m.type === 'track' ? m.event! : m.type,
    occurredAt: m.occurredAt,
    receivedAt,
    messageId: m.messageId,
    contactId,
    anonymousId: m.anonymousId,
    properties,
  };
}

const isEventMessage = (m: TrackingMessage): boolean =>
  m.type === 'track' || m.type === 'page' || m.type === 'screen';

export interface IngestResult {
  stored: number;
  duplicates: number;
  /** Identify calls refused because their email belongs to a person erased at their request. */
  erased?: number;
}

/** Stores messages in order, resolving each one's contact; a repeated messageId is stored once. */
export async function ingestMessages(
  store: Store,
  workspaceId: string,
  messages: readonly TrackingMessage[],
  receivedAt: number,
): Promise<IngestResult> {
  if (messages.length === 0) return { stored: 0, duplicates: 0 };
  // Inside a transaction Kysely holds open on the same handle, raw writes would join (and could be rolled
  // back with) it: take the Kysely path, which waits for the connection.
  if (store.sqlite && !store.sqlite.inTransaction && messages.every(isEventMessage)) {
    const fast = await sqliteFastPath(store.sqlite).run(workspaceId, messages, receivedAt);
    if (fast) return fast;
  }
  let stored = 0;
  let erased = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (isEventMessage(m)) {
      // A run of track/page/screen messages is written set-based (multi-row inserts, src/store/ingest-batch.ts).
      let end = i + 1;
      while (end < messages.length && isEventMessage(messages[end]!)) end++;
      stored += await ingestEventRun(store, workspaceId, messages.slice(i, end), receivedAt, (x, contactId) =>
        toEvent(workspaceId, x, receivedAt, contactId),
      );
      i = end - 1;
      continue;
    }
    if (m.messageId !== null && (await seen(store, workspaceId, m.messageId))) continue;
    // An erased person is not brought back by an identify call naming their email (docs/privacy.md).
    if (
      m.type === 'identify' &&
      typeof m.traits.email === 'string' &&
      (await isErasedEmail(store.db, workspaceId, m.traits.email))
    ) {
      erased++;
      continue;
    }
    const contactId = await applyIdentity(store, workspaceId, m, receivedAt);
    const event = toEvent(workspaceId, m, receivedAt, contactId);
    if (m.type === 'group') {
      const account = await store.db
        .selectFrom('contacts')
        .select('account_id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', contactId)
        .executeTakeFirst();
      event.accountId = account?.account_id ?? null;
    }
    stored += await appendEvents(store.db, [event]);
  }
  return {
    stored,
    duplicates: messages.length - stored - erased,
    ...(erased > 0 ? { erased } : {}),
  };
}

async function seen(store: Store, workspaceId: string, messageId: string): Promise<boolean> {
  return (await storedMessageIds(store.db, workspaceId, [messageId])).size > 0;
}

async function applyIdentity(
  store: Store,
  workspaceId: string,
  m: TrackingMessage,
  now: number,
): Promise<string> {
  const refs = { userId: m.userId, anonymousId: m.anonymousId };
  switch (m.type) {
    case 'identify':
      return identifyContact(store.db, workspaceId, refs, m.traits, now);
    case 'alias':
      return aliasIdentity(store.db, workspaceId, m.previousId!, m.userId!, now);
    case 'group': {
      const contactId = await resolveContact(store.db, workspaceId, refs, now);
      await groupContact(store, workspaceId, contactId, m.groupId!, m.traits, now);
      return contactId;
    }
    default:
      return resolveContact(store.db, workspaceId, refs, now);
  }
}

class NeedsKyselyPath extends Error {}

interface FastJob {
  ws: string;
  messages: readonly TrackingMessage[];
  at: number;
  resolve: (r: IngestResult | undefined) => void;
  reject: (e: unknown) => void;
}

/**
 * Prepared statements per SQLite handle, built once, and group commit: calls that arrive in the same turn
 * of the event loop are written in one transaction (each call in its own savepoint, so a call that needs
 * the Kysely path is rolled back alone). Commits, and the index pages each one rewrites into the WAL, are
 * what per-call transactions cost most.
 */
class SqliteFastPath {
  private readonly resolver: SqliteIdentityResolver;
  private readonly insert: SQLite.Statement;
  private readonly call: (ws: string, messages: readonly TrackingMessage[], at: number) => IngestResult;
  private readonly group: (jobs: FastJob[]) => Array<IngestResult | undefined>;
  private queue: FastJob[] = [];

  constructor(private readonly sqlite: SQLite.Database) {
    this.resolver = new SqliteIdentityResolver(sqlite);
    this.insert = sqlite.prepare(
      'INSERT INTO events (id, workspace_id, message_id, type, contact_id, account_id, anonymous_id, occurred_at, ' +
        'received_at, properties, campaign_id, touch_id, step_id, variant_id, channel) ' +
        'VALUES (@id, @workspace_id, @message_id, @type, @contact_id, @account_id, @anonymous_id, @occurred_at, ' +
        '@received_at, @properties, @campaign_id, @touch_id, @step_id, @variant_id, @channel) ' +
        'ON CONFLICT (workspace_id, message_id) DO NOTHING',
    );
    // Nested in `group`, better-sqlite3 runs this one as a savepoint.
    this.call = sqlite.transaction((ws: string, messages: readonly TrackingMessage[], at: number) => {
      let stored = 0;
      for (const m of messages) {
        const contactId = this.resolver.resolve(ws, m.userId, m.anonymousId, at);
        if (contactId === undefined) throw new NeedsKyselyPath();
        stored += this.insert.run(eventRow(toEvent(ws, m, at, contactId))).changes;
      }
      return { stored, duplicates: messages.length - stored };
    });
    this.group = sqlite.transaction((jobs: FastJob[]) =>
      jobs.map((j) => {
        try {
          return this.call(j.ws, j.messages, j.at);
        } catch (e) {
          if (e instanceof NeedsKyselyPath) return undefined;
          throw e;
        }
      }),
    );
  }

  /** Undefined when an identity needs merging: the caller then takes the Kysely path (nothing was written). */
  run(ws: string, messages: readonly TrackingMessage[], at: number): Promise<IngestResult | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ws, messages, at, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const jobs = this.queue;
    this.queue = [];
    // Kysely opened a transaction on this handle meanwhile: let every call take the Kysely path.
    if (this.sqlite.inTransaction) {
      for (const j of jobs) j.resolve(undefined);
      return;
    }
    try {
      const results = this.group(jobs);
      jobs.forEach((j, i) => j.resolve(results[i]));
    } catch (e) {
      for (const j of jobs) j.reject(e);
    }
  }
}

const fastPaths = new WeakMap<SQLite.Database, SqliteFastPath>();

function sqliteFastPath(sqlite: SQLite.Database): SqliteFastPath {
  let path = fastPaths.get(sqlite);
  if (!path) {
    path = new SqliteFastPath(sqlite);
    fastPaths.set(sqlite, path);
  }
  return path;
}
