// The webhook channel: POSTs each touch as JSON (contact, campaign, step, rendered content, idempotency key)
// to the step's `webhook.url`, signed with the workspace's secret (`Baton-Signature`, docs/webhooks.md).
// The target passes the outbound guard (http-guard.ts) before and while connecting; redirects are never
// followed; the answer decides: 2xx sent, 408/429/5xx and timeouts retried with backoff, other 4xx and 3xx
// failed for good.
import type { Agent } from 'undici';
import { request } from 'undici';
import { workspaceSettings, type WorkspaceSettings } from '../domain/workspace-settings.js';
import type { Store } from '../store/db.js';
import { fromJson } from '../store/json.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';
import {
  blockedReason,
  checkTargetUrl,
  guardedAgent,
  isBlockedAddress,
  type OutboundPolicy,
} from './http-guard.js';
import { renderText, textScope } from './text-render.js';
import { SIGNATURE_HEADER, signWebhook, signingSecrets } from './webhook-signature.js';

export interface WebhookChannelOptions {
  /** The instance secret each workspace's signing secret derives from (BATON_SECRET). */
  secret: string;
  /** Refuse plain http:// targets (production). */
  requireHttps: boolean;
  /** Time budget for each of connect, the answer's headers, and reading its body (default 10 s). */
  timeoutMs?: number;
  /** At most this much of an answer is read (default 64 KiB); the rest is dropped. */
  maxResponseBytes?: number;
  /** Requests in flight at once per batch (default 16). */
  concurrency?: number;
  name?: string;
}

/** The JSON body a receiver gets (docs/webhooks.md). */
export interface WebhookPayload {
  id: string;
  type: 'campaign.touch';
  created_at: string;
  workspace_id: string;
  campaign: { id: string };
  step: { id: string; variant: string | null };
  contact: OutboundMessage['contact'];
  content: Record<string, unknown>;
}

const RETRY_STATUSES = new Set([408, 425, 429]);

export class WebhookChannel implements Channel {
  readonly name: string;
  private readonly agents = new Map<boolean, Agent>();
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: Store,
    private readonly options: WebhookChannelOptions,
  ) {
    this.name = options.name ?? 'webhook';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.concurrency = options.concurrency ?? 16;
  }

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const settings = await this.loadSettings(new Set(batch.map((m) => m.workspaceId)));
    const results: SendResult[] = new Array(batch.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const i = next++;
        const m = batch[i]!;
        try {
          results[i] = await this.sendOne(m, settings.get(m.workspaceId) ?? workspaceSettings({}));
        } catch (e) {
          results[i] = { status: 'retry', error: e instanceof Error ? e.message : String(e) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
    return results;
  }

  private async sendOne(m: OutboundMessage, settings: WorkspaceSettings): Promise<SendResult> {
    const target = (m.content.webhook as { url?: unknown } | undefined)?.url;
    if (typeof target !== 'string') return { status: 'failed', error: 'the step has no webhook.url' };
    const policy: OutboundPolicy = {
      requireHttps: this.options.requireHttps,
      allowPrivateHosts: settings.webhooks.allow_private_hosts,
      allowedHosts: settings.webhooks.allowed_hosts,
    };
    const checked = checkTargetUrl(target, policy);
    if (!checked.ok) return { status: 'failed', error: `webhook.url ${checked.reason}` };

    const body = JSON.stringify(await this.payload(m));
    const secrets = signingSecrets(this.options.secret, m.workspaceId, settings.webhooks, m.now);
    const timestamp = Math.floor(m.now / 1000);
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(checked.url, {
        method: 'POST',
        dispatcher: this.agent(policy.allowPrivateHosts),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Baton-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(secrets, timestamp, body),
          'idempotency-key': m.idempotencyKey,
          'baton-touch-id': m.touchId,
        },
        body,
      });
    } catch (e) {
      if (isBlockedAddress(e)) return { status: 'failed', error: `webhook.url ${blockedReason(e)}` };
      const reason = isTimeout(e) ? 'timed out' : errorText(e);
      return { status: 'retry', error: `webhook ${checked.url.host}: ${reason}` };
    }
    const snippet = await this.readCapped(res.body, performance.now() + this.timeoutMs);
    const status = res.statusCode;
    const host = checked.url.host;
    if (status >= 200 && status < 300) {
      return { status: 'sent', details: { webhook: { host, status } } };
    }
    const said = snippet ? `: ${snippet}` : '';
    if (status >= 300 && status < 400) {
      return {
        status: 'failed',
        error: `webhook ${host} answered ${status} (a redirect, which Baton does not follow)`,
      };
    }
    if (status >= 500 || RETRY_STATUSES.has(status)) {
      const after = retryAfterMs(res.headers['retry-after'], m.now);
      return {
        status: 'retry',
        error: `webhook ${host} answered ${status}${said}`,
        ...(after !== undefined ? { retryAfterMs: after } : {}),
      };
    }
    return { status: 'failed', error: `webhook ${host} answered ${status}${said}` };
  }

  private async payload(m: OutboundMessage): Promise<WebhookPayload> {
    const content: Record<string, unknown> = {};
    const scope = textScope(m);
    for (const [k, v] of Object.entries(m.content)) {
      if (k === 'webhook') continue;
      content[k] =
        (k === 'body' || k === 'subject') && typeof v === 'string' ? await renderText(v, scope) : v;
    }
    return {
      id: m.idempotencyKey,
      type: 'campaign.touch',
      created_at: new Date(m.now).toISOString(),
      workspace_id: m.workspaceId,
      campaign: { id: m.campaignId },
      step: { id: m.stepId, variant: m.variantId },
      contact: m.contact,
      content,
    };
  }

  /**
   * Up to `maxResponseBytes` of the answer (for the error message), read until `deadline` (a slow-drip body
   * is cut there; a stalled one by the agent's body timeout). The connection is not kept for more.
   */
  private async readCapped(
    body: AsyncIterable<Buffer> & { destroy(): unknown },
    deadline: number,
  ): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= this.maxResponseBytes || performance.now() > deadline) {
          body.destroy();
          break;
        }
      }
    } catch {
      // A body cut short says nothing more about the outcome than the status already did.
    }
    return Buffer.concat(chunks)
      .subarray(0, Math.min(size, this.maxResponseBytes))
      .toString('utf8')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200);
  }

  private agent(allowPrivateHosts: boolean): Agent {
    let a = this.agents.get(allowPrivateHosts);
    if (!a) {
      a = guardedAgent({ allowPrivateHosts, connectTimeoutMs: this.timeoutMs, timeoutMs: this.timeoutMs });
      this.agents.set(allowPrivateHosts, a);
    }
    return a;
  }

  private async loadSettings(ids: Set<string>): Promise<Map<string, WorkspaceSettings>> {
    const rows = await this.store.db
      .selectFrom('workspaces')
      .select(['id', 'settings'])
      .where('id', 'in', [...ids])
      .execute();
    const out = new Map<string, WorkspaceSettings>();
    for (const r of rows) {
      out.set(r.id, workspaceSettingsSafe(fromJson(r.settings, {})));
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close()));
    this.agents.clear();
  }
}

/** Settings that fail to parse fall back to the defaults: the safest webhook policy. */
function workspaceSettingsSafe(raw: unknown): WorkspaceSettings {
  try {
    return workspaceSettings(raw);
  } catch {
    return workspaceSettings({});
  }
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), capped at a day. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 86_400_000) : undefined;
}

/** undici's connect, headers and body timeouts (the agent's budget for a request). */
function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    (e instanceof Error && e.name === 'TimeoutError')
  );
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const code = (e as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${e.message} (${code})` : e.message;
}
