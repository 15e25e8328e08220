// The `social` channel. Campaign-level posts (`social_posts` in the campaign file) are published once each,
// at their time, by `publishDue` (called from the worker's tick): the post is POSTed as signed JSON to the
// webhook of its social account (a publishing service or an automation), behind the outbound guard, with a
// tracked link that redirects to the target carrying the campaign's UTM parameters. Per-contact `social`
// steps, which have no network to reach a person on, stay logged (decision 0013).
import type { Agent } from 'undici';
import { request } from 'undici';
import { addUtm, signToken, type UtmDefaults } from '../content/index.js';
import { workspaceSettings, type WorkspaceSettings } from '../domain/workspace-settings.js';
import { CampaignsRepository, type Campaign } from '../store/campaigns.repository.js';
import type { Store } from '../store/db.js';
import {
  claimDuePosts,
  finishPost,
  materialisePosts,
  SocialAccountsRepository,
  setPostTarget,
  type SocialPostRow,
} from '../store/social-posts.repository.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';
import {
  blockedReason,
  checkTargetUrl,
  guardedAgent,
  isBlockedAddress,
  readCappedBody,
} from './http-guard.js';
import { LogChannel } from './log.channel.js';
import { SIGNATURE_HEADER, signWebhook, signingSecrets } from './webhook-signature.js';

export interface SocialChannelOptions {
  /** Signs tracked links and each workspace's webhook signing secret (BATON_SECRET). */
  secret: string;
  /** Base of the tracked links. */
  publicUrl: string;
  /** Refuse plain http:// webhooks (production). */
  requireHttps: boolean;
  timeoutMs?: number;
  leaseMs?: number;
  /** Attempts before a post fails for good (default 5). */
  maxAttempts?: number;
  /** Most of a receiver's answer read (default 64 KiB, as the webhook channel): the rest is not waited for. */
  maxResponseBytes?: number;
}

export interface PublishStats {
  sent: number;
  retried: number;
  failed: number;
  cancelled: number;
}

