// The inbound SMTP listener (`baton serve --inbound-smtp PORT`): mail sent back to Baton's senders is
// parsed and matched to the touch it answers. A reply (In-Reply-To/References naming a touch's Message-ID)
// is a `replied` event and ends the enrollment; an RFC 3464 delivery status notification is a `bounced`
// event (hard: 5.x.x failed; soft: 4.x.x or delayed); an auto-reply (Auto-Submitted, out of office) is an
// `auto_replied` event that counts as no reply. Anything else is accepted and ignored.
//
// A touch's Message-ID is in every copy its recipient holds, so knowing it proves nothing. A reply or an
// auto-reply counts only when the envelope sender or the From address is the contact's (their address now,
// or the one the touch went to); from anyone else it is ignored and writes nothing. A delivery report counts
// only with the null reverse path (MAIL FROM:<>), which RFC 5321 §4.5.5 and RFC 3464 §2 require of every
// DSN. Neither check authenticates the sender (no SPF, DKIM or DMARC verification here): they stop a
// stranger holding a forwarded message, not someone who forges the recipient's own address.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Clock } from '../engine/clock.js';
import type { Store } from '../store/db.js';
import { normalizeEmail } from '../domain/contact.js';
import {
  applyHardBounce,
  exitOnReply,
  findTouch,
  recordTouchEvent,
  type EmailTouch,
} from './email/outcomes.js';

export type InboundOutcome =
  | { kind: 'replied'; touchId: string; exited: number }
  | { kind: 'auto_replied'; touchId: string }
  | { kind: 'bounced'; touchId: string; bounce: 'hard' | 'soft' }
  | { kind: 'ignored'; reason: string };

const TOUCH_MESSAGE_ID = /<(tch_[0-9A-Za-z]+)@[^>\s]+>/g;
const TOUCH_ID = /\btch_[0-9A-HJKMNP-TV-Z]{26}\b/g;
const AUTO_SUBJECT =
  /^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|absence|r[ée]ponse automatique|automatische antwort|away from)/i;
const MAX_BYTES = 10 * 1024 * 1024;

function header(mail: ParsedMail, name: string): string {
  const v = mail.headers.get(name);
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'value' in v) return String((v as { value: unknown }).value);
  return String(v);
}

function isAutoReply(mail: ParsedMail): boolean {
  const auto = header(mail, 'auto-submitted').toLowerCase();
  if (auto && auto !== 'no') return true;
  if (
    mail.headers.has('x-autoreply') ||
    mail.headers.has('x-autorespond') ||
    mail.headers.has('x-autoresponder')
  )
    return true;
  if (/^(auto_reply|auto-reply)$/i.test(header(mail, 'precedence').trim())) return true;
  return AUTO_SUBJECT.test(mail.subject ?? '');
}

function isDsn(mail: ParsedMail, raw: string): boolean {
  const ct = mail.headers.get('content-type') as
    { value?: string; params?: Record<string, string> } | undefined;
  if (ct?.value?.toLowerCase() === 'multipart/report') {
    return (ct.params?.['report-type'] ?? '').toLowerCase() === 'delivery-status';
  }
  return /report-type="?delivery-status/i.test(raw.slice(0, 4000));
}

/** The touch a DSN is about: a touch id anywhere in the returned message (Message-ID or X-Baton-Touch). */
async function dsnTouch(store: Store, raw: string): Promise<EmailTouch | undefined> {
  for (const m of new Set(raw.match(TOUCH_ID) ?? [])) {
    const t = await findTouch(store.db, m);
    if (t) return t;
  }
  return undefined;
}

/** RFC 3464 per-recipient fields: Action and Status decide hard (5.x.x failed) or soft. */
export function dsnVerdict(raw: string): {
  bounce: 'hard' | 'soft' | null;
  status: string | null;
  diagnostic: string | null;
} {
  const action = /^Action:\s*([a-z]+)/im.exec(raw)?.[1]?.toLowerCase() ?? null;
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(raw)?.[1] ?? null;
  const diagnostic = /^Diagnostic-Code:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? null;
  if (action === 'delivered' || action === 'relayed' || action === 'expanded' || status?.startsWith('2')) {
    return { bounce: null, status, diagnostic };
  }
  const hard = action === 'failed' && (status === null || status.startsWith('5'));
  return { bounce: hard ? 'hard' : 'soft', status, diagnostic };
}

async function repliedTouch(store: Store, mail: ParsedMail): Promise<EmailTouch | undefined> {
  const refs = [
    mail.inReplyTo ?? '',
    ...(Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : []),
  ].join(' ');
  // The nearest reference first: In-Reply-To, then References from the newest.
  const ids = [...refs.matchAll(TOUCH_MESSAGE_ID)];
  const ordered = [ids[0], ...ids.slice(1).reverse()].filter((m) => m !== undefined);
  for (const m of ordered) {
    const t = await findTouch(store.db, m[1]!);
    if (t && t.messageId === m[0]) return t;
  }
  return undefined;
}

