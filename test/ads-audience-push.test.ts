// Ads audience pushes on both stores, against a real local HTTP server: an audience configured over the API
// has its delta POSTed by the worker's tick, signed with the secret the API returned, holding the Customer
// Match CSV of the members added; a 500 keeps the delta unrecorded, so the next push sends the same
// additions again and the failure shows in GET /audiences; nothing is sent while nothing changed; an http://
// or loopback URL is refused when the workspace does not allow private hosts; another workspace can
// neither configure nor see the push. Each dialect has a store of its own: the worker ticks all of it.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvFile, hashIdentifiers, type RawIdentifiers } from '../src/channels/ads/identifiers.js';
import { ChannelRegistry } from '../src/channels/channel.js';
import { verifyWebhook, webhookSigningSecret } from '../src/channels/webhook-signature.js';
import { SimulatedClock } from '../src/engine/clock.js';
import { Worker } from '../src/engine/worker.js';
import { AdsAudiencesRepository } from '../src/store/ads-audiences.repository.js';
import { AuditRepository } from '../src/store/audit.repository.js';
import { WorkspacesRepository } from '../src/store/workspaces.repository.js';
import { apiFor, bearer, T0 } from './api/api-harness.js';
import { ownStore, type OwnStore } from './ops/ops-support.js';
import { dialects, newWorkspace } from './support/stores.js';

