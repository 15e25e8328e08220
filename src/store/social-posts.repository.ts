// Social accounts (a network account and the webhook that publishes to it) and the campaign-level social
// posts planned from campaign specs: materialised when the campaign runs, claimed with a lease when due,
// then sent, retried with backoff, failed or cancelled.
import type { Kysely } from 'kysely';
import { campaignWindow, socialPostAt, type CampaignSpec } from '../domain/campaign.js';
import { BatonError } from '../domain/errors.js';
import type { Campaign } from './campaigns.repository.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { fromJson, toJson } from './json.js';
import type { Database } from './schema.js';

declare module './schema.js' {
  interface Database {
    social_accounts: SocialAccountsTable;
    social_posts: SocialPostsTable;
  }
}

export interface SocialAccountsTable {
  id: string;
  workspace_id: string;
  /** The name campaign files use in `social_posts[].account`. */
  name: string;
  network: string;
  /** Where a post is delivered (a publishing service or an automation), behind the outbound guard. */
  webhook_url: string;
  created_at: number;
  updated_at: number;
}

export interface SocialPostsTable {
  id: string;
  workspace_id: string;
  campaign_id: string;
  post_id: string;
  account: string;
  due_at: number;
  text: string;
  /** The target as the campaign file wrote it (with UTM parameters: `details.target`, set when published). */
  link: string | null;
  image_url: string | null;
  /** planned | sending | sent | failed | cancelled */
  status: string;
  attempts: number;
  lease_until: number | null;
  last_error: string | null;
  sent_at: number | null;
  details: unknown;
  created_at: number;
}

export const SOCIAL_NETWORKS = [
  'linkedin',
  'x',
  'facebook',
  'instagram',
  'mastodon',
  'bluesky',
  'threads',
  'other',
] as const;

export interface SocialAccount {
  id: string;
  name: string;
  network: string;
  webhookUrl: string;
  createdAt: number;
  updatedAt: number;
}

export interface SocialPostRow {
  id: string;
  workspaceId: string;
  campaignId: string;
  postId: string;
  account: string;
  dueAt: number;
  text: string;
  link: string | null;
  target: string | null;
  imageUrl: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
  details: Record<string, unknown>;
}

/** A post as the campaign plans it, before or after it is materialised. */
export interface PlannedPost {
  campaignId: string;
  postId: string;
  account: string;
  dueAt: number;
  text: string;
  link: string | null;
  imageUrl: string | null;
}

/** The posts of a campaign with their times: from the window start, else from the launch. */
export function plannedPosts(
  campaignId: string,
  spec: CampaignSpec,
  launchedAt: number | null,
): PlannedPost[] {
  const posts = spec.social_posts ?? [];
  if (posts.length === 0) return [];
  const win = campaignWindow(spec);
  const start = win?.start ?? launchedAt;
  if (start === null) return [];
  const zone = win?.zone ?? 'UTC';
  return posts.map((p) => ({
    campaignId,
    postId: p.id,
    account: p.account,
    dueAt: socialPostAt(p.at, start, zone),
    text: p.text,
    link: p.link ?? null,
    imageUrl: p.image_url ?? null,
  }));
}

export class SocialAccountsRepository {
  constructor(private readonly store: Store) {}

