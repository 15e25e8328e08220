// The SMS channel: sends each touch through an HTTP SMS provider speaking the Twilio Messages API
// (form-encoded POST to {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, basic auth), with a status
// callback per touch. Nothing goes out without consent read fresh from the contact (`sms_consent`, which a
// STOP reply clears), to a number that is not E.164, or inside quiet hours in the contact's zone: those
// touches wait for the end of quiet hours without using up a delivery attempt.
import { sql } from 'kysely';
import { request } from 'undici';
import { quietHoursEnd, smsLength, toE164 } from '../domain/sms.js';
import { workspaceSettings, type WorkspaceSettings } from '../domain/workspace-settings.js';
import { resolveZone } from '../planning/index.js';
import type { Store } from '../store/db.js';
import { fromJson } from '../store/json.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';
import { renderText, textScope } from './text-render.js';
import { retryAfterMs } from './webhook.channel.js';

export interface SmsProviderOptions {
  /** Base of the Twilio-compatible API (default https://api.twilio.com). */
  apiUrl?: string;
  accountSid: string;
  authToken: string;
  /** The sending number for workspaces that do not set `sms.from`. */
  from?: string;
}

export interface SmsChannelOptions {
  provider: SmsProviderOptions;
  /** Base of Baton's public URL: the provider posts delivery status to {publicUrl}/sms/status/{touch}. */
  publicUrl: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  name?: string;
}

/** Twilio error 21610: the recipient replied STOP to this sender; the provider refuses until START. */
const TWILIO_UNSUBSCRIBED = 21610;

export class SmsChannel implements Channel {
  readonly name: string;