const SECRET = 's'.repeat(40); // the API harness's instance secret
const MIN = 60_000;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function receiver(answers: number[]): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/audiences`, received };
}

const raw = (name: string): RawIdentifiers => ({
  email: `${name}@example.com`,
  phone: null,
  firstName: name,
  lastName: null,
  country: 'US',
  zip: null,
});

describe.each(dialects)('ads audience pushes on %s', (dialect) => {
  let own: OwnStore;
  let app: FastifyInstance;
  let server: Server | null = null;

  beforeAll(async () => {
    own = await ownStore(dialect);
    ({ app } = await apiFor(own.store));
  });
  afterAll(async () => {
    await app.close();
    if (server) await new Promise((resolve) => server!.close(resolve));
    await own.dispose();
  });

  const call = (auth: string, method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: auth },
      ...(payload ? { payload } : {}),
    });

  it('pushes the signed delta, re-sends it after a 500, and sends nothing while nothing changed', async () => {
    const store = own.store;
    const ws = await newWorkspace(store, T0);
    await new WorkspacesRepository(store).updateSettings(ws, { webhooks: { allow_private_hosts: true } });
    const admin = await bearer(store, ws, ['admin']);
    const audiences = new AdsAudiencesRepository(store);
    const id = await audiences.ensure(ws, 'Retarget', T0);
    const hook = await receiver([200, 500, 200]);
    server = hook.server;

    const put = await call(admin, 'PUT', `/audiences/${id}/push`, { url: hook.url, format: 'google' });
    expect(put.statusCode, put.body).toBe(200);
    const secret = put.json().signature.secret as string;
    // Derived like webhooks' (nothing stored): the workspace's signing secret, version 1.
    expect(secret).toBe(webhookSigningSecret(SECRET, ws, 1));
    expect(put.json()).toMatchObject({
      audience_id: id,
      url: hook.url,
      format: 'google',
      last_push_at: null,
    });

    const clock = new SimulatedClock(T0 + MIN);
    const worker = new Worker(store, new ChannelRegistry(), clock, {
      workerId: 'push',
      audiencePush: { secret: SECRET, requireHttps: false, everyMs: 15 * MIN },
    });
    try {
      await audiences.addMembers(
        ws,
        id,
        ['ada', 'bob'].map((n) => ({
          contactId: `c-${n}`,
          campaignId: null,
          enrollmentId: null,
          identifiers: hashIdentifiers(raw(n)),
        })),
        T0 + 2 * MIN,
      );
      // First push: 10 minutes after the members entered.
      clock.set(T0 + 12 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(1);
      const first = hook.received[0]!;
      expect(
        verifyWebhook(secret, String(first.headers['baton-signature']), first.body, (T0 + 12 * MIN) / 1000),
      ).toBe(true);
      expect(
        verifyWebhook(
          secret,
          String(first.headers['baton-signature']),
          `${first.body} `,
          (T0 + 12 * MIN) / 1000,
        ),
      ).toBe(false);
      const sent = JSON.parse(first.body);
      const expectedAdded = csvFile('google', [hashIdentifiers(raw('ada')), hashIdentifiers(raw('bob'))]);
      expect(sent).toEqual({
        audience: { id, name: 'Retarget' },
        format: 'google',
        mode: 'delta',
        // No export before: from just before the audience was created.
        since: new Date(T0 - 1).toISOString(),
        until: new Date(T0 + 12 * MIN).toISOString(),
        added: { count: 2, csv: expectedAdded },
        removed: { count: 0, csv: 'Email,Phone,First Name,Last Name,Country,Zip\n' },
      });
      // Google's Customer Match: SHA-256 hex of the trimmed, lower-cased address.
      const adaEmail = createHash('sha256').update('ada@example.com').digest('hex');
      expect(sent.added.csv.split('\n')[1]).toContain(adaEmail);
      let listed = (await call(admin, 'GET', '/audiences')).json().data[0];
      expect(listed.push).toEqual({
        url: hook.url,
        format: 'google',
        last_push_at: new Date(T0 + 12 * MIN).toISOString(),
        last_push_error: null,
      });
      expect(listed.last_export_at).toBe(new Date(T0 + 12 * MIN).toISOString());

      // Quiet: within the interval nothing is looked at; after it, nothing changed since (beyond the
      // in-flight overlap, which the first push's time is past), so nothing is sent.
      clock.set(T0 + 20 * MIN);
      await worker.tick();
      clock.set(T0 + 40 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(1);

      // A new member; the endpoint fails: the error shows and the delta is not recorded.
      await audiences.addMembers(
        ws,
        id,
        [
          {
            contactId: 'c-cy',
            campaignId: null,
            enrollmentId: null,
            identifiers: hashIdentifiers(raw('cy')),
          },
        ],
        T0 + 45 * MIN,
      );
      clock.set(T0 + 56 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(2);
      listed = (await call(admin, 'GET', '/audiences')).json().data[0];
      expect(listed.push.last_push_error).toMatch(/answered 500/);
      expect(listed.push.last_push_at).toBe(new Date(T0 + 12 * MIN).toISOString());
      expect(listed.last_export_at).toBe(new Date(T0 + 12 * MIN).toISOString());

      // Not retried before the interval; then the same addition goes again, from the same `since`.
      clock.set(T0 + 60 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(2);
      clock.set(T0 + 72 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(3);
      const failed = JSON.parse(hook.received[1]!.body);
      const retried = JSON.parse(hook.received[2]!.body);
      const cyOnly = csvFile('google', [hashIdentifiers(raw('cy'))]);
      expect(failed.added).toEqual({ count: 1, csv: cyOnly });
      expect(retried.added).toEqual({ count: 1, csv: cyOnly });
      expect(retried.since).toBe(new Date(T0 + 12 * MIN).toISOString());
      expect(retried.until).toBe(new Date(T0 + 72 * MIN).toISOString());
      expect(
        verifyWebhook(
          secret,
          String(hook.received[2]!.headers['baton-signature']),
          hook.received[2]!.body,
          (T0 + 72 * MIN) / 1000,
        ),
      ).toBe(true);
      listed = (await call(admin, 'GET', '/audiences')).json().data[0];
      expect(listed.push).toMatchObject({
        last_push_at: new Date(T0 + 72 * MIN).toISOString(),
        last_push_error: null,
      });

      // Stopped: no more pushes, and the audience shows none.
      expect((await call(admin, 'DELETE', `/audiences/${id}/push`)).statusCode).toBe(204);
      await audiences.addMembers(
        ws,
        id,
        [
          {
            contactId: 'c-di',
            campaignId: null,
            enrollmentId: null,
            identifiers: hashIdentifiers(raw('di')),
          },
        ],
        T0 + 80 * MIN,
      );
      clock.set(T0 + 120 * MIN);
      await worker.tick();
      expect(hook.received).toHaveLength(3);
      expect((await call(admin, 'GET', '/audiences')).json().data[0].push).toBeNull();
      expect((await call(admin, 'DELETE', `/audiences/${id}/push`)).statusCode).toBe(404);
    } finally {
      await worker.stop();
    }
  });

  it('refuses an http:// or private url when the workspace does not allow private hosts', async () => {
    const ws = await newWorkspace(own.store, T0);
    const admin = await bearer(own.store, ws, ['admin']);
    const id = await new AdsAudiencesRepository(own.store).ensure(ws, 'Strict', T0);
    for (const [url, reason] of [
      ['http://hooks.example.com/audiences', /https/],
      ['https://127.0.0.1:8443/audiences', /loopback address/],
      ['https://10.1.2.3/audiences', /private address/],
    ] as const) {
      const res = await call(admin, 'PUT', `/audiences/${id}/push`, { url, format: 'meta' });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error.code).toBe('invalid_input');
      expect(res.json().error.details.issues[0].path).toBe('body.url');
      expect(res.json().error.message).toMatch(/^body\.url: /);
      expect(res.json().error.message).toMatch(reason);
    }
    const ok = await call(admin, 'PUT', `/audiences/${id}/push`, {
      url: 'https://hooks.example.com/audiences',
      format: 'meta',
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('keeps a push to its workspace, and to admins', async () => {
    const mine = await newWorkspace(own.store, T0);
    const other = await newWorkspace(own.store, T0);
    const id = await new AdsAudiencesRepository(own.store).ensure(mine, 'Private', T0);
    const admin = await bearer(own.store, mine, ['admin']);
    const put = await call(admin, 'PUT', `/audiences/${id}/push`, {
      url: 'https://hooks.example.com/mine',
      format: 'google',
    });
    expect(put.statusCode, put.body).toBe(200);

    const stranger = await bearer(own.store, other, ['admin']);
    const hijack = await call(stranger, 'PUT', `/audiences/${id}/push`, {
      url: 'https://evil.example.net/',
      format: 'google',
    });
    expect(hijack.statusCode).toBe(404);
    expect((await call(stranger, 'DELETE', `/audiences/${id}/push`)).statusCode).toBe(404);
    expect((await call(stranger, 'GET', '/audiences')).json().data).toEqual([]);
    const seen = (await call(admin, 'GET', '/audiences')).json().data[0];
    expect(seen.push.url).toBe('https://hooks.example.com/mine');
    // The change is in the workspace's audit trail with the host (not the full URL, which may hold a token).
    const trail = (await new AuditRepository(own.store).list(mine, { limit: 50, action: 'audience.' })).data;
    expect(trail.map((e) => [e.action, e.target, e.details])).toEqual([
      ['audience.push_put', { type: 'audience', id }, { host: 'hooks.example.com', format: 'google' }],
    ]);

    // A key without the admin scope may not point the audience elsewhere.
    const writer = await bearer(own.store, mine, ['read', 'write']);
    const denied = await call(writer, 'PUT', `/audiences/${id}/push`, {
      url: 'https://x.example.com/',
      format: 'meta',
    });
    expect(denied.statusCode).toBe(403);
  });
});
