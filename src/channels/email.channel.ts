// The email channel: renders each touch (template compiled once per variant, Liquid per contact), picks a
// sender with room under its hourly rate and warmed-up daily limit (rotating across touches), respects
// per-recipient-domain limits, and sends through a pooled SMTP transport per sender with a deterministic
// Message-ID `<touchId@sender-domain>`, List-Unsubscribe (RFC 8058 one-click) and optional DKIM.
// Suppressed addresses and contacts who opted out of the step's category are never sent to.
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import {
  compileEmail,
  renderEmail,
  signToken,
  type CompiledEmail,
  type TemplateKind,
} from '../content/index.js';
import { domainOf, effectiveDailyLimit, HOUR_MS, DAY_MS, type Sender } from '../domain/email-sender.js';
import { RuntimeCache, campaignKey } from '../engine/runtime-cache.js';
import type { Store } from '../store/db.js';
import { EmailSendersRepository } from '../store/email-senders.repository.js';
import { fromJson, toJson } from '../store/json.js';
import { SuppressionsRepository } from '../store/suppressions.repository.js';
import { sql } from 'kysely';
import type { Channel, OutboundMessage, SendResult } from './channel.js';
import { DomainThrottle } from './email/domain-throttle.js';
import { classifySmtpError } from './email/smtp-outcome.js';

export interface EmailChannelOptions {
  /** Signs tracking and unsubscribe tokens (BATON_SECRET). */
  secret: string;
  /** Base of tracking and unsubscribe links. */
  publicUrl: string;
  /** The relay for senders without their own `smtp_url`. */
  relayUrl?: string;
  /** Connections per sender's pool (default 5). */
  poolSize?: number;
  /** Recipient domain → messages per hour. */
  domainHourlyLimits?: Record<string, number>;
  defaultDomainHourlyLimit?: number;
  /** Extra nodemailer transport options (TLS settings, timeouts). */
  transport?: Partial<SMTPPool.Options>;
  name?: string;
}

/** What the channel stores on the touch: the click targets are read from here, never from a URL. */
export interface EmailTouchDetails {
  sender_id: string;
  from: string;
  to: string;
  message_id: string;
  links: string[];
}

interface Prepared {
  i: number;
  m: OutboundMessage;
  sender: Sender;
  to: string;
  domain: string;
  mail: SendMailOptions;
  details: EmailTouchDetails;
}

const MAX_COMPILED = 500;