  constructor(
    private readonly store: Store,
    private readonly options: SmsChannelOptions,
  ) {
    this.name = options.name ?? 'sms';
  }

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const results: SendResult[] = new Array(batch.length);
    const byWorkspace = new Map<string, number[]>();
    batch.forEach((m, i) => byWorkspace.set(m.workspaceId, [...(byWorkspace.get(m.workspaceId) ?? []), i]));
    for (const [ws, indexes] of byWorkspace) {
      const settings = await this.settingsOf(ws);
      const consent = await this.consentOf(
        ws,
        indexes.map((i) => batch[i]!.contact.id),
      );
      const notAttempted: string[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < indexes.length) {
          const i = indexes[next++]!;
          const m = batch[i]!;
          const r = await this.sendOne(m, settings, consent.get(m.contact.id));
          if ('notAttempted' in r) {
            notAttempted.push(m.touchId);
            results[i] = r.result;
          } else results[i] = r;
        }
      };
      // A bounded number of requests in flight: providers limit concurrency per account (and answer 429).
      await Promise.all(
        Array.from({ length: Math.min(this.options.concurrency ?? 8, indexes.length) }, worker),
      );
      await this.refundAttempts(ws, notAttempted);
    }
    return results;
  }

  private async sendOne(
    m: OutboundMessage,
    settings: WorkspaceSettings,
    contact: { phone: string | null; consent: boolean } | undefined,
  ): Promise<SendResult | { notAttempted: true; result: SendResult }> {
    if (!contact?.consent) {
      return { status: 'failed', error: 'the contact has not consented to SMS (sms_consent is off)' };
    }
    if (!contact.phone) return { status: 'failed', error: 'the contact has no phone number' };
    const to = toE164(contact.phone);
    if (!to.ok) return { status: 'failed', error: `the contact's phone ${to.reason}` };

    const zone = resolveZone(m.contact.time_zone, settings.time_zone);
    const quietUntil = quietHoursEnd(m.now, zone, settings.sms.quiet_hours);
    if (quietUntil !== null) {
      return {
        notAttempted: true,
        result: {
          status: 'retry',
          error: `quiet hours in ${zone} (${settings.sms.quiet_hours.start}–${settings.sms.quiet_hours.end})`,
          retryAfterMs: quietWait(quietUntil - m.now),
        },
      };
    }
    const from = settings.sms.from ?? this.options.provider.from;
    if (!from) return { status: 'retry', error: 'no SMS sending number: set sms.from or BATON_SMS_FROM' };

    let body: string;
    try {
      body = await this.body(m);
    } catch (e) {
      return {
        status: 'failed',
        error: `the SMS body does not render: ${e instanceof Error ? e.message : e}`,
      };
    }
    if (body.trim() === '') return { status: 'failed', error: 'the SMS body is empty for this contact' };

    const p = this.options.provider;
    const base = (p.apiUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
    const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(p.accountSid)}/Messages.json`;
    const form = new URLSearchParams({
      To: to.value,
      From: from,
      Body: body,
      StatusCallback: `${this.options.publicUrl}/sms/status/${m.touchId}`,
    });
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${p.accountSid}:${p.authToken}`).toString('base64')}`,
          'user-agent': 'Baton-SMS/1',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (e) {
      return { status: 'retry', error: `SMS provider: ${e instanceof Error ? e.message : String(e)}` };
    }
    const text = (await res.body.text().catch(() => '')).slice(0, 64 * 1024);
    const answer = parseJson(text);
    const status = res.statusCode;
    if (status >= 200 && status < 300 && typeof answer.sid === 'string') {
      const length = smsLength(body);
      return {
        status: 'sent',
        providerMessageId: answer.sid,
        details: {
          sms: { sid: answer.sid, to: to.value, from, segments: length.segments, encoding: length.encoding },
        },
      };
    }
    const said = `SMS provider answered ${status}${answer.code ? ` (error ${answer.code})` : ''}${
      typeof answer.message === 'string' ? `: ${answer.message.slice(0, 200)}` : ''
    }`;
    if (status === 429 || status >= 500) {
      const after = retryAfterMs(res.headers['retry-after'], m.now);
      return { status: 'retry', error: said, ...(after !== undefined ? { retryAfterMs: after } : {}) };
    }
    if (answer.code === TWILIO_UNSUBSCRIBED)
      await this.withdrawConsent(m.workspaceId, m.contact.id, m.contact.phone, m.now);
    return { status: 'failed', error: said };
  }

  private async body(m: OutboundMessage): Promise<string> {
    const scope = textScope(m);
    if (typeof m.content.body === 'string') return renderText(m.content.body, scope);
    if (typeof m.content.template === 'string') {
      const t = await this.store.db
        .selectFrom('templates')
        .select('source')
        .where('workspace_id', '=', m.workspaceId)
        .where('id', '=', m.content.template)
        .executeTakeFirst();
      if (!t) throw new Error(`template "${m.content.template}" is not in the workspace`);
      return renderText(t.source, scope);
    }
    return '';
  }

  /** Consent and phone as they are now: a STOP that arrived after the touch was claimed still holds. */
  private async consentOf(
    ws: string,
    ids: string[],
  ): Promise<Map<string, { phone: string | null; consent: boolean }>> {
    const out = new Map<string, { phone: string | null; consent: boolean }>();
    for (let k = 0; k < ids.length; k += 500) {
      const rows = await this.store.db
        .selectFrom('contacts')
        .select(['id', 'phone', 'sms_consent'])
        .where('workspace_id', '=', ws)
        .where('id', 'in', ids.slice(k, k + 500))
        .execute();
      for (const r of rows) out.set(r.id, { phone: r.phone, consent: Number(r.sms_consent) === 1 });
    }
    return out;
  }

  private async settingsOf(ws: string): Promise<WorkspaceSettings> {
    const row = await this.store.db
      .selectFrom('workspaces')
      .select('settings')
      .where('id', '=', ws)
      .executeTakeFirst();
    try {
      return workspaceSettings(fromJson(row?.settings, {}));
    } catch {
      return workspaceSettings({});
    }
  }

  /**
   * The provider says the number texted STOP: it is opted out as if the STOP had reached Baton (only a
   * START lifts it), so a later CRM sync or import cannot give the contact consent back.
   */
  private async withdrawConsent(
    ws: string,
    contactId: string,
    phone: string | null,
    now: number,
  ): Promise<void> {
    const number = phone ? toE164(phone) : null;
    if (number?.ok) {
      await sql`insert into sms_opt_outs (workspace_id, phone, opted_out_at, keyword)
        values (${ws}, ${number.value}, ${now}, ${`error ${TWILIO_UNSUBSCRIBED}`})
        on conflict (workspace_id, phone) do nothing`.execute(this.store.db);
    }
    await this.store.db
      .updateTable('contacts')
      .set({ sms_consent: 0, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', contactId)
      .execute();
  }

  /** Touches held by quiet hours never reached the provider: their claim is not a delivery attempt. */
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
}

/**
 * The wait to ask for: the dispatcher spreads retries by ±20% and a held claim is refunded, so the same
 * factor comes back each time; asked for exactly, a touch drawing 0.8 would approach the end of quiet hours
 * in ever smaller steps. In the last hour the wait is stretched by 1/0.8 so the next try lands after the end.
 */
function quietWait(ms: number): number {
  return ms < 3_600_000 ? Math.ceil(ms / 0.8) : ms;
}

function parseJson(text: string): { sid?: unknown; code?: unknown; message?: unknown } {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The provider from the environment (BATON_SMS_ACCOUNT_SID and BATON_SMS_AUTH_TOKEN), or none. */
export function smsProviderFromConfig(config: {
  BATON_SMS_API_URL?: string;
  BATON_SMS_ACCOUNT_SID?: string;
  BATON_SMS_AUTH_TOKEN?: string;
  BATON_SMS_FROM?: string;
}): SmsProviderOptions | undefined {
  if (!config.BATON_SMS_ACCOUNT_SID || !config.BATON_SMS_AUTH_TOKEN) return undefined;
  return {
    accountSid: config.BATON_SMS_ACCOUNT_SID,
    authToken: config.BATON_SMS_AUTH_TOKEN,
    ...(config.BATON_SMS_API_URL ? { apiUrl: config.BATON_SMS_API_URL } : {}),
    ...(config.BATON_SMS_FROM ? { from: config.BATON_SMS_FROM } : {}),
  };
}
