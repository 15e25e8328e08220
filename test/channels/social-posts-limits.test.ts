// Campaign social posts against a real local receiver, each on a database of its own (publishing claims the
// due posts of every workspace): a pause, however many ticks it lasts, uses up none of a post's attempts,
// so after the resume a 503 is retried as it would have been without the pause; and a receiver that answers
// with an endless body is read only up to the cap (64 KiB by default, as the webhook channel), so the post
// counts as sent at once instead of hanging on the answer until the request times out.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocialChannel } from '../../src/channels/social.channel.js';
import { campaignSchema } from '../../src/domain/campaign.js';
import { CampaignsRepository } from '../../src/store/campaigns.repository.js';
import { SocialAccountsRepository } from '../../src/store/social-posts.repository.js';
import { WorkspacesRepository } from '../../src/store/workspaces.repository.js';
import { ownStore, type OwnStore } from '../ops/ops-support.js';
import { dialects, newWorkspace } from '../support/stores.js';

const START = Date.parse('2027-01-04T09:00:00Z');
const MIN = 60_000;
const DUE = START + 2 * 24 * 60 * MIN; // the post's `at: 2d`

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/publish`;
}

/** A running campaign with one post due at DUE, to the account whose webhook is `url`. */
async function setup(dialect: (typeof dialects)[number], url: string, timeoutMs = 10_000) {
  const own: OwnStore = await ownStore(dialect);
  cleanups.push(() => own.dispose());
  const store = own.store;
  const ws = await newWorkspace(store);
  await new WorkspacesRepository(store).updateSettings(ws, { webhooks: { allow_private_hosts: true } });
  await new SocialAccountsRepository(store).put(
    ws,
    { name: 'company-linkedin', network: 'linkedin', webhookUrl: url },
    START,
  );
  const campaigns = new CampaignsRepository(store);
  const spec = campaignSchema.parse({
    id: 'launch',
    name: 'Launch',
    objective: 'launch',
    window: { start: '2027-01-04T09:00', end: '2027-02-26T17:00', timezone: 'UTC' },
    channels: ['log', 'social'],
    sequence: [],
    social_posts: [{ id: 'post', account: 'company-linkedin', at: '2d', text: 'Live today.' }],
  });
  await campaigns.insert(ws, spec, START);
  await campaigns.setStatus(ws, 'launch', 'draft', 'running', START, { launchedAt: START });
  const social = new SocialChannel(store, {
    secret: 's'.repeat(40),
    publicUrl: 'http://localhost:4400',
    requireHttps: false,
    timeoutMs,
  });
  cleanups.push(() => social.close());
  // Running: the post is planned from the campaign file (nothing is due yet).
  expect(await social.publishDue(START)).toEqual({ sent: 0, retried: 0, failed: 0, cancelled: 0 });
  const post = () =>
    store.db
      .selectFrom('social_posts')
      .select(['status', 'attempts'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
  return { store, ws, campaigns, social, post };
}

describe.each(dialects)('social post limits on %s', (dialect) => {
  it('a paused campaign uses up none of its posts’ attempts', async () => {
    const answers = [503];
    let calls = 0;
    const url = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          calls++;
          const status = answers.shift() ?? 200;
          res.writeHead(status, { 'content-type': 'application/json' }).end('{"id":"li-1"}');
        });
      }),
    );
    const { ws, campaigns, social, post } = await setup(dialect, url);
    expect(await campaigns.setStatus(ws, 'launch', 'running', 'paused', DUE - MIN)).toBe(true);

    // Ten ticks of a pause, each a minute apart (the paused post is looked at again each minute): more
    // than the 5 attempts a post has.
    for (let i = 0; i < 10; i++) {
      expect(await social.publishDue(DUE + i * MIN)).toEqual({
        sent: 0,
        retried: 0,
        failed: 0,
        cancelled: 0,
      });
    }
    expect(calls).toBe(0);
    expect(await post()).toEqual({ status: 'planned', attempts: 0 });

    // Resumed: the first try meets a 503 and is retried (its first attempt), then the post goes out.
    const resumed = DUE + 10 * MIN;
    expect(await campaigns.setStatus(ws, 'launch', 'paused', 'running', resumed)).toBe(true);
    expect(await social.publishDue(resumed)).toEqual({ sent: 0, retried: 1, failed: 0, cancelled: 0 });
    expect(await post()).toMatchObject({ status: 'planned' });
    expect(Number((await post()).attempts)).toBe(1);
    // The first retry waits a minute (60 s × 2^(attempts − 1)).
    expect(await social.publishDue(resumed + MIN)).toEqual({ sent: 1, retried: 0, failed: 0, cancelled: 0 });
    expect(calls).toBe(2);
  });

  it('reads a receiver’s answer only up to the cap and does not wait for the rest', async () => {
    let written = 0;
    let closedEarly = false;
    const url = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          // An answer that never ends: 16 KiB chunks for as long as the client reads.
          const chunk = Buffer.alloc(16 * 1024, 'x');
          res.write('{"id":"li-1","padding":"');
          const more = () => {
            while (!res.destroyed && res.write(chunk)) written += chunk.length;
            if (!res.destroyed) written += chunk.length;
          };
          res.on('drain', more);
          res.on('close', () => (closedEarly = !res.writableEnded));
          more();
        });
      }),
    );
    // The request timeout is far longer than reading 64 KiB takes: reading the whole answer would end in
    // it (a retry), after 20 s.
    const { social, post } = await setup(dialect, url, 20_000);
    const started = performance.now();
    expect(await social.publishDue(DUE)).toEqual({ sent: 1, retried: 0, failed: 0, cancelled: 0 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await post()).toMatchObject({ status: 'sent' });
    // Baton hung up: the server saw its answer cut off, not finished.
    await expect.poll(() => closedEarly, { timeout: 5_000 }).toBe(true);
    expect(written).toBeGreaterThan(0);
  }, 30_000);
});