export class SocialChannel implements Channel {
  readonly name = 'social';
  private readonly log: LogChannel;
  private readonly agents = new Map<boolean, Agent>();
  private readonly materialised = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly options: SocialChannelOptions,
  ) {
    this.log = new LogChannel(store, 'social');
  }

  /** Per-contact `social` steps: recorded in the channel log (there is nobody to post to). */
  send(batch: OutboundMessage[]): Promise<SendResult[]> {
    return this.log.send(batch);
  }

  /** The tracked link of a post: `/t/p/<signed post id>`, which redirects to the stored target. */
  trackedLink(postRowId: string): string {
    return `${this.options.publicUrl}/t/p/${signToken(this.options.secret, { kind: 'post', postId: postRowId })}`;
  }

  /** Plans the posts of running campaigns, then publishes those due at `now`. */
  async publishDue(now: number): Promise<PublishStats> {
    const stats: PublishStats = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
    const campaigns = new Map<string, Campaign>();
    for (const ws of await new WorkspacesRepository(this.store).list()) {
      const live = await new CampaignsRepository(this.store).list(ws.id, { statuses: ['running', 'paused'] });
      for (const c of live) {
        campaigns.set(`${ws.id}\u0000${c.id}`, c);
        const key = `${ws.id}\u0000${c.id}\u0000${c.revision}`;
        if (c.status !== 'running' || !c.spec.social_posts?.length || this.materialised.has(key)) continue;
        await materialisePosts(this.store.db, c, now);
        this.materialised.add(key);
      }
    }
    const due = await claimDuePosts(this.store.db, now, this.options.leaseMs ?? 5 * 60_000);
    const settings = new Map<string, WorkspaceSettings>();
    for (const post of due) {
      const campaign = campaigns.get(`${post.workspaceId}\u0000${post.campaignId}`);
      if (campaign?.status === 'paused') {
        // Paused: the post waits for the resume (checked again on the next ticks). Nothing was tried, so
        // the claim's attempt is given back: a long pause must not use up the post's retries.
        await finishPost(this.store.db, post.id, {
          status: 'planned',
          retryAt: now + 60_000,
          error: 'campaign paused',
          attempted: false,
        });
        continue;
      }
      if (!campaign) {
        await finishPost(this.store.db, post.id, {
          status: 'cancelled',
          error: 'the campaign is not running',
        });
        stats.cancelled++;
        continue;
      }
      let ws = settings.get(post.workspaceId);
      if (!ws) {
        const row = await new WorkspacesRepository(this.store).get(post.workspaceId);
        ws = safeSettings(row?.settings);
        settings.set(post.workspaceId, ws);
      }
      const outcome = await this.deliver(post, ws, now);
      if (outcome.status === 'sent') {
        await finishPost(this.store.db, post.id, { status: 'sent', at: now, details: outcome.details });
        stats.sent++;
      } else if (outcome.status === 'retry' && post.attempts < (this.options.maxAttempts ?? 5)) {
        const backoff = 60_000 * 2 ** (post.attempts - 1);
        await finishPost(this.store.db, post.id, {
          status: 'planned',
          retryAt: now + backoff,
          error: outcome.error,
        });
        stats.retried++;
      } else {
        await finishPost(this.store.db, post.id, { status: 'failed', error: outcome.error });
        stats.failed++;
      }
    }
    return stats;
  }

  private async deliver(
    post: SocialPostRow,
    settings: WorkspaceSettings,
    now: number,
  ): Promise<
    { status: 'sent'; details: Record<string, unknown> } | { status: 'retry' | 'failed'; error: string }
  > {
    const account = await new SocialAccountsRepository(this.store).find(post.workspaceId, post.account);
    if (!account)
      return { status: 'failed', error: `no social account named "${post.account}" in the workspace` };
    const policy = {
      requireHttps: this.options.requireHttps,
      allowPrivateHosts: settings.webhooks.allow_private_hosts,
      allowedHosts: settings.webhooks.allowed_hosts,
    };
    const checked = checkTargetUrl(account.webhookUrl, policy);
    if (!checked.ok) return { status: 'failed', error: `webhook_url of "${account.name}" ${checked.reason}` };
    if (post.link !== null && post.target === null) {
      const withLink = { ...post, link: post.link };
      const campaign = await new CampaignsRepository(this.store).get(post.workspaceId, post.campaignId);
      await setPostTarget(this.store.db, post, linkWithUtm(campaign?.spec.utm, withLink, account.network));
    }
    const body = JSON.stringify({
      id: post.id,
      type: 'campaign.social_post',
      created_at: new Date(now).toISOString(),
      workspace_id: post.workspaceId,
      campaign: { id: post.campaignId },
      post: {
        id: post.postId,
        account: account.name,
        network: account.network,
        scheduled_at: new Date(post.dueAt).toISOString(),
        text: post.text,
        link: post.link === null ? null : this.trackedLink(post.id),
        image_url: post.imageUrl,
      },
    });
    const secrets = signingSecrets(this.options.secret, post.workspaceId, settings.webhooks, now);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const res = await request(checked.url, {
        method: 'POST',
        dispatcher: this.agent(policy.allowPrivateHosts, timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Baton-Social/1',
          [SIGNATURE_HEADER]: signWebhook(secrets, Math.floor(now / 1000), body),
          'idempotency-key': post.id,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await readCappedBody(
        res.body,
        this.options.maxResponseBytes ?? 64 * 1024,
        performance.now() + timeoutMs,
      );
      const host = checked.url.host;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        return {
          status: 'sent',
          details: { ...post.details, host, status: res.statusCode, ...providerId(text) },
        };
      }
      const said = `${account.name} webhook ${host} answered ${res.statusCode}`;
      if (res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429) {
        return { status: 'retry', error: said };
      }
      return { status: 'failed', error: said };
    } catch (e) {
      if (isBlockedAddress(e))
        return { status: 'failed', error: `webhook_url of "${account.name}" ${blockedReason(e)}` };
      return { status: 'retry', error: e instanceof Error ? e.message : String(e) };
    }
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

/**
 * The post's target with the campaign's UTM defaults, except that source and medium name the network and
 * `social` (a campaign's defaults usually describe its email), and content defaults to the post id.
 * Parameters the link already carries are kept.
 */
function linkWithUtm(
  defaults: UtmDefaults | undefined,
  p: SocialPostRow & { link: string },
  network: string,
): string {
  return addUtm(p.link, {
    ...defaults,
    source: network,
    medium: 'social',
    campaign: defaults?.campaign ?? p.campaignId,
    content: defaults?.content ?? p.postId,
  });
}

/** A post id the publishing service answered with (`{ "id": … }`), kept for the campaign page. */
function providerId(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as { id?: unknown };
    return typeof v?.id === 'string' || typeof v?.id === 'number' ? { provider_post_id: String(v.id) } : {};
  } catch {
    return {};
  }
}

function safeSettings(raw: unknown): WorkspaceSettings {
  try {
    return workspaceSettings(typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {}));
  } catch {
    return workspaceSettings({});
  }
}
