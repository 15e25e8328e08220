// `baton demo`: a fresh workspace on the embedded store, a simulated market of accounts and contacts,
// the example campaigns applied, forecast and launched, then weeks of the engine on the simulated clock —
// real email through a local SMTP sink, opens and clicks through the tracking endpoints, replies into the
// inbound listener, conversions through the Segment-compatible API, ads audiences filled, a social post
// published to a local stand-in for the network — and each campaign's review.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { buildApp } from '../api/app.js';
import { EmailChannel } from '../channels/email.channel.js';
import { defaultChannels } from '../channels/registry.js';
import { SocialChannel } from '../channels/social.channel.js';
import { engineLaunchHooks } from '../engine/campaign-hooks.js';
import { forecastCampaign } from '../engine/forecast.js';
import { SimulatedClock } from '../engine/clock.js';
import { Worker } from '../engine/worker.js';
import { processEvents } from '../engine/event-processor.js';
import { startInboundSmtp } from '../channels/inbound-smtp.js';
import { createTransport, type Transporter } from 'nodemailer';
import { ApiKeysRepository } from '../store/api-keys.repository.js';
import { applyCampaign, launchCampaign, loadCampaignFile } from '../store/campaigns/index.js';
import { CampaignsRepository } from '../store/campaigns.repository.js';
import { openStore, type Store } from '../store/db.js';
import { seedIds } from '../store/ids.js';
import { EmailSendersRepository } from '../store/email-senders.repository.js';
import { importAccounts, importContacts } from '../store/import/index.js';
import { resolveSecret } from '../store/instance-settings.repository.js';
import { ListsRepository } from '../store/lists.repository.js';
import { SocialAccountsRepository } from '../store/social-posts.repository.js';
import { migrateToLatest } from '../store/migrate.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import { Market, type MarketIO, type PerformedTouch } from './market.js';
import { SmtpSink } from './smtp-sink.js';
import { DEFAULT_TRUTH } from './truth.js';
import { generateWorld, type World, type WorldSize } from './world.js';

