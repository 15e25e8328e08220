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
import {
  expectJourneyStored,
  ingestFixture,
  SDK_JOURNEY,
  SDK_JOURNEY_LAST,
  type IngestFixture,
} from './ingest-support.js';

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

  it('merges the anonymous visitor into the identified user, links the group account, keeps every event once', async () => {
    for (const [method, message] of SDK_JOURNEY) await send((cb) => rudder[method](message as never, cb));
    // Baton stores this post, its answer is lost, and the SDK posts the same batch again.
    const before = proxy.posts.length;
    proxy.dropNextAnswer();
    const [method, message] = SDK_JOURNEY_LAST;
    await send((cb) => rudder[method](message as never, cb));
    const retried = proxy.posts.slice(before);
    expect(retried.length).toBe(2);
    expect(retried[1]!.equals(retried[0]!)).toBe(true);

    await expectJourneyStored(fx, 'analytics-node');
  });
});
