// Webhooks end to end on both stores: the dispatcher posts touches through the webhook channel to a real
// HTTP receiver started here. The receiver checks the signature the way docs/webhooks.md tells users to;
// a 500 is retried with the same idempotency key and then succeeds; 4xx and redirects fail for good; a
// slow receiver times out and is retried; internal targets are refused (no request reaches them) unless
// the workspace allows private hosts; plain http is refused in production.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { WebhookChannel } from '../../src/channels/webhook.channel.js';
import { webhookSigningSecret } from '../../src/channels/webhook-signature.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import {
  addContact,
  addRunningCampaign,
  retire,
  setSettings,
  T0,
  touchesOf,
  WINDOW,
  type TestContact,
} from './fixtures.js';

const SECRET = 'instance-secret-for-the-webhook-tests-0123456789';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
}

/** The verification snippet of docs/webhooks.md, written out here independently of Baton's code. */
function receiverVerifies(
  secret: string,
  header: string | undefined,
  raw: string,
  nowSeconds: number,
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest('hex');
  return (
    Math.abs(nowSeconds - Number(parts.t)) <= 300 &&
    expected.length === parts.v1?.length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1))
  );
}

async function startReceiver(): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const flaky = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      received.push({ path, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      const key = String(req.headers['idempotency-key']);
      if (path === '/hooks/flaky') {
        const n = (flaky.get(key) ?? 0) + 1;
        flaky.set(key, n);
        res.writeHead(n === 1 ? 500 : 200).end(n === 1 ? 'database is restarting' : '{"ok":true}');
      } else if (path === '/hooks/gone') res.writeHead(410).end('this hook was deleted');
      else if (path === '/hooks/redirect') res.writeHead(302, { location: '/hooks/ok' }).end();
      else if (path === '/hooks/slow') setTimeout(() => res.writeHead(200).end('late'), 3_000);
      else if (path === '/hooks/huge-error') res.writeHead(503).end('x'.repeat(4 * 1024 * 1024));
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

describe.each(dialects)('webhook channel end to end on %s', (dialect) => {
  let store: TestStore;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let channel: WebhookChannel;
  let production: WebhookChannel;
  let dispatcher: Dispatcher;
  let productionDispatcher: Dispatcher;
  const used: string[] = [];

  beforeAll(async () => {
    store = await openTestStore(dialect);
    receiver = await startReceiver();
    channel = new WebhookChannel(store, { secret: SECRET, requireHttps: false, timeoutMs: 1_000 });
    production = new WebhookChannel(store, { secret: SECRET, requireHttps: true, timeoutMs: 1_000 });
    dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'webhook-test',
      retryBaseMs: 60_000,
    });
    productionDispatcher = new Dispatcher(store, new ChannelRegistry().register(production), {
      workerId: 'webhook-test-prod',
    });
  });
  afterEach(async () => {
    for (const ws of used.splice(0)) await retire(store, ws);
  });
  afterAll(async () => {
    await channel.close();
    await production.close();
    receiver.server.closeAllConnections();
    await new Promise((r) => receiver.server.close(r));
    await store.dispose();
  });

  async function workspace(allowPrivate: boolean, extra: Record<string, unknown> = {}) {
    const ws = await newWorkspace(store);
    used.push(ws);
    await setSettings(store, ws, { webhooks: { allow_private_hosts: allowPrivate, ...extra } });
    return ws;
  }

  async function hookCampaign(ws: string, id: string, url: string, contacts: TestContact[]) {
    const rt = await addRunningCampaign(store, ws, {
      id,
      name: `Webhook ${id}`,
      objective: 'custom',
      window: WINDOW,
      channels: ['webhook'],
      sequence: [
        {
          id: 'notify',
          channel: 'webhook',
          webhook: { url },
          subject: 'New lead: {{ contact.first_name }}',
          body: 'Call {{ contact.first_name }} ({{ contact.plan }} plan)',
        },
      ],
    });
    await enrollContacts(store, rt, contacts, T0);
  }

  const base = () => `http://127.0.0.1:${receiver.port}`;
  const mine = (ws: string) => receiver.received.filter((r) => r.raw.includes(`"workspace_id":"${ws}"`));

  it('posts signed JSON that the receiver verifies, with the rendered content and the idempotency key', async () => {
    const ws = await workspace(true);
    const ada = await addContact(store, ws, 'Ada');
    const bob = await addContact(store, ws, 'Bob');
    await hookCampaign(ws, 'leads', `${base()}/hooks/ok`, [ada, bob]);
    const stats = await dispatcher.drain(T0);
    expect(stats.sent).toBeGreaterThanOrEqual(2);

    const got = mine(ws);
    expect(got).toHaveLength(2);
    const secret = webhookSigningSecret(SECRET, ws);
    const touches = await touchesOf(store, ws);
    for (const r of got) {
      expect(r.path).toBe('/hooks/ok');
      expect(r.headers['content-type']).toBe('application/json');
      expect(receiverVerifies(secret, r.headers['baton-signature'] as string, r.raw, T0 / 1000)).toBe(true);
      // A changed body, another workspace's secret, or a replay an hour later do not verify.
      expect(receiverVerifies(secret, r.headers['baton-signature'] as string, r.raw + ' ', T0 / 1000)).toBe(
        false,
      );
      expect(
        receiverVerifies(
          webhookSigningSecret(SECRET, 'ws_other'),
          r.headers['baton-signature'] as string,
          r.raw,
          T0 / 1000,
        ),
      ).toBe(false);
      expect(receiverVerifies(secret, r.headers['baton-signature'] as string, r.raw, T0 / 1000 + 3600)).toBe(
        false,
      );

      const body = JSON.parse(r.raw) as {
        id: string;
        type: string;
        created_at: string;
        campaign: { id: string };
        step: { id: string };
        contact: { id: string; email: string; first_name: string };
        content: { subject: string; body: string; webhook?: unknown };
      };
      const touch = touches.find((t) => t.contact_id === body.contact.id)!;
      expect(body.id).toBe(touch.id);
      expect(r.headers['idempotency-key']).toBe(touch.id);
      expect(body.type).toBe('campaign.touch');
      expect(body.created_at).toBe(new Date(T0).toISOString());
      expect(body.campaign.id).toBe('leads');
      expect(body.step.id).toBe('notify');
      const who = body.contact.id === ada.id ? ada : bob;
      expect(body.contact.email).toBe(who.email);
      expect(body.content.subject).toBe(`New lead: ${body.contact.first_name}`);
      expect(body.content.body).toBe(`Call ${body.contact.first_name} (pro plan)`);
      expect(body.content.webhook).toBeUndefined();
      expect(touch.status).toBe('sent');
    }
  });

  it('retries a 500 with backoff and the same idempotency key, then records the success', async () => {
    const ws = await workspace(true);
    const ada = await addContact(store, ws, 'Ada');
    await hookCampaign(ws, 'flaky', `${base()}/hooks/flaky`, [ada]);
    await dispatcher.drain(T0);
    let [touch] = await touchesOf(store, ws);
    expect(touch!.status).toBe('planned');
    expect(touch!.reason).toMatch(/^retry:webhook 127\.0\.0\.1:\d+ answered 500: database is restarting/);
    // Backoff: retryBaseMs × 2^0 with ±20% jitter.
    expect(Number(touch!.due_at)).toBeGreaterThanOrEqual(T0 + 48_000);
    expect(Number(touch!.due_at)).toBeLessThanOrEqual(T0 + 72_000);
    expect(mine(ws)).toHaveLength(1);

    await dispatcher.drain(T0 + 2 * 60_000);
    [touch] = await touchesOf(store, ws);
    expect(touch!.status).toBe('sent');
    const got = mine(ws);
    expect(got).toHaveLength(2);
    expect(got[0]!.headers['idempotency-key']).toBe(touch!.id);
    expect(got[1]!.headers['idempotency-key']).toBe(touch!.id);
    expect(touch!.attempts).toBe(2);
  });

  it('fails for good on a 4xx and on a redirect, which is never followed', async () => {
    const ws = await workspace(true);
    const ada = await addContact(store, ws, 'Ada');
    const bob = await addContact(store, ws, 'Bob');
    await hookCampaign(ws, 'gone', `${base()}/hooks/gone`, [ada]);
    await hookCampaign(ws, 'moved', `${base()}/hooks/redirect`, [bob]);
    await dispatcher.drain(T0);
    const touches = await touchesOf(store, ws);
    const gone = touches.find((t) => t.campaign_id === 'gone')!;
    const moved = touches.find((t) => t.campaign_id === 'moved')!;
    expect(gone.status).toBe('failed');
    expect(gone.reason).toMatch(/answered 410: this hook was deleted/);
    expect(moved.status).toBe('failed');
    expect(moved.reason).toMatch(/answered 302 \(a redirect, which Baton does not follow\)/);
    expect(
      mine(ws)
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/hooks/gone', '/hooks/redirect']);
    const failed = await store.db
      .selectFrom('events')
      .select(['type', 'touch_id'])
      .where('workspace_id', '=', ws)
      .where('type', '=', 'failed')
      .execute();
    expect(failed.map((e) => e.touch_id).sort()).toEqual([gone.id, moved.id].sort());
  });

  it('retries a receiver that does not answer in time, and reads only a bounded part of a huge answer', async () => {
    const ws = await workspace(true);
    const ada = await addContact(store, ws, 'Ada');
    const bob = await addContact(store, ws, 'Bob');
    await hookCampaign(ws, 'slow', `${base()}/hooks/slow`, [ada]);
    await hookCampaign(ws, 'huge', `${base()}/hooks/huge-error`, [bob]);
    const started = Date.now();
    await dispatcher.drain(T0);
    expect(Date.now() - started).toBeLessThan(2_900);
    const touches = await touchesOf(store, ws);
    const slow = touches.find((t) => t.campaign_id === 'slow')!;
    const huge = touches.find((t) => t.campaign_id === 'huge')!;
    expect(slow.status).toBe('planned');
    expect(slow.reason).toMatch(/^retry:webhook 127\.0\.0\.1:\d+: timed out/);
    expect(huge.status).toBe('planned');
    expect(huge.reason).toMatch(/^retry:webhook 127\.0\.0\.1:\d+ answered 503: x+$/);
    expect(huge.reason!.length).toBeLessThan(300);
  });

  it('refuses loopback, private, IPv6 loopback, IPv4-mapped and names resolving to loopback unless allowed', async () => {
    const ws = await workspace(false);
    const port = receiver.port;
    const targets: Array<[string, RegExp]> = [
      [`http://127.0.0.1:${port}/hooks/ok`, /loopback address \(127\.0\.0\.1\)/],
      ['http://10.20.30.40/hooks/ok', /private address \(10\.20\.30\.40\)/],
      [`http://[::1]:${port}/hooks/ok`, /loopback address \(::1\)/],
      [`http://[::ffff:127.0.0.1]:${port}/hooks/ok`, /loopback address/],
      [`http://localhost:${port}/hooks/ok`, /localhost resolves to a loopback address/],
      ['http://169.254.169.254/latest/meta-data/', /link-local address/],
    ];
    for (const [i, [url]] of targets.entries()) {
      await hookCampaign(ws, `ssrf-${i}`, url, [await addContact(store, ws, `C${i}`)]);
    }
    await dispatcher.drain(T0);
    const touches = await touchesOf(store, ws);
    for (const [i, [, reason]] of targets.entries()) {
      const t = touches.find((x) => x.campaign_id === `ssrf-${i}`)!;
      expect(t.status).toBe('failed');
      expect(t.reason).toMatch(/^webhook\.url /);
      expect(t.reason).toMatch(reason);
    }
    expect(mine(ws)).toHaveLength(0);
  });

  it('keeps to the allowed hosts and refuses plain http in production', async () => {
    const ws = await workspace(true, { allowed_hosts: ['hooks.example.com'] });
    await hookCampaign(ws, 'elsewhere', `${base()}/hooks/ok`, [await addContact(store, ws, 'Ada')]);
    await dispatcher.drain(T0);
    const [t] = await touchesOf(store, ws);
    expect(t!.status).toBe('failed');
    expect(t!.reason).toMatch(/host 127\.0\.0\.1 is not in the workspace's allowed webhook hosts/);

    const ws2 = await workspace(true);
    await hookCampaign(ws2, 'plain', `${base()}/hooks/ok`, [await addContact(store, ws2, 'Bob')]);
    await productionDispatcher.drain(T0);
    const [p] = await touchesOf(store, ws2);
    expect(p!.status).toBe('failed');
    expect(p!.reason).toBe('webhook.url must use https in production');
    expect(mine(ws).length + mine(ws2).length).toBe(0);
  });
});