export const DEMO_START = Date.parse('2027-01-04T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const QUARTER = 15 * 60_000;
const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
export const DEMO_CAMPAIGNS = [
  'product-launch.yaml',
  'outbound-target-accounts.yaml',
  'nurture.yaml',
  'omnichannel-push.yaml',
];

export interface DemoOptions {
  weeks: number;
  seed: string;
  dbPath: string;
  size?: WorldSize;
  publicUrl?: string;
  /** Progress and narrative lines. */
  log: (line: string) => void;
  /** A live progress line (a TTY bar), or nothing. */
  progress?: (done: number, total: number, label: string) => void;
}

export interface DemoRun {
  store: Store;
  workspaceId: string;
  campaignIds: string[];
  world: World;
  market: Market;
  clock: SimulatedClock;
  app: FastifyInstance;
  secret: string;
  /** Stops the SMTP sink and channels (the store and app stay open for serving). */
  shutdown(): Promise<void>;
}

export async function runDemo(opts: DemoOptions): Promise<DemoRun> {
  for (const suffix of ['', '-wal', '-shm']) rmSync(opts.dbPath + suffix, { force: true });
  // Same seed, same world, same ids, same arms, same results.
  seedIds(opts.seed);
  const store = openStore(`sqlite:${opts.dbPath}`);
  await migrateToLatest(store);
  const clock = new SimulatedClock(DEMO_START - 2 * DAY);
  const ws = await new WorkspacesRepository(store).ensure('demo', clock.now());
  const secret = await resolveSecret(store, undefined);
  const publicUrl = opts.publicUrl ?? 'http://localhost:4400';
  const app = await buildApp({ store, clock, secret, publicUrl });
  const { key: writeKey } = await new ApiKeysRepository(store).create(
    ws.id,
    { kind: 'ingest', name: 'demo market', scopes: ['ingest'] },
    clock.now(),
  );

  // The market's people and companies, imported through the same CSV import a team would use.
  const world = generateWorld(opts.seed, opts.size ?? { accounts: 160, contactsPerAccount: 8 });
  await importWorld(store, ws.id, world, clock.now());
  const lists = new ListsRepository(store);
  await lists.create(ws.id, { name: 'enterprise-targets', kind: 'account' }, clock.now());
  await lists.addDomains(
    ws.id,
    'enterprise-targets',
    world.accounts.filter((a) => a.target).map((a) => a.domain),
    clock.now(),
  );

  const sink = new SmtpSink();
  const sinkPort = await sink.start();
  await new EmailSendersRepository(store).upsert(
    ws.id,
    {
      email: 'hello@baton-demo.test',
      name: 'Baton Demo',
      postal_address: '1 Market Street, Springfield, 12345, USA',
      smtp_url: `smtp://127.0.0.1:${sinkPort}`,
      daily_limit: 1_000_000,
      hourly_rate: 1_000_000,
    },
    clock.now(),
  );

  // Replies come back by SMTP into the same inbound listener `baton serve --inbound-smtp` runs.
  const inbound = await startInboundSmtp(store, clock, { port: 0, host: '127.0.0.1' });
  const replies = createTransport({
    host: '127.0.0.1',
    port: inbound.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
  });
  const io = marketIO(app, writeKey, replies);
  // The company's LinkedIn page, as a local receiver of the social posts Baton publishes to it.
  const network = await startSocialReceiver();
  await new WorkspacesRepository(store).updateSettings(ws.id, {
    ...ws.settings,
    webhooks: { allow_private_hosts: true },
  });
  await new SocialAccountsRepository(store).put(
    ws.id,
    { name: 'company-linkedin', network: 'linkedin', webhookUrl: network.url },
    clock.now(),
  );
  // Two months of history before the campaigns: pricing-page visits the launch audience is built on.
  await io.track(
    world.contacts.flatMap((c, i) =>
      Array.from({ length: c.pricingViews }, (_, k) => ({
        userId: c.externalId,
        event: 'pricing_page_viewed',
        timestamp: DEMO_START - ((i * 7 + k * 13) % 55) * DAY - HOUR,
        properties: { path: '/pricing' },
      })),
    ),
    world,
  );

  const campaignIds: string[] = [];
  for (const file of DEMO_CAMPAIGNS) {
    const loaded = await loadCampaignFile(join(EXAMPLES, file));
    await applyCampaign(
      store,
      ws.id,
      { spec: loaded.spec, templates: loaded.templates, author: 'demo' },
      clock.now(),
    );
    campaignIds.push(loaded.spec.id);
  }
  clock.set(DEMO_START);
  // The forecast before launch: the real planning code on the simulated timeline, sending nothing.
  opts.log('Forecast before launch (touches, peak day, people pushed by the shared caps):');
  for (const id of campaignIds) {
    const f = await forecastCampaign(store, ws.id, id, { from: clock.now() });
    const last = f.lastTouchAt === null ? '—' : new Date(f.lastTouchAt).toISOString().slice(0, 10);
    opts.log(
      `  ${id}: ${f.audience.treatment} people (+${f.audience.holdout} holdout), ${f.totals.touches} touches ` +
        `(+${f.totals.conditional} if conditions hold), peak ${f.peak ? `${f.peak.date} (${f.peak.touches})` : '—'}, ` +
        `${f.capped.people} pushed by caps, ${f.windowClosed.touches} past the end, last touch ${last}`,
    );
  }
  for (const id of campaignIds) {
    const { campaign } = await launchCampaign(store, ws.id, id, clock.now(), engineLaunchHooks);
    const n = await store.db
      .selectFrom('enrollments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws.id)
      .where('campaign_id', '=', id)
      .executeTakeFirst();
    opts.log(`  launched ${id} (${campaign.status}, ${Number(n?.n ?? 0)} enrolled)`);
  }

  const channels = defaultChannels(store);
  // One long-lived pooled connection: the sink greets each new connection after 100 ms.
  const email = new EmailChannel(store, {
    secret,
    publicUrl,
    poolSize: 2,
    transport: { maxMessages: Infinity },
  });
  channels.register(email);
  channels.register(new SocialChannel(store, { secret, publicUrl, requireHttps: false }));
  const worker = new Worker(store, channels, clock, {
    workerId: 'demo',
    processEvents,
    dynamicEnrollEveryMs: DAY,
  });
  const campaigns = await new CampaignsRepository(store).list(ws.id);
  const goals = new Map(campaigns.map((c) => [c.id, c.spec.goal?.event ?? null]));
  const outbound = new Set(campaigns.filter((c) => c.spec.objective === 'pipeline').map((c) => c.id));
  const end = DEMO_START + opts.weeks * 7 * DAY;
  const market = new Market(world, DEFAULT_TRUTH, io, opts.seed);
  market.start(DEMO_START, end, [...new Set([...goals.values()].filter((g): g is string => g !== null))]);

  // Jump from one moment with work to the next (a due touch, a market response, a window boundary),
  // on a 15-minute grid, instead of ticking through nights and weekends.
  let since = DEMO_START - 1;
  for (let t = DEMO_START; t <= end;) {
    clock.set(t);
    await market.runUntil(t);
    await worker.tick();
    for (const touch of await performedTouches(store, ws.id, sink, since, goals, outbound))
      market.onTouch(touch);
    since = t;
    opts.progress?.(t - DEMO_START, end - DEMO_START, new Date(t).toISOString().slice(0, 10));
    const wake = Math.min(await worker.nextWakeAt(t), market.nextAt(), t + 12 * HOUR, end);
    t = wake >= end && t < end ? end : Math.max(t + QUARTER, Math.ceil(wake / QUARTER) * QUARTER);
  }
  opts.progress?.(end - DEMO_START, end - DEMO_START, new Date(end).toISOString().slice(0, 10));
  await worker.tick();
  for (const post of network.received) {
    opts.log(`Social post ${post.id} published on ${post.account} at ${post.at} with a tracked link`);
  }

  return {
    store,
    workspaceId: ws.id,
    campaignIds,
    world,
    market,
    clock,
    app,
    secret,
    shutdown: async () => {
      await channels.close();
      network.server.close();
      replies.close();
      await inbound.close();
      await sink.stop();
    },
  };
}

/** A stand-in for a social network's publishing webhook: records what Baton posts to it. */
async function startSocialReceiver() {
  const received: Array<{ id: string; account: string; at: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const post = (JSON.parse(body) as { post: { id: string; account: string; scheduled_at: string } }).post;
      received.push({ id: post.id, account: post.account, at: post.scheduled_at });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `post-${received.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, received, url: `http://127.0.0.1:${port}/linkedin/posts` };
}

async function importWorld(store: Store, workspaceId: string, world: World, now: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  try {
    const accounts = join(dir, 'accounts.csv');
    writeFileSync(
      accounts,
      'external_id,domain,name,industry,size,owner\n' +
        world.accounts
          .map((a) => [a.externalId, a.domain, csv(a.name), a.industry, a.size, a.owner].join(','))
          .join('\n') +
        '\n',
    );
    const contacts = join(dir, 'contacts.csv');
    writeFileSync(
      contacts,
      'external_id,email,first_name,last_name,title,time_zone,lifecycle_stage,account_external_id\n' +
        world.contacts
          .map((c) =>
            [
              c.externalId,
              c.email,
              csv(c.firstName),
              csv(c.lastName),
              csv(c.title),
              c.timeZone,
              c.lifecycleStage,
              c.account.externalId,
            ].join(','),
          )
          .join('\n') +
        '\n',
    );
    const a = await importAccounts(store, accounts, { workspaceId, now });
    const c = await importContacts(store, contacts, { workspaceId, now });
    if (!a.committed || !c.committed) {
      throw new Error(
        `demo world import failed: ${[...a.issues, ...c.issues]
          .slice(0, 3)
          .map((i) => `line ${i.line} ${i.column}: ${i.reason}`)
          .join('; ')}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function csv(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The market's view of Baton's public surface: tracking URLs, one-click unsubscribe, ingestion, replies. */
function marketIO(app: FastifyInstance, writeKey: string, replies: Transporter) {
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const io: MarketIO & { track: (events: Parameters<MarketIO['track']>[0], world?: World) => Promise<void> } =
    {
      fetch: async (url, userAgent) => {
        const r = await app.inject({ method: 'GET', url: pathOf(url), headers: { 'user-agent': userAgent } });
        return r.statusCode;
      },
      unsubscribe: async (url) => {
        const r = await app.inject({
          method: 'POST',
          url: pathOf(url),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'List-Unsubscribe=One-Click',
        });
        return r.statusCode;
      },
      track: async (events) => {
        for (let i = 0; i < events.length; i += 100) {
          const batch = events.slice(i, i + 100).map((e) => ({
            type: 'track',
            userId: e.userId,
            event: e.event,
            properties: e.properties ?? {},
            timestamp: new Date(e.timestamp).toISOString(),
            sentAt: new Date(e.timestamp).toISOString(),
            messageId: `sim-${e.userId}-${e.event}-${e.timestamp}`,
          }));
          const r = await app.inject({
            method: 'POST',
            url: '/v1/batch',
            headers: { authorization: auth, 'content-type': 'application/json' },
            payload: { batch, sentAt: new Date(events[i]!.timestamp).toISOString() },
          });
          if (r.statusCode >= 400)
            throw new Error(`demo: ingestion refused a batch (${r.statusCode}): ${r.body.slice(0, 300)}`);
        }
      },
      reply: async (input) => {
        await replies.sendMail({
          from: input.from,
          to: input.to,
          subject: input.subject,
          text: input.text,
          inReplyTo: input.inReplyTo,
          references: [input.inReplyTo],
        });
      },
    };
  return io;
}

function pathOf(url: string): string {
  const u = new URL(url, 'http://localhost');
  return u.pathname + u.search;
}

/**
 * What Baton performed since the last look: emails as they arrived at the sink (parsed like a mail client
 * would), and the other channels' touches from their delivery log. The touch row is read only to learn
 * which campaign, step and variant a message was (the simulator's ground truth is keyed by them).
 */
async function performedTouches(
  store: Store,
  workspaceId: string,
  sink: SmtpSink,
  since: number,
  goals: Map<string, string | null>,
  outbound: Set<string>,
): Promise<PerformedTouch[]> {
  const out: PerformedTouch[] = [];
  for (const raw of sink.drain()) {
    const mail = await simpleParser(raw);
    const messageId = mail.messageId ?? '';
    const touch = await store.db
      .selectFrom('touches')
      .select(['campaign_id', 'step_id', 'variant_id', 'sent_at'])
      .where('workspace_id', '=', workspaceId)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    if (!touch) continue;
    const html = typeof mail.html === 'string' ? mail.html : '';
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    const listUnsub = String(mail.headers.get('list-unsubscribe') ?? '');
    out.push({
      at: Number(touch.sent_at),
      campaignId: touch.campaign_id,
      stepId: touch.step_id,
      variantId: touch.variant_id,
      channel: 'email',
      contactEmail: (to?.value[0]?.address ?? '').toLowerCase(),
      goalEvent: goals.get(touch.campaign_id) ?? null,
      outbound: outbound.has(touch.campaign_id),
      email: {
        messageId,
        subject: mail.subject ?? '',
        from: mail.from?.value[0]?.address ?? '',
        pixelUrl: /https?:\/\/[^"'\s>]*\/t\/o\/[^"'\s>]+/.exec(html)?.[0] ?? null,
        clickUrls: [...html.matchAll(/https?:\/\/[^"'\s>]*\/t\/c\/[^"'\s>]+/g)].map((m) => m[0]),
        unsubscribeUrl: /<(https?:[^>]+)>/.exec(listUnsub)?.[1] ?? null,
      },
    });
  }
  const logged = await store.db
    .selectFrom('channel_log')
    .innerJoin('touches', 'touches.id', 'channel_log.touch_id')
    .innerJoin('contacts', 'contacts.id', 'channel_log.contact_id')
    .select([
      'channel_log.created_at as at',
      'channel_log.channel as channel',
      'touches.campaign_id as campaign_id',
      'touches.step_id as step_id',
      'touches.variant_id as variant_id',
      'contacts.email as email',
    ])
    .where('channel_log.workspace_id', '=', workspaceId)
    .where('channel_log.created_at', '>', since)
    .where('channel_log.channel', '!=', 'email')
    .orderBy('channel_log.created_at')
    .execute();
  for (const r of logged) {
    out.push({
      at: Number(r.at),
      campaignId: r.campaign_id,
      stepId: r.step_id,
      variantId: r.variant_id,
      channel: r.channel,
      contactEmail: (r.email ?? '').toLowerCase(),
      goalEvent: goals.get(r.campaign_id) ?? null,
      outbound: outbound.has(r.campaign_id),
    });
  }
  // Emails arrive over a connection pool in no fixed order: sort so the market draws in the same order.
  return out.sort(
    (a, b) => a.at - b.at || a.contactEmail.localeCompare(b.contactEmail) || a.stepId.localeCompare(b.stepId),
  );
}
