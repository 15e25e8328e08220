// The webhook signing secret over the API: admin keys read it, other keys are refused, each workspace has
// its own, and bumping `webhooks.secret_version` rotates it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { signWebhook, verifyWebhook } from '../../src/channels/webhook-signature.js';
import { apiFor, bearer } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { setSettings } from './fixtures.js';

describe.each(dialects)('webhook signing secret API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  const get = (auth: string) =>
    app.inject({ method: 'GET', url: '/api/v1/webhooks/signing-secret', headers: { authorization: auth } });

  it('gives admins the secret, refuses other keys, differs per workspace and rotates with the version', async () => {
    const ws = await newWorkspace(store);
    const other = await newWorkspace(store);
    const admin = await bearer(store, ws, ['admin']);
    const writer = await bearer(store, ws, ['read', 'write']);

    expect((await get(writer)).statusCode).toBe(403);
    const first = await get(admin);
    expect(first.statusCode).toBe(200);
    const body = first.json<{ secret: string; version: number; header: string }>();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(body.version).toBe(1);
    expect(body.header).toBe('Baton-Signature');

    const theirs = (await get(await bearer(store, other, ['admin']))).json<{ secret: string }>().secret;
    expect(theirs).not.toBe(body.secret);

    // What a receiver does with it: a signature made with it verifies; with the other workspace's it does not.
    const raw = '{"id":"tch_1"}';
    const header = signWebhook(body.secret, 1_767_607_200, raw);
    expect(verifyWebhook(body.secret, header, raw, 1_767_607_200 + 60)).toBe(true);
    expect(verifyWebhook(theirs, header, raw, 1_767_607_200 + 60)).toBe(false);
    expect(verifyWebhook(body.secret, header, raw, 1_767_607_200 + 301)).toBe(false);

    await setSettings(store, ws, { webhooks: { secret_version: 2 } });
    const rotated = (await get(admin)).json<{ secret: string; version: number }>();
    expect(rotated.version).toBe(2);
    expect(rotated.secret).not.toBe(body.secret);
  });
});
