// The real RudderStack Node SDK (@rudderstack/rudder-sdk-node) pointed at a Baton server started here sends
// identify, track, page, group and alias calls as gzipped /v1/batch posts; the test reads them back through
// the API. A real HTTP relay in front of Baton answers the first post of the retry check with a 503 after
// Baton stored it (a response lost on the way back), so the SDK posts the same batch again: the messages
// must be stored once.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Analytics from '@rudderstack/rudder-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/engine/clock.js';
import { dialects, openTestStore, type TestStore } from '../support/stores.js';
import { ingestFixture, type IngestFixture } from './ingest-support.js';

/** Sends one call and waits until the SDK's request for it has been answered. */
function send(run: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err as Error) : resolve())));
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A relay to Baton that can swallow Baton's answer to the next post and reply 503 instead. */
function relay(target: string): { server: Server; posts: Buffer[]; dropNextAnswer: () => void } {
  const posts: Buffer[] = [];
  let drop = false;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      posts.push(body);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body });
      const text = await answer.text();
      if (drop) {
        drop = false;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"lost"}');
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
      res.end(text);
    })();
  });
  return { server, posts, dropNextAnswer: () => (drop = true) };
}

describe.each(dialects)('RudderStack SDK against the tracking API on %s', (dialect) => {
  let store: TestStore;
  let fx: IngestFixture;
  let proxy: ReturnType<typeof relay>;
  let rudder: Analytics;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    fx = await ingestFixture(store, realClock, Date.now());
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fx.app.server.address() as AddressInfo;
    proxy = relay(`http://127.0.0.1:${port}`);
    await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r));
    const relayPort = (proxy.server.address() as AddressInfo).port;
    rudder = new Analytics(fx.writeKey, {
      dataPlaneUrl: `http://127.0.0.1:${relayPort}`,
      flushAt: 1,
      flushInterval: 50,
      retryCount: 2,
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    await new Promise<void>((r) => proxy.server.close(() => r()));
    await fx.app.close();
    await store.dispose();
  });

  const get = async (url: string) => {
    const res = await fx.app.inject({ method: 'GET', url, headers: { authorization: fx.bearer } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('merges the anonymous visitor into the identified user, links the group account, keeps every event once', async () => {
    await send((cb) =>
      rudder.track({ anonymousId: 'anon-1', event: 'Pricing Viewed', properties: { plan: 'pro' } }, cb),
    );
    await send((cb) =>
      rudder.page({ anonymousId: 'anon-1', name: 'Pricing', properties: { path: '/pricing' } }, cb),
    );
    await send((cb) =>
      rudder.identify(
        {
          userId: 'user-42',
          anonymousId: 'anon-1',
          traits: {
            email: 'ada@acme.io',
            firstName: 'Ada',
            lastName: 'Lovelace',
            timezone: 'Europe/London',
            plan: 'pro',
          },
        },
        cb,
      ),
    );
    await send((cb) => rudder.track({ anonymousId: 'tablet-7', event: 'App Opened' }, cb));
    await send((cb) => rudder.alias({ userId: 'user-42', previousId: 'tablet-7' }, cb));
    await send((cb) =>
      rudder.group(
        {
          userId: 'user-42',
          groupId: 'acct-acme',
          traits: { name: 'Acme Inc', website: 'https://www.acme.io', industry: 'Software', employees: 120 },
        },
        cb,
      ),
    );
    // Baton stores this post, its answer is lost, and the SDK posts the same batch again.
    const before = proxy.posts.length;
    proxy.dropNextAnswer();
    await send((cb) =>
      rudder.track({ userId: 'user-42', event: 'Demo Booked', properties: { revenue: 99 } }, cb),
    );
    const retried = proxy.posts.slice(before);
    expect(retried.length).toBe(2);
    expect(retried[1]!.equals(retried[0]!)).toBe(true);

    const contacts = await get('/api/v1/contacts?email=ada@acme.io');
    expect(contacts.data).toHaveLength(1);
    const ada = contacts.data[0];
    expect(ada).toMatchObject({
      external_id: 'user-42',
      first_name: 'Ada',
      last_name: 'Lovelace',
      time_zone: 'Europe/London',
      attributes: { plan: 'pro' },
    });
    const timeline = await get(`/api/v1/contacts/${ada.id}/timeline`);
    expect(timeline.identities).toEqual([
      { kind: 'anonymous_id', value: 'anon-1' },
      { kind: 'anonymous_id', value: 'tablet-7' },
      { kind: 'user_id', value: 'user-42' },
    ]);
    const types = timeline.items.map((i: { type: string }) => i.type).sort();
    expect(types).toEqual(
      ['App Opened', 'Demo Booked', 'Pricing Viewed', 'alias', 'group', 'identify', 'page'].sort(),
    );
    const all = await get('/api/v1/contacts');
    expect(all.data).toHaveLength(1);
    const account = await get(`/api/v1/accounts/${ada.account_id}`);
    expect(account).toMatchObject({
      external_id: 'acct-acme',
      domain: 'acme.io',
      name: 'Acme Inc',
      industry: 'Software',
      size: 120,
    });

    const events = await get(`/api/v1/events?contact=${ada.id}&type=Demo%20Booked`);
    expect(events.data).toHaveLength(1);
    expect(events.data[0].properties).toMatchObject({
      revenue: 99,
      $context: { library: { name: 'analytics-node' } },
    });
    expect(events.data[0].message_id).toMatch(/.+/);
  });
});
