// `npm run bench -- webhook [N]`: N (default 20,000) touches posted by the webhook channel (Liquid content
// rendered per contact, JSON payload, HMAC-SHA256 signature, outbound guard, the workspace's settings read
// per batch, 16 requests in flight) to a local receiver that answers 204, in batches of 500 as the
// dispatcher hands them over. Baseline: undici `request` POSTing the same number of pre-built JSON bodies to
// the same receiver with a plain Agent and the same 16 in flight.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { OutboundMessage } from '../src/channels/channel.js';
import { WebhookChannel } from '../src/channels/webhook.channel.js';
import { openStore } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { report, timed } from './harness.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');
const BATCH = 500;
const IN_FLIGHT = 16;

export async function run(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 20_000);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const store = openStore(`sqlite:${join(dir, 'bench.db')}`);
  await migrateToLatest(store);
  const workspaces = new WorkspacesRepository(store);
  const ws = await workspaces.ensure('bench', T0);
  await workspaces.updateSettings(ws.id, { webhooks: { allow_private_hosts: true } });

  const messages: OutboundMessage[] = Array.from({ length: n }, (_, i) => ({
    workspaceId: ws.id,
    touchId: `tch_${i}`,
    idempotencyKey: `tch_${i}`,
    campaignId: 'q1-launch',
    stepId: 'hand-over',
    variantId: null,
    channel: 'webhook',
    contact: {
      id: `ct_${i}`,
      email: `person${i}@customer.example`,
      phone: null,
      first_name: `Person${i}`,
      last_name: 'Example',
      time_zone: 'Europe/London',
      account_id: null,
      attributes: { plan: i % 2 ? 'pro' : 'team' },
    },
    content: {
      webhook: { url },
      subject: 'New lead: {{ contact.first_name }}',
      body: 'Call {{ contact.first_name }} about the {{ contact.plan }} plan',
      purpose: 'marketing',
    },
    now: T0,
  }));

  const channel = new WebhookChannel(store, { secret: 'bench-secret-'.padEnd(40, 'x'), requireHttps: false });
  // Warm-up: connections, Liquid parse cache.
  await channel.send(messages.slice(0, BATCH));
  const sent = await timed(async () => {
    let ok = 0;
    for (let i = 0; i < n; i += BATCH) {
      const results = await channel.send(messages.slice(i, i + BATCH));
      ok += results.filter((r) => r.status === 'sent').length;
    }
    return ok;
  });
  if (sent.value !== n) throw new Error(`only ${sent.value} of ${n} webhooks were sent`);

  const bodies = messages.map((m) =>
    JSON.stringify({ id: m.touchId, type: 'campaign.touch', contact: m.contact, content: m.content }),
  );
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const post = async (body: string) => {
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.body.dump();
    return res.statusCode;
  };
  await Promise.all(bodies.slice(0, BATCH).map(post));
  const bare = await timed(async () => {
    for (let i = 0; i < n; i += BATCH) {
      const chunk = bodies.slice(i, i + BATCH);
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < chunk.length) await post(chunk[next++]!);
        }),
      );
    }
  });

  console.log(`webhooks: ${n.toLocaleString('en-US')} in batches of ${BATCH}, ${IN_FLIGHT} in flight`);
  report(
    { label: 'webhook channel', value: n / (sent.ms / 1000), unit: 'webhooks/s' },
    { label: 'bare undici POST', value: n / (bare.ms / 1000), unit: 'requests/s' },
  );
  await channel.close();
  await agent.close();
  await store.close();
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
