// Rotating the webhook signing secret with a grace period, end to end on both stores: an admin rotates it
// through the API; the real webhook channel then posts to a real HTTP receiver with two signatures (new
// secret first, previous second) until the grace period ends, so a receiver holding either secret accepts
// the request — also one still running the single-v1 snippet of the older docs with the previous secret —
// and after it ends only the new secret verifies.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { ChannelRegistry } from '../../src/channels/channel.js';
import { WebhookChannel } from '../../src/channels/webhook.channel.js';
import { Dispatcher } from '../../src/engine/dispatcher.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { enrollContacts } from '../../src/engine/enroller.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign, retire, setSettings, T0, WINDOW } from './fixtures.js';

const SECRET = 'instance-secret-for-the-rotation-tests-0123456789';
const HOUR = 3_600_000;

/** The verification snippet of docs/webhooks.md (every v1 value is checked), written out independently. */
function verifiesAny(secret: string, header: string, raw: string, nowSeconds: number): boolean {
  const items = header.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const t = Number(items.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex'));
  return items.some(
    ([k, v]) => k === 'v1' && v?.length === expected.length && timingSafeEqual(Buffer.from(v), expected),
  );
}

/** The older docs' snippet: an object of the pairs, so only the last v1 is checked. */
function verifiesLastOnly(secret: string, header: string, raw: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest('hex');
  return expected === parts.v1;
}

interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
}

