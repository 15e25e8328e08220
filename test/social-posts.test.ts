// Campaign social posts on both stores: a post planned by the campaign file shows on the calendar, goes out
// at its time (not before) to its account's webhook — a real local HTTP server — signed, once, retried after
// a 503, with a tracked link; the link redirects to the target with the campaign's UTM parameters and the
// click is recorded for the campaign; the outbound guard refuses a loopback webhook unless the workspace
// allows private hosts. On SQLite (a store of its own) the worker's tick publishes and wakes at the post.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../src/channels/channel.js';
import { SocialChannel } from '../src/channels/social.channel.js';
import { verifyWebhook, webhookSigningSecret } from '../src/channels/webhook-signature.js';
import { campaignSchema, type CampaignInput } from '../src/domain/campaign.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { Worker } from '../src/engine/worker.js';
import { CampaignsRepository } from '../src/store/campaigns.repository.js';
import { SocialAccountsRepository } from '../src/store/social-posts.repository.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { apiFor, bearer } from './api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from './support/stores.js';

const SECRET = 's'.repeat(40); // the API harness's secret: the app verifies the links the channel signs
const PUBLIC_URL = 'http://localhost:4400';
const START = Date.parse('2027-01-04T09:00:00Z'); // a Monday
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function hookServer(answers: number[]): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { id: `li-${received.length}` } : { error: 'busy' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/publish`, received };
}

function campaign(id: string, extra: Partial<CampaignInput> = {}): CampaignInput {
  return {
    id,
    name: `Launch ${id}`,
    objective: 'launch',
    window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
    channels: ['log', 'social'],
    sequence: [{ id: 'note', channel: 'log', delay: '0d' }],
    utm: { source: 'baton', medium: 'email', campaign: 'q1-launch' },
    social_posts: [
      {
        id: 'launch-post',
        account: 'company-linkedin',
        at: '2d',
        text: 'The analytics add-on is live.',
        link: 'https://example.com/launch?ref=post',
        image_url: 'https://example.com/launch.png',
      },
    ],
    ...extra,
  };
}

describe.each(dialects)('social posts on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let clock: SimulatedClock;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app, clock } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('publishes a post at its time, once, with a tracked UTM link whose click counts for the campaign, and shows it on the calendar', async () => {
    const hook = await hookServer([503]);
    const ws = await newWorkspace(store);
    await new WorkspacesRepository(store).updateSettings(ws, { webhooks: { allow_private_hosts: true } });
    const auth = await bearer(store, ws, ['read', 'write']);
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/social/accounts/company-linkedin',
      headers: { authorization: auth },
      payload: { network: 'linkedin', webhook_url: hook.url },
    });
    expect(put.statusCode).toBe(200);
    const badAccount = await app.inject({
      method: 'PUT',
      url: '/api/v1/social/accounts/other',
      headers: { authorization: auth },
      payload: { network: 'linkedin', webhook_url: 'ftp://example.com/x' },
    });
    expect(badAccount.statusCode).toBe(422);
    expect(badAccount.json().error.message).toMatch(/webhook_url/);

    const repo = new CampaignsRepository(store);
    await repo.insert(ws, campaignSchema.parse(campaign('q1')), START);
    await repo.setStatus(ws, 'q1', 'draft', 'scheduled', START - DAY);

    // Scheduled: the calendar already shows the post, from the campaign file.
    const calendarUrl = '/api/v1/calendar?from=2027-01-04&to=2027-01-10';
    const before = await app.inject({ method: 'GET', url: calendarUrl, headers: { authorization: auth } });
    expect(before.json().posts).toEqual([
      {
        campaign_id: 'q1',
        post_id: 'launch-post',
        account: 'company-linkedin',
        at: '2027-01-06T09:00:00.000Z',
        status: 'planned',
        text: 'The analytics add-on is live.',
      },
    ]);

    await repo.setStatus(ws, 'q1', 'scheduled', 'running', START, { launchedAt: START });
    const social = new SocialChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, requireHttps: false });
    const due = START + 2 * DAY;
    expect((await social.publishDue(START)).sent).toBe(0);
    expect((await social.publishDue(due - MIN)).sent).toBe(0);
    expect(hook.received).toHaveLength(0);

    // At its time: the webhook answers 503 first, so the post is retried a minute later, then sent.
    expect(await social.publishDue(due)).toEqual({ sent: 0, retried: 1, failed: 0, cancelled: 0 });
    expect(await social.publishDue(due + 30_000)).toEqual({ sent: 0, retried: 0, failed: 0, cancelled: 0 });
    // A second publisher (another worker) at the same moment: the post still goes out once.
    const other = new SocialChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, requireHttps: false });
    const [a, b] = await Promise.all([social.publishDue(due + MIN), other.publishDue(due + MIN)]);
    expect(a.sent + b.sent).toBe(1);
    await social.publishDue(due + 10 * MIN);
    expect(hook.received).toHaveLength(2);
    await social.close();
    await other.close();
    hook.server.close();

    const delivered = hook.received[1]!;
    expect(delivered.headers['idempotency-key']).toBe(hook.received[0]!.headers['idempotency-key']);
    const signature = String(delivered.headers['baton-signature']);
    expect(
      verifyWebhook(
        webhookSigningSecret(SECRET, ws),
        signature,
        delivered.body,
        Math.floor((due + MIN) / 1000),
      ),
    ).toBe(true);
    const payload = JSON.parse(delivered.body) as {
      type: string;
      campaign: { id: string };
      post: {
        id: string;
        account: string;
        network: string;
        scheduled_at: string;
        text: string;
        link: string;
        image_url: string;
      };
    };
    expect(payload.type).toBe('campaign.social_post');
    expect(payload.campaign.id).toBe('q1');
    expect(payload.post).toMatchObject({
      id: 'launch-post',
      account: 'company-linkedin',
      network: 'linkedin',
      scheduled_at: '2027-01-06T09:00:00.000Z',
      text: 'The analytics add-on is live.',
      image_url: 'https://example.com/launch.png',
    });
    // The published link is Baton's tracked redirect, not the target.
    expect(payload.post.link.startsWith(`${PUBLIC_URL}/t/p/`)).toBe(true);

    clock.set(due + 2 * 60 * MIN);
    const click = await app.inject({ method: 'GET', url: new URL(payload.post.link).pathname });
    expect(click.statusCode).toBe(302);
    // The campaign's UTM defaults, with source and medium naming the network; the link's own query kept.
    expect(click.headers.location).toBe(
      'https://example.com/launch?ref=post&utm_source=linkedin&utm_medium=social&utm_campaign=q1-launch&utm_content=launch-post',
    );
    const clicks = await store.db
      .selectFrom('events')
      .select(['type', 'campaign_id', 'channel', 'contact_id', 'occurred_at'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'clicked')
      .execute();
    expect(
      clicks.map((c) => [c.type, c.campaign_id, c.channel, c.contact_id, Number(c.occurred_at)]),
    ).toEqual([['clicked', 'q1', 'social', null, due + 2 * 60 * MIN]]);
    const forged = await app.inject({ method: 'GET', url: '/t/p/p.spo_fake.AAAAAAAAAAAAAAAAAAAAAA' });
    expect(forged.statusCode).toBe(404);

    // The calendar: the post as sent on its day, counted as the campaign's social touch; and in the .ics.
    const after = await app.inject({ method: 'GET', url: calendarUrl, headers: { authorization: auth } });
    const cal = after.json() as {
      posts: Array<{ post_id: string; status: string; at: string }>;
      days: Array<{ date: string; entries: Array<{ campaign_id: string; channel: string; sent: number }> }>;
    };
    expect(cal.posts.map((p) => [p.post_id, p.status, p.at])).toEqual([
      ['launch-post', 'sent', new Date(due + MIN).toISOString()],
    ]);
    const day = cal.days.find((d) => d.date === '2027-01-06');
    expect(day?.entries).toContainEqual({ campaign_id: 'q1', channel: 'social', planned: 0, sent: 1 });
    const ics = await app.inject({
      method: 'GET',
      url: '/api/v1/calendar.ics?from=2027-01-04&to=2027-01-10',
      headers: { authorization: auth },
    });
    // iCalendar folds long lines (RFC 5545 §3.1): unfold before reading.
    expect(ics.body.replace(/\r\n[ \t]/g, '')).toContain(
      'SUMMARY:Social post on company-linkedin (sent): The analytics add-on is live.',
    );
  });

  it('refuses a webhook on a loopback address unless the workspace allows private hosts', async () => {
    const hook = await hookServer([]);
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['write']);
    await app.inject({
      method: 'PUT',
      url: '/api/v1/social/accounts/company-linkedin',
      headers: { authorization: auth },
      payload: { network: 'linkedin', webhook_url: hook.url },
    });
    const repo = new CampaignsRepository(store);
    await repo.insert(ws, campaignSchema.parse(campaign('guarded')), START);
    await repo.setStatus(ws, 'guarded', 'draft', 'running', START, { launchedAt: START });
    const social = new SocialChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, requireHttps: false });
    const stats = await social.publishDue(START + 2 * DAY);
    await social.close();
    hook.server.close();
    expect(stats.failed).toBeGreaterThanOrEqual(1);
    expect(hook.received).toHaveLength(0);
    const row = await store.db
      .selectFrom('social_posts')
      .select(['status', 'last_error'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/loopback/);
  });

  it('refuses a campaign file whose posts are not declared or not well formed', () => {
    const undeclared = campaignSchema.safeParse(campaign('x', { channels: ['log'] }));
    expect(undeclared.success).toBe(false);
    expect(undeclared.error?.issues[0]?.message).toMatch(/must include social/);
    const badTime = campaignSchema.safeParse(
      campaign('y', {
        social_posts: [{ id: 'p', account: 'a', at: 'next tuesday', text: 'hi' }],
      }),
    );
    expect(badTime.success).toBe(false);
    expect(badTime.error?.issues[0]?.path).toEqual(['social_posts', 0, 'at']);
  });
});

// The worker ticks every workspace of its store, so this runs on a SQLite store of its own.
describe('social posts under the worker', () => {
  it('are published by the worker’s tick, which wakes at the post’s time', async () => {
    const store = await openTestStore('sqlite');
    const hook = await hookServer([]);
    const ws = await newWorkspace(store);
    await new WorkspacesRepository(store).updateSettings(ws, { webhooks: { allow_private_hosts: true } });
    await new SocialAccountsRepository(store).put(
      ws,
      { name: 'company-linkedin', network: 'linkedin', webhookUrl: hook.url },
      START,
    );
    const repo = new CampaignsRepository(store);
    await repo.insert(ws, campaignSchema.parse(campaign('ticked', { sequence: [] })), START);
    await repo.setStatus(ws, 'ticked', 'draft', 'running', START, { launchedAt: START });
    const social = new SocialChannel(store, { secret: SECRET, publicUrl: PUBLIC_URL, requireHttps: false });
    const channels = new ChannelRegistry().register(social);
    await new Worker(store, channels, new SimulatedClock(START), { workerId: 'w-social' }).tick();
    const worker = new Worker(store, channels, new SimulatedClock(START + 2 * DAY), { workerId: 'w-social' });
    expect(await worker.nextWakeAt(START)).toBe(START + 2 * DAY);
    expect(hook.received).toHaveLength(0);
    await worker.tick();
    await social.close();
    hook.server.close();
    await store.dispose();
    expect(hook.received).toHaveLength(1);
  });
});
