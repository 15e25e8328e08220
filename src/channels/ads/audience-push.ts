// Ads audience pushes: the worker POSTs each pushed audience's delta (the members added and removed since
// the previous export of its format) to the audience's endpoint as signed JSON, at most every `everyMs`
// and only when something changed. The delta is recorded as an export only once the endpoint answered
// 2xx, so a failed push is sent again, whole, by the next one. Signed like webhooks (`Baton-Signature`
// with the workspace's derived secret) and sent through the outbound guard (private addresses refused
// unless the workspace allows them, redirects not followed, answers capped, timeouts).
import { request, type Agent } from 'undici';
import { workspaceSettings, type WorkspaceSettings } from '../../domain/workspace-settings.js';
import { AudiencePushesRepository, type AudiencePush } from '../../store/ads-audience-pushes.repository.js';
import { AdsAudiencesRepository } from '../../store/ads-audiences.repository.js';
import type { Store } from '../../store/db.js';
import { WorkspacesRepository } from '../../store/workspaces.repository.js';
import {
  blockedReason,
  checkTargetUrl,
  guardedAgent,
  isBlockedAddress,
  readCappedBody,
  type OutboundPolicy,
} from '../http-guard.js';
import { SIGNATURE_HEADER, signWebhook, signingSecrets } from '../webhook-signature.js';

export interface AudiencePushOptions {
  /** The instance secret (BATON_SECRET) the workspaces' signing secrets derive from. */
  secret: string;
  /** Refuse plain http:// endpoints (production). */
  requireHttps: boolean;
  /** How often an audience is looked at and, when it changed, pushed (default 15 minutes). */
  everyMs?: number;
  timeoutMs?: number;
  /** Most of an endpoint's answer read (default 64 KiB, as webhooks). */
  maxResponseBytes?: number;
}

export const DEFAULT_PUSH_EVERY_MS = 15 * 60_000;

export interface PushStats {
  pushed: number;
  unchanged: number;
  failed: number;
}

/**
 * Where an audience may be pushed: hashed identifiers of every member leave Baton, so https always, unless
 * the workspace allows private hosts (a receiver inside its own network, or a test) and the process is not
 * in production.
 */
export function pushPolicy(settings: WorkspaceSettings, requireHttps: boolean): OutboundPolicy {
  return {
    requireHttps: requireHttps || !settings.webhooks.allow_private_hosts,
    allowPrivateHosts: settings.webhooks.allow_private_hosts,
    allowedHosts: settings.webhooks.allowed_hosts,
  };
}

export class AudiencePushJob {
  private readonly agents = new Map<boolean, Agent>();
  private readonly pushes: AudiencePushesRepository;
  private readonly audiences: AdsAudiencesRepository;

  constructor(
    private readonly store: Store,
    private readonly options: AudiencePushOptions,
  ) {
    this.pushes = new AudiencePushesRepository(store);
    this.audiences = new AdsAudiencesRepository(store);
  }

  /**
   * Pushes every audience due at `now`. One audience's failure (an endpoint down, a deleted audience) is
   * recorded on it and reported to `onFailure`; the others go on.
   */
  async run(now: number, onFailure?: (push: AudiencePush, error: unknown) => void): Promise<PushStats> {
    const stats: PushStats = { pushed: 0, unchanged: 0, failed: 0 };
    const settings = new Map<string, WorkspaceSettings>();
    for (const push of await this.pushes.due(now, this.options.everyMs ?? DEFAULT_PUSH_EVERY_MS)) {
      try {
        if (!(await this.pushes.claim(push, now))) continue;
        let ws = settings.get(push.workspaceId);
        if (!ws) {
          ws = safeSettings((await new WorkspacesRepository(this.store).get(push.workspaceId))?.settings);
          settings.set(push.workspaceId, ws);
        }
        const outcome = await this.pushOne(push, ws, now);
        stats[outcome]++;
      } catch (error) {
        stats.failed++;
        await this.pushes
          .finish(push, { ok: false, error: error instanceof Error ? error.message : String(error) })
          .catch(() => undefined);
        onFailure?.(push, error);
      }
    }
    return stats;
  }

  private async pushOne(
    push: AudiencePush,
    settings: WorkspaceSettings,
    now: number,
  ): Promise<'pushed' | 'unchanged' | 'failed'> {
    const fail = async (error: string) => {
      await this.pushes.finish(push, { ok: false, error });
      return 'failed' as const;
    };
    const policy = pushPolicy(settings, this.options.requireHttps);
    // Checked again at each push: the workspace's settings may have changed since it was configured.
    const checked = checkTargetUrl(push.url, policy);
    if (!checked.ok) return fail(`url ${checked.reason}`);
    const audience = await this.audiences.get(push.workspaceId, push.audienceId);
    const delta = await this.audiences.delta(push.workspaceId, audience.id, { format: push.format }, now);
    if (delta.added.count === 0 && delta.removed.count === 0) return 'unchanged';
    const since = new Date(delta.since).toISOString();
    const until = new Date(delta.until).toISOString();
    const body = JSON.stringify({
      audience: { id: audience.id, name: audience.name },
      format: delta.format,
      mode: 'delta',
      since,
      until,
      added: delta.added,
      removed: delta.removed,
    });
    const secrets = signingSecrets(this.options.secret, push.workspaceId, settings.webhooks, now);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const host = checked.url.host;
    try {
      const res = await request(checked.url, {
        method: 'POST',
        dispatcher: this.agent(policy.allowPrivateHosts, timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Baton-Audiences/1',
          [SIGNATURE_HEADER]: signWebhook(secrets, Math.floor(now / 1000), body),
          // The same delta sent again (after an unanswered push) carries the same key.
          'idempotency-key': `${audience.id}:${delta.format}:${since}`,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await readCappedBody(
        res.body,
        this.options.maxResponseBytes ?? 64 * 1024,
        performance.now() + timeoutMs,
      );
      if (res.statusCode < 200 || res.statusCode >= 300) {
        return fail(`${host} answered ${res.statusCode}`);
      }
    } catch (e) {
      if (isBlockedAddress(e)) return fail(`url ${blockedReason(e)}`);
      return fail(`${host}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Accepted: the next delta of this format starts here (for downloads of it too).
    await this.audiences.recordDelta(push.workspaceId, delta);
    await this.pushes.finish(push, { ok: true, at: now });
    return 'pushed';
  }

  private agent(allowPrivateHosts: boolean, timeoutMs: number): Agent {
    let a = this.agents.get(allowPrivateHosts);
    if (!a) {
      a = guardedAgent({ allowPrivateHosts, connectTimeoutMs: timeoutMs, timeoutMs });
      this.agents.set(allowPrivateHosts, a);
    }
    return a;
  }

  async close(): Promise<void> {
    for (const a of this.agents.values()) await a.close();
    this.agents.clear();
  }
}

function safeSettings(raw: unknown): WorkspaceSettings {
  try {
    return workspaceSettings(typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {}));
  } catch {
    return workspaceSettings({});
  }
}