describe.each(dialects)('webhook signing secret rotation on %s', (dialect) => {
  let store: TestStore;
  let server: Server;
  let port: number;
  const received: Received[] = [];
  let app: FastifyInstance;
  let clock: SimulatedClock;
  let channel: WebhookChannel;
  let dispatcher: Dispatcher;
  let ws: string;
  let admin: string;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    clock = new SimulatedClock(T0);
    app = await buildApp({ store, clock, secret: SECRET, publicUrl: 'http://localhost:4400' });
    channel = new WebhookChannel(store, { secret: SECRET, requireHttps: false, timeoutMs: 2_000 });
    dispatcher = new Dispatcher(store, new ChannelRegistry().register(channel), {
      workerId: 'rotation-test',
    });
    ws = await newWorkspace(store);
    await setSettings(store, ws, { webhooks: { allow_private_hosts: true } });
    admin = `Bearer ${(await new ApiKeysRepository(store).create(ws, { kind: 'api', scopes: ['admin'] }, T0)).key}`;
  });
  afterAll(async () => {
    await retire(store, ws);
    await channel.close();
    await app.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.dispose();
  });

  const secretNow = async () =>
    (
      await app.inject({
        method: 'GET',
        url: '/api/v1/webhooks/signing-secret',
        headers: { authorization: admin },
      })
    ).json<{
      secret: string;
      version: number;
      previous: { secret: string; version: number; valid_until: string } | null;
    }>();

  /** Runs a one-step webhook campaign for one new contact at `at` and returns the request the receiver got. */
  async function sendAt(at: number, id: string): Promise<Received> {
    const contact = await addContact(store, ws, `P${id}`);
    const rt = await addRunningCampaign(
      store,
      ws,
      {
        id,
        name: `Rotation ${id}`,
        objective: 'custom',
        window: WINDOW,
        channels: ['webhook'],
        sequence: [
          { id: 'hook', channel: 'webhook', webhook: { url: `http://127.0.0.1:${port}/hook` }, body: 'hi' },
        ],
      },
      at,
    );
    await enrollContacts(store, rt, [contact], at);
    const before = received.length;
    const stats = await dispatcher.drain(at);
    expect(stats.sent).toBe(1);
    expect(received).toHaveLength(before + 1);
    return received.at(-1)!;
  }

  it('signs with both secrets during the grace period and with the new one only after it', async () => {
    const old = await secretNow();
    expect(old.previous).toBeNull();
    const before = await sendAt(T0, 'before');
    const beforeHeader = String(before.headers['baton-signature']);
    expect(beforeHeader.match(/v1=/g)).toHaveLength(1);
    expect(verifiesAny(old.secret, beforeHeader, before.raw, T0 / 1000)).toBe(true);

    // A refused rotation changes nothing.
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/signing-secret/rotate',
      headers: { authorization: admin },
      payload: { grace_hours: -1 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('grace_hours');
    expect((await secretNow()).version).toBe(old.version);

    clock.set(T0 + HOUR);
    const rotated = await app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/signing-secret/rotate',
      headers: { authorization: admin },
      payload: { grace_hours: 2 },
    });
    expect(rotated.statusCode).toBe(200);
    const now = rotated.json<{
      secret: string;
      version: number;
      previous: { secret: string; valid_until: string };
    }>();
    expect(now.version).toBe(old.version + 1);
    expect(now.secret).not.toBe(old.secret);
    expect(now.previous).toEqual({
      secret: old.secret,
      version: old.version,
      valid_until: new Date(T0 + 3 * HOUR).toISOString(),
    });

    // In the grace period: new signature first, previous second; either secret verifies.
    const during = await sendAt(T0 + 2 * HOUR, 'during');
    const duringHeader = String(during.headers['baton-signature']);
    expect(duringHeader).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const at = (T0 + 2 * HOUR) / 1000;
    expect(verifiesAny(now.secret, duringHeader, during.raw, at)).toBe(true);
    expect(verifiesAny(old.secret, duringHeader, during.raw, at)).toBe(true);
    expect(verifiesAny(old.secret, duringHeader, during.raw + ' ', at)).toBe(false);
    // A receiver not yet updated (older snippet, previous secret) keeps working until the grace period ends.
    expect(verifiesLastOnly(old.secret, duringHeader, during.raw)).toBe(true);

    // After the grace period (valid_until excluded): the new secret only.
    const after = await sendAt(T0 + 3 * HOUR, 'after');
    const afterHeader = String(after.headers['baton-signature']);
    expect(afterHeader.match(/v1=/g)).toHaveLength(1);
    const later = (T0 + 3 * HOUR) / 1000;
    expect(verifiesAny(now.secret, afterHeader, after.raw, later)).toBe(true);
    expect(verifiesAny(old.secret, afterHeader, after.raw, later)).toBe(false);
    clock.set(T0 + 3 * HOUR);
    expect((await secretNow()).previous).toBeNull();

    // The rotation is in the audit trail.
    const audit = await app.inject({
      method: 'GET',
      url: '/api/v1/audit?action=webhook_secret.rotate',
      headers: { authorization: admin },
    });
    expect(audit.json().data).toHaveLength(1);
    expect(audit.json().data[0].details).toMatchObject({
      version: now.version,
      previous_version: old.version,
    });
  });

  it('a rotation without grace signs with the new secret alone at once', async () => {
    clock.set(T0 + 4 * HOUR);
    const old = await secretNow();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/signing-secret/rotate',
      headers: { authorization: admin },
      payload: { grace_hours: 0 },
    });
    const now = res.json<{ secret: string; previous: unknown }>();
    expect(now.previous).toBeNull();
    const sent = await sendAt(T0 + 4 * HOUR, 'no-grace');
    const header = String(sent.headers['baton-signature']);
    expect(header.match(/v1=/g)).toHaveLength(1);
    expect(verifiesAny(now.secret, header, sent.raw, (T0 + 4 * HOUR) / 1000)).toBe(true);
    expect(verifiesAny(old.secret, header, sent.raw, (T0 + 4 * HOUR) / 1000)).toBe(false);
  });

  it('two rotations at the same moment make two versions, each one step after the other', async () => {
    const old = await secretNow();
    const rotate = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/signing-secret/rotate',
        headers: { authorization: admin },
        payload: { grace_hours: 1 },
      });
    const answers = await Promise.all([rotate(), rotate(), rotate()]);
    const versions = answers.map((r) => r.json<{ version: number }>().version).sort((a, b) => a - b);
    expect(versions).toEqual([old.version + 1, old.version + 2, old.version + 3]);
    const now = await secretNow();
    expect(now.version).toBe(old.version + 3);
    // The secret still signing in the grace period is the one just before the latest, not an older one.
    expect(now.previous?.version).toBe(old.version + 2);
  });
});