export class EmailChannel implements Channel {
  readonly name: string;
  private readonly transports = new Map<string, { key: string; transport: Transporter }>();
  private readonly compiled = new Map<string, Promise<CompiledEmail>>();
  private readonly runtimes: RuntimeCache;
  private readonly senders: EmailSendersRepository;
  private readonly throttle: DomainThrottle;
  /** Round-robin position per workspace: consecutive touches go out from different mailboxes. */
  private readonly rotation = new Map<string, number>();
  /** The hour each workspace's past usage counts were last dropped. */
  private readonly prunedHour = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly options: EmailChannelOptions,
  ) {
    this.name = options.name ?? 'email';
    this.runtimes = new RuntimeCache(store);
    this.senders = new EmailSendersRepository(store);
    this.throttle = new DomainThrottle(options.domainHourlyLimits, options.defaultDomainHourlyLimit);
  }

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const results: SendResult[] = new Array(batch.length);
    const byWorkspace = new Map<string, number[]>();
    batch.forEach((m, i) => {
      const list = byWorkspace.get(m.workspaceId);
      if (list) list.push(i);
      else byWorkspace.set(m.workspaceId, [i]);
    });
    for (const [ws, indexes] of byWorkspace) {
      await this.sendWorkspace(
        ws,
        indexes.map((i) => ({ i, m: batch[i]! })),
        results,
      );
    }
    return results;
  }

  private async sendWorkspace(
    ws: string,
    items: Array<{ i: number; m: OutboundMessage }>,
    results: SendResult[],
  ): Promise<void> {
    const now = items[0]!.m.now;
    const senders = await this.senders.list(ws, { activeOnly: true });
    if (senders.length === 0) {
      for (const { i } of items) results[i] = { status: 'retry', error: 'the workspace has no email sender' };
      return;
    }
    const usage = await this.senders.usage(
      ws,
      senders.map((s) => s.id),
      now,
    );
    const context = await this.loadContext(ws, items);

    const prepared: Prepared[] = [];
    const notAttempted: string[] = [];
    for (const { i, m } of items) {
      const to = m.contact.email?.trim();
      if (!to) {
        results[i] = { status: 'failed', error: 'the contact has no email address' };
        continue;
      }
      const domain = domainOf(to);
      const suppressed = context.suppressed.get(to.toLowerCase()) ?? context.suppressed.get(domain);
      if (suppressed) {
        results[i] = { status: 'failed', error: `suppressed (${suppressed})` };
        continue;
      }
      const category = typeof m.content.category === 'string' ? m.content.category : null;
      if (category && context.optOuts.has(`${m.contact.id}\u0000${category}`)) {
        results[i] = { status: 'failed', error: `opted out of the "${category}" category` };
        continue;
      }
      const campaign = context.campaigns.get(m.campaignId);
      const candidates = campaign?.sender
        ? senders.filter((s) => s.id === campaign.sender || s.email === campaign.sender!.toLowerCase())
        : senders;
      if (candidates.length === 0) {
        results[i] = {
          status: 'failed',
          error: `the campaign's sender "${campaign?.sender}" is not an active sender`,
        };
        continue;
      }
      const previous = context.previous.get(m.touchId);
      const sender = this.pickSender(ws, candidates, usage, now, previous);
      if ('waitMs' in sender) {
        notAttempted.push(m.touchId);
        results[i] = { status: 'retry', error: sender.reason, retryAfterMs: sender.waitMs };
        continue;
      }
      const wait = this.throttle.take(domain, now);
      if (wait > 0) {
        usage.get(sender.id)!.hour--;
        usage.get(sender.id)!.day--;
        notAttempted.push(m.touchId);
        results[i] = {
          status: 'retry',
          error: `the hourly limit for ${domain} is reached`,
          retryAfterMs: wait,
        };
        continue;
      }
      try {
        prepared.push(await this.prepare(i, m, sender, to, domain, campaign, context));
      } catch (e) {
        usage.get(sender.id)!.hour--;
        usage.get(sender.id)!.day--;
        this.throttle.release(domain, now);
        results[i] = { status: 'failed', error: e instanceof Error ? e.message : String(e) };
      }
    }

    // The read above is only a hint: other workers send from the same senders. Each sender's share is
    // reserved in the store before anything leaves, and what the store does not grant waits.
    const going = await this.reserve(ws, prepared, now, results, notAttempted);

    // The click targets and the Message-ID are on the touch before the message leaves.
    await this.storeDetails(
      going.map((p) => ({ id: p.m.touchId, messageId: p.mail.messageId!, details: p.details })),
      context.previousDetails,
    );

    // Reserved sends that did not go are given back; a hard bounce counts, as the receiver saw it.
    const unsent = new Map<string, number>();
    const bounced: Array<{ to: string; error: string }> = [];
    await Promise.all(
      going.map(async (p) => {
        try {
          await this.transportOf(p.sender).sendMail(p.mail);
          results[p.i] = {
            status: 'sent',
            details: { sender: p.sender.email, message_id: p.details.message_id },
          };
        } catch (e) {
          const outcome = classifySmtpError(e);
          if (outcome.kind === 'bounce') {
            results[p.i] = { status: 'failed', error: outcome.error, bounce: 'hard' };
            bounced.push({ to: p.to, error: outcome.error });
            return;
          }
          unsent.set(p.sender.id, (unsent.get(p.sender.id) ?? 0) + 1);
          this.throttle.release(p.domain, now);
          if (outcome.kind === 'failed') {
            // The sender, its credentials or this message was refused: the touch fails, the contact is
            // neither bounced nor suppressed.
            results[p.i] = { status: 'failed', error: outcome.error };
            return;
          }
          const retryAfterMs = outcome.throttle ? this.throttle.slowDown(p.domain, now) : undefined;
          results[p.i] = { status: 'retry', error: outcome.error, ...(retryAfterMs ? { retryAfterMs } : {}) };
        }
      }),
    );
    await this.senders.releaseUsage(ws, unsent, now).catch(() => undefined);
    const hour = Math.floor(now / HOUR_MS);
    if (this.prunedHour.get(ws) !== hour) {
      this.prunedHour.set(ws, hour);
      await this.senders.pruneUsage(ws, now).catch(() => undefined);
    }
    // The dispatcher marks the contact bounced and exits the enrollment; the address joins the suppression
    // list here, so no campaign reaches it again, whoever holds it.
    const suppressions = new SuppressionsRepository(this.store);
    for (const b of bounced) {
      // Never let bookkeeping turn sent messages into retries: an address the list refuses stays off it.
      await suppressions
        .add(ws, { value: b.to, reason: 'hard_bounce', note: b.error.slice(0, 300) }, now)
        .catch(() => undefined);
    }
    await this.refundAttempts(ws, notAttempted).catch(() => undefined);
  }

  /**
   * Reserves each sender's prepared sends in `email_sender_usage` (atomically, against its hourly rate and
   * warmed-up daily limit) and returns the messages that may go. The rest are held back like any other
   * throttled touch: `retry` at the next hour, claim refunded.
   */
  private async reserve(
    ws: string,
    prepared: Prepared[],
    now: number,
    results: SendResult[],
    notAttempted: string[],
  ): Promise<Prepared[]> {
    const bySender = new Map<string, Prepared[]>();
    for (const p of prepared) {
      const list = bySender.get(p.sender.id);
      if (list) list.push(p);
      else bySender.set(p.sender.id, [p]);
    }
    const going: Prepared[] = [];
    for (const list of bySender.values()) {
      const sender = list[0]!.sender;
      let granted = 0;
      let error = `${sender.email} reached its hourly rate or daily limit (other workers sent from it)`;
      try {
        granted = await this.senders.reserveUsage(ws, sender.id, list.length, now, {
          hour: sender.hourlyRate,
          day: effectiveDailyLimit(sender, now),
        });
      } catch (e) {
        error = `could not reserve the sender's usage: ${e instanceof Error ? e.message : String(e)}`;
      }
      going.push(...list.slice(0, granted));
      for (const p of list.slice(granted)) {
        this.throttle.release(p.domain, now);
        notAttempted.push(p.m.touchId);
        results[p.i] = {
          status: 'retry',
          error,
          retryAfterMs: (Math.floor(now / HOUR_MS) + 1) * HOUR_MS - now,
        };
      }
    }
    return going;
  }

  /** The sender for one touch: its earlier sender when it still has room (same Message-ID on retry), else the next in rotation. */
  private pickSender(
    ws: string,
    candidates: Sender[],
    usage: Map<string, { hour: number; day: number }>,
    now: number,
    previous: string | undefined,
  ): Sender | { waitMs: number; reason: string } {
    const room = (s: Sender): boolean => {
      const u = usage.get(s.id)!;
      return u.hour < s.hourlyRate && u.day < effectiveDailyLimit(s, now);
    };
    const take = (s: Sender): Sender => {
      const u = usage.get(s.id)!;
      u.hour++;
      u.day++;
      return s;
    };
    const before = candidates.find((s) => s.id === previous);
    if (before && room(before)) return take(before);
    const start = this.rotation.get(ws) ?? 0;
    for (let k = 0; k < candidates.length; k++) {
      const s = candidates[(start + k) % candidates.length]!;
      if (room(s)) {
        this.rotation.set(ws, (start + k + 1) % candidates.length);
        return take(s);
      }
    }
    const hourFull = candidates.every((s) => usage.get(s.id)!.hour >= s.hourlyRate);
    const waitMs = hourFull
      ? (Math.floor(now / HOUR_MS) + 1) * HOUR_MS - now
      : (Math.floor(now / DAY_MS) + 1) * DAY_MS - now;
    return {
      waitMs,
      reason: hourFull ? 'every sender reached its hourly rate' : 'every sender reached its daily limit',
    };
  }

  private async prepare(
    i: number,
    m: OutboundMessage,
    sender: Sender,
    to: string,
    domain: string,
    campaign: CampaignInfo | undefined,
    context: BatchContext,
  ): Promise<Prepared> {
    const c = m.content;
    const templateId = typeof c.template === 'string' ? c.template : undefined;
    const template = templateId ? context.templates.get(templateId) : undefined;
    if (templateId && !template) throw new Error(`template "${templateId}" is not in the workspace`);
    const textCompanion = templateId ? context.templates.get(textCompanionOf(templateId)) : undefined;
    const compiled = await this.compile(m.workspaceId, {
      subject: str(c.subject),
      preheader: str(c.preheader),
      body: str(c.body),
      template,
      text: textCompanion && textCompanion !== template ? textCompanion : undefined,
    });
    const marketing = c.purpose !== 'transactional';
    const unsubscribeUrl = `${this.options.publicUrl}/u/${signToken(this.options.secret, {
      kind: 'unsubscribe',
      contactId: m.contact.id,
      touchId: m.touchId,
    })}`;
    const contact = { ...m.contact.attributes, ...m.contact, attributes: m.contact.attributes };
    const rendered = renderEmail(
      compiled,
      {
        contact,
        account: m.contact.account_id ? (context.accounts.get(m.contact.account_id) ?? null) : null,
        campaign: { id: m.campaignId, name: campaign?.name ?? m.campaignId },
        step: { id: m.stepId, channel: m.channel },
        sender: { name: sender.name, email: sender.email, postal_address: sender.postalAddress },
      },
      {
        touchId: m.touchId,
        secret: this.options.secret,
        publicUrl: this.options.publicUrl,
        tracking: campaign?.tracking ?? { opens: true, clicks: true },
        utm: {
          source: campaign?.utm.source ?? 'baton',
          medium: campaign?.utm.medium ?? 'email',
          campaign: campaign?.utm.campaign ?? m.campaignId,
          content: campaign?.utm.content ?? (m.variantId ? `${m.stepId}-${m.variantId}` : m.stepId),
          ...(campaign?.utm.term ? { term: campaign.utm.term } : {}),
        },
        unsubscribeUrl,
        marketing,
      },
    );
    const messageId = `<${m.touchId}@${domainOf(sender.email)}>`;
    const headers: Record<string, string> = { 'X-Baton-Touch': m.touchId };
    if (marketing) {
      headers['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    return {
      i,
      m,
      sender,
      to,
      domain,
      mail: {
        from: sender.name ? { name: sender.name, address: sender.email } : sender.email,
        to,
        ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
        subject: rendered.subject,
        text: rendered.text,
        ...(rendered.html !== null ? { html: rendered.html } : {}),
        messageId,
        date: new Date(m.now),
        headers,
      },
      details: { sender_id: sender.id, from: sender.email, to, message_id: messageId, links: rendered.links },
    };
  }

  private compile(
    ws: string,
    parts: {
      subject?: string;
      preheader?: string;
      body?: string;
      template?: StoredTemplate;
      text?: StoredTemplate;
    },
  ): Promise<CompiledEmail> {
    const key = [
      ws,
      parts.template?.id ?? '',
      parts.template?.hash ?? '',
      parts.text?.hash ?? '',
      parts.subject ?? '',
      parts.preheader ?? '',
      parts.body ?? '',
    ].join('\u0000');
    let c = this.compiled.get(key);
    if (!c) {
      if (this.compiled.size >= MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
      c = compileEmail({
        ...(parts.subject !== undefined ? { subject: parts.subject } : {}),
        ...(parts.preheader !== undefined ? { preheader: parts.preheader } : {}),
        ...(parts.body !== undefined ? { body: parts.body } : {}),
        ...(parts.template ? { template: { kind: parts.template.kind, source: parts.template.source } } : {}),
        ...(parts.text ? { text: parts.text.source } : {}),
      });
      // A template that does not compile fails every touch of it, but is retried after a fix (new hash).
      this.compiled.set(key, c);
    }
    return c;
  }

  private transportOf(sender: Sender): Transporter {
    const key = `${sender.smtpUrl ?? ''}\u0000${sender.updatedAt}`;
    const cached = this.transports.get(sender.id);
    if (cached && cached.key === key) return cached.transport;
    cached?.transport.close();
    const url = sender.smtpUrl ?? this.options.relayUrl;
    if (!url) throw new Error(`sender ${sender.email} has no smtp_url and no relay is configured`);
    const options: SMTPPool.Options = {
      ...parseSmtpUrl(url),
      pool: true,
      maxConnections: this.options.poolSize ?? 5,
      maxMessages: Infinity,
      ...(sender.dkimSelector && sender.dkimPrivateKey
        ? {
            dkim: {
              domainName: domainOf(sender.email),
              keySelector: sender.dkimSelector,
              privateKey: sender.dkimPrivateKey,
            },
          }
        : {}),
      ...this.options.transport,
    };
    const transport = nodemailer.createTransport(options);
    this.transports.set(sender.id, { key, transport });
    return transport;
  }

  private async loadContext(ws: string, items: Array<{ m: OutboundMessage }>): Promise<BatchContext> {
    const db = this.store.db;
    const emails = new Set<string>();
    for (const { m } of items) {
      const e = m.contact.email?.trim().toLowerCase();
      if (e) {
        emails.add(e);
        emails.add(domainOf(e));
      }
    }
    const suppressed = new Map<string, string>();
    const values = [...emails];
    for (let k = 0; k < values.length; k += 500) {
      const rows = await db
        .selectFrom('suppressions')
        .select(['value', 'reason'])
        .where('workspace_id', '=', ws)
        .where('value', 'in', values.slice(k, k + 500))
        .execute();
      for (const r of rows) suppressed.set(r.value, r.reason);
    }

    const categories = [
      ...new Set(items.map(({ m }) => m.content.category).filter((c): c is string => typeof c === 'string')),
    ];
    const optOuts = await this.senders.optOuts(
      ws,
      [...new Set(items.map(({ m }) => m.contact.id))],
      categories,
    );

    const campaigns = new Map<string, CampaignInfo>();
    const states = await this.runtimes.load(new Set(items.map(({ m }) => campaignKey(ws, m.campaignId))));
    for (const { m } of items) {
      const st = states.get(campaignKey(ws, m.campaignId));
      if (!st || campaigns.has(m.campaignId)) continue;
      const spec = st.runtime.spec;
      campaigns.set(m.campaignId, {
        name: spec.name,
        utm: spec.utm ?? {},
        tracking: { opens: spec.tracking?.opens ?? true, clicks: spec.tracking?.clicks ?? true },
        sender: spec.sender ?? null,
      });
    }

    const templateIds = new Set<string>();
    for (const { m } of items) {
      if (typeof m.content.template === 'string') {
        templateIds.add(m.content.template);
        templateIds.add(textCompanionOf(m.content.template));
      }
    }
    const templates = new Map<string, StoredTemplate>();
    if (templateIds.size > 0) {
      const rows = await db
        .selectFrom('templates')
        .select(['id', 'kind', 'source', 'hash'])
        .where('workspace_id', '=', ws)
        .where('id', 'in', [...templateIds])
        .execute();
      for (const r of rows) templates.set(r.id, { ...r, kind: r.kind as TemplateKind });
    }

    const accounts = new Map<string, Record<string, unknown>>();
    const accountIds = [
      ...new Set(items.map(({ m }) => m.contact.account_id).filter((a): a is string => a !== null)),
    ];
    for (let k = 0; k < accountIds.length; k += 500) {
      const rows = await db
        .selectFrom('accounts')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('id', 'in', accountIds.slice(k, k + 500))
        .execute();
      for (const r of rows) {
        const attributes = fromJson<Record<string, unknown>>(r.attributes, {});
        accounts.set(r.id, { ...attributes, ...r, attributes });
      }
    }

    // A retried touch keeps its sender (and so its Message-ID) when it can.
    const previous = new Map<string, string>();
    const previousDetails = new Map<string, Record<string, unknown>>();
    const touchIds = items.map(({ m }) => m.touchId);
    for (let k = 0; k < touchIds.length; k += 500) {
      const rows = await db
        .selectFrom('touches')
        .select(['id', 'details'])
        .where('workspace_id', '=', ws)
        .where('id', 'in', touchIds.slice(k, k + 500))
        .execute();
      for (const r of rows) {
        const d = fromJson<Record<string, unknown>>(r.details, {});
        if (Object.keys(d).length > 0) previousDetails.set(r.id, d);
        const email = d.email as Partial<EmailTouchDetails> | undefined;
        if (email?.sender_id) previous.set(r.id, email.sender_id);
      }
    }
    return { suppressed, optOuts, campaigns, templates, accounts, previous, previousDetails };
  }

  private async storeDetails(
    rows: Array<{ id: string; messageId: string; details: EmailTouchDetails }>,
    previous: Map<string, Record<string, unknown>>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((r) => ({
      id: r.id,
      message_id: r.messageId,
      details: toJson({ ...(previous.get(r.id) ?? {}), email: r.details }),
    }));
    if (this.store.sqlite) {
      const update = this.store.sqlite.prepare(
        'UPDATE touches SET message_id = @message_id, details = @details WHERE id = @id',
      );
      this.store.sqlite.transaction(() => {
        for (const v of values) update.run(v);
      })();
      return;
    }
    for (let k = 0; k < values.length; k += 500) {
      const chunk = values.slice(k, k + 500);
      await sql`UPDATE touches AS t SET message_id = v.message_id, details = v.details::jsonb
        FROM (VALUES ${sql.join(chunk.map((v) => sql`(${v.id}, ${v.message_id}, ${v.details})`))})
        AS v(id, message_id, details) WHERE t.id = v.id`.execute(this.store.db);
    }
  }

  /**
   * A touch held back by a limit (sender rate, recipient domain) never reached SMTP: its claim does not
   * count as a delivery attempt, so throttling alone never exhausts the dispatcher's retry budget.
   */
  private async refundAttempts(ws: string, touchIds: string[]): Promise<void> {
    for (let k = 0; k < touchIds.length; k += 500) {
      await this.store.db
        .updateTable('touches')
        .set({ attempts: sql`CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END` })
        .where('workspace_id', '=', ws)
        .where('id', 'in', touchIds.slice(k, k + 500))
        .execute();
    }
  }

  async close(): Promise<void> {
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
  }
}

interface StoredTemplate {
  id: string;
  kind: TemplateKind;
  source: string;
  hash: string;
}

interface CampaignInfo {
  name: string;
  utm: { source?: string; medium?: string; campaign?: string; content?: string; term?: string };
  tracking: { opens: boolean; clicks: boolean };
  sender: string | null;
}

interface BatchContext {
  suppressed: Map<string, string>;
  optOuts: Set<string>;
  campaigns: Map<string, CampaignInfo>;
  templates: Map<string, StoredTemplate>;
  accounts: Map<string, Record<string, unknown>>;
  previous: Map<string, string>;
  previousDetails: Map<string, Record<string, unknown>>;
}

/** `templates/intro.mjml` → `templates/intro.txt`: a hand-written plain-text part, when there is one. */
export function textCompanionOf(templateId: string): string {
  return templateId.replace(/\.[a-z0-9]+$/i, '') + '.txt';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** smtp://user:pass@host:port and smtps:// (implicit TLS) into nodemailer options. */
export function parseSmtpUrl(url: string): Omit<SMTPPool.Options, 'pool'> {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username
      ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } }
      : {}),
  };
}