  async put(
    workspaceId: string,
    input: { name: string; network: string; webhookUrl: string },
    now: number,
  ): Promise<SocialAccount> {
    const existing = await this.find(workspaceId, input.name);
    if (existing) {
      await this.store.db
        .updateTable('social_accounts')
        .set({ network: input.network, webhook_url: input.webhookUrl, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', existing.id)
        .execute();
    } else {
      await this.store.db
        .insertInto('social_accounts')
        .values({
          id: newId('sac', now),
          workspace_id: workspaceId,
          name: input.name,
          network: input.network,
          webhook_url: input.webhookUrl,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
        .execute();
    }
    return (await this.find(workspaceId, input.name))!;
  }

  async find(workspaceId: string, name: string): Promise<SocialAccount | undefined> {
    const r = await this.store.db
      .selectFrom('social_accounts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r && toAccount(r);
  }

  async list(workspaceId: string): Promise<SocialAccount[]> {
    const rows = await this.store.db
      .selectFrom('social_accounts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute();
    return rows.map(toAccount);
  }

  async delete(workspaceId: string, name: string): Promise<void> {
    const r = await this.store.db
      .deleteFrom('social_accounts')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw BatonError.notFound('social account', name);
  }
}

function toAccount(r: SocialAccountsTable): SocialAccount {
  return {
    id: r.id,
    name: r.name,
    network: r.network,
    webhookUrl: r.webhook_url,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toPost(r: SocialPostsTable): SocialPostRow {
  const details = fromJson<Record<string, unknown>>(r.details, {});
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    campaignId: r.campaign_id,
    postId: r.post_id,
    account: r.account,
    dueAt: Number(r.due_at),
    text: r.text,
    link: r.link,
    target: typeof details.target === 'string' ? details.target : null,
    imageUrl: r.image_url,
    status: r.status,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    details,
  };
}

/** Inserts the campaign's posts once (a post already there keeps its state). */
export async function materialisePosts(db: Kysely<Database>, campaign: Campaign, now: number): Promise<void> {
  const planned = plannedPosts(campaign.id, campaign.spec, campaign.launchedAt ?? null);
  if (planned.length === 0) return;
  await db
    .insertInto('social_posts')
    .values(
      planned.map((p) => ({
        id: newId('spo', now),
        workspace_id: campaign.workspaceId,
        campaign_id: campaign.id,
        post_id: p.postId,
        account: p.account,
        due_at: p.dueAt,
        text: p.text,
        link: p.link,
        image_url: p.imageUrl,
        status: 'planned',
        attempts: 0,
        lease_until: null,
        last_error: null,
        sent_at: null,
        details: '{}',
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'campaign_id', 'post_id']).doNothing())
    .execute();
}

/**
 * Claims due posts (planned and due, or in flight with an expired lease) one conditional update each, so
 * any number of workers publish a post once.
 */
export async function claimDuePosts(
  db: Kysely<Database>,
  now: number,
  leaseMs: number,
  limit = 50,
): Promise<SocialPostRow[]> {
  const candidates = await db
    .selectFrom('social_posts')
    .selectAll()
    .where((eb) =>
      eb.or([
        // A retried post waits in `planned` with `lease_until` as its next attempt; `due_at` stays its time.
        eb.and([
          eb('status', '=', 'planned'),
          eb('due_at', '<=', now),
          eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]),
        ]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', now)]),
      ]),
    )
    .orderBy('due_at')
    .limit(limit)
    .execute();
  const claimed: SocialPostRow[] = [];
  for (const c of candidates) {
    const r = await db
      .updateTable('social_posts')
      .set({ status: 'sending', lease_until: now + leaseMs, attempts: Number(c.attempts) + 1 })
      .where('id', '=', c.id)
      .where('status', '=', c.status)
      .where('attempts', '=', c.attempts)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) claimed.push({ ...toPost(c), attempts: Number(c.attempts) + 1 });
  }
  return claimed;
}

export async function finishPost(
  db: Kysely<Database>,
  id: string,
  outcome:
    | { status: 'sent'; at: number; details: Record<string, unknown> }
    | {
        status: 'planned';
        retryAt: number;
        error: string;
        /** False when the claim tried nothing (a paused campaign): the claim's attempt is given back. */
        attempted?: boolean;
      }
    | { status: 'failed' | 'cancelled'; error: string },
): Promise<void> {
  const base = db.updateTable('social_posts').where('id', '=', id);
  if (outcome.status === 'sent') {
    await base
      .set({
        status: 'sent',
        sent_at: outcome.at,
        lease_until: null,
        last_error: null,
        details: toJson(outcome.details),
      })
      .execute();
  } else if (outcome.status === 'planned') {
    await base
      .set((eb) => ({
        status: 'planned',
        lease_until: outcome.retryAt,
        last_error: outcome.error,
        ...(outcome.attempted === false ? { attempts: eb('attempts', '-', 1) } : {}),
      }))
      .execute();
  } else {
    await base.set({ status: outcome.status, lease_until: null, last_error: outcome.error }).execute();
  }
}

/** The UTM-tagged target the tracked link redirects to, fixed before the post is published. */
export async function setPostTarget(
  db: Kysely<Database>,
  post: SocialPostRow,
  target: string,
): Promise<void> {
  post.target = target;
  post.details = { ...post.details, target };
  await db
    .updateTable('social_posts')
    .set({ details: toJson(post.details) })
    .where('id', '=', post.id)
    .execute();
}

export async function findPost(db: Kysely<Database>, id: string): Promise<SocialPostRow | undefined> {
  const r = await db.selectFrom('social_posts').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toPost(r);
}

/** Posts of the workspace due in `[from, to)`. */
export async function postsBetween(
  db: Kysely<Database>,
  workspaceId: string,
  from: number,
  to: number,
): Promise<SocialPostRow[]> {
  const rows = await db
    .selectFrom('social_posts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      eb.or([
        eb.and([eb('sent_at', 'is not', null), eb('sent_at', '>=', from), eb('sent_at', '<', to)]),
        eb.and([eb('sent_at', 'is', null), eb('due_at', '>=', from), eb('due_at', '<', to)]),
      ]),
    )
    .orderBy('due_at')
    .execute();
  return rows.map(toPost);
}

/** The earliest time a planned post is due or retried (simulations jump there). */
export async function nextPostDueAt(db: Kysely<Database>): Promise<number | null> {
  const r = await db
    .selectFrom('social_posts')
    .select((eb) =>
      eb.fn
        .min(
          eb
            .case()
            .when('lease_until', '>', eb.ref('due_at'))
            .then(eb.ref('lease_until'))
            .else(eb.ref('due_at'))
            .end(),
        )
        .as('t'),
    )
    .where('status', '=', 'planned')
    .executeTakeFirst();
  return r?.t === null || r?.t === undefined ? null : Number(r.t);
}