/** The SMTP envelope a message came with. */
export interface InboundEnvelope {
  /** The MAIL FROM address; '' for the null reverse path (`MAIL FROM:<>`). */
  mailFrom: string;
}

const sameAddress = (a: string, b: string): boolean =>
  a.trim() !== '' && normalizeEmail(a).toLowerCase() === normalizeEmail(b).toLowerCase();

/** Whether the envelope sender or the From address is the touch's contact (now, or as the touch was sent). */
async function fromTheContact(
  store: Store,
  touch: EmailTouch,
  envelope: InboundEnvelope,
  headerFrom: string | null,
): Promise<boolean> {
  const contact = await store.db
    .selectFrom('contacts')
    .select('email')
    .where('workspace_id', '=', touch.workspaceId)
    .where('id', '=', touch.contactId)
    .executeTakeFirst();
  const theirs = [contact?.email, touch.email.to].filter(
    (a): a is string => typeof a === 'string' && a !== '',
  );
  const senders = [envelope.mailFrom, headerFrom ?? ''];
  return theirs.some((a) => senders.some((s) => sameAddress(s, a)));
}

/** Parses one inbound message and records what it means. */
export async function processInbound(
  store: Store,
  raw: Buffer,
  now: number,
  envelope: InboundEnvelope,
): Promise<InboundOutcome> {
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextLinks: true, skipImageLinks: true });
  const text = raw.toString('latin1');
  const inboundId = mail.messageId ?? createHash('sha256').update(raw).digest('hex').slice(0, 32);
  const from = mail.from?.value[0]?.address ?? null;

  if (isDsn(mail, text)) {
    if (envelope.mailFrom !== '')
      return { kind: 'ignored', reason: 'a delivery report with a sender (DSNs have none)' };
    const touch = await dsnTouch(store, text);
    if (!touch) return { kind: 'ignored', reason: 'a delivery report about no known touch' };
    const v = dsnVerdict(text);
    if (v.bounce === null) return { kind: 'ignored', reason: 'a delivery report of success' };
    const isNew = await recordTouchEvent(store.db, touch, 'bounced', `dsn:${touch.id}:${v.bounce}`, now, {
      bounce: v.bounce,
      status: v.status,
      diagnostic: v.diagnostic,
      source: 'dsn',
    });
    if (isNew && v.bounce === 'hard') {
      await applyHardBounce(store, touch, now, v.diagnostic ?? v.status ?? 'delivery status notification');
    }
    return { kind: 'bounced', touchId: touch.id, bounce: v.bounce };
  }

  const touch = await repliedTouch(store, mail);
  if (!touch) return { kind: 'ignored', reason: 'answers no touch Baton sent' };
  if (!(await fromTheContact(store, touch, envelope, from))) {
    return { kind: 'ignored', reason: "a reply from an address other than the contact's" };
  }
  const properties = {
    from,
    subject: mail.subject ?? null,
    snippet: (mail.text ?? '').replace(/\s+/g, ' ').trim().slice(0, 200),
  };
  if (isAutoReply(mail)) {
    await recordTouchEvent(
      store.db,
      touch,
      'auto_replied',
      `autoreply:${touch.id}:${inboundId}`,
      now,
      properties,
    );
    return { kind: 'auto_replied', touchId: touch.id };
  }
  await recordTouchEvent(store.db, touch, 'replied', `reply:${touch.id}:${inboundId}`, now, properties);
  const exited = await exitOnReply(store, touch, now);
  return { kind: 'replied', touchId: touch.id, exited };
}

export interface InboundListener {
  port: number;
  close(): Promise<void>;
}

/** Starts the listener; every message is accepted (250) once recorded, a store failure answers 451. */
export async function startInboundSmtp(
  store: Store,
  clock: Clock,
  options: { port: number; host?: string; onMessage?: (o: InboundOutcome) => void },
): Promise<InboundListener> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    size: MAX_BYTES,
    onData(stream, session, cb) {
      // smtp-server reads a message past `size` to the end and only flags it: keep no more than the limit.
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes <= MAX_BYTES) chunks.push(c);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || bytes > MAX_BYTES)
          return cb(Object.assign(new Error('Message too large'), { responseCode: 552 }));
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        processInbound(store, Buffer.concat(chunks), clock.now(), { mailFrom }).then(
          (o) => {
            options.onMessage?.(o);
            cb();
          },
          (e: unknown) =>
            cb(
              Object.assign(new Error(`Temporary failure: ${e instanceof Error ? e.message : String(e)}`), {
                responseCode: 451,
              }),
            ),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
