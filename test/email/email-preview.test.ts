// The render preview on both stores renders a real contact, but none of its links can act on that contact:
// the tracking and unsubscribe routes refuse every URL under Baton's public address that the preview holds,
// even for a campaign that tracks opens and clicks, and the contact stays subscribed.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../../src/content/index.js';
import { TemplatesRepository } from '../../src/store/templates.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { addContact, addRunningCampaign } from './fixtures.js';

const PUBLIC = 'http://localhost:4400';
const SECRET = 's'.repeat(40); // the harness's secret (test/api/api-harness.ts)

describe.each(dialects)('email preview links on %s', (dialect) => {
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

  it('holds no link the tracking or unsubscribe routes act on: clicking them leaves the contact subscribed', async () => {
    const ws = await newWorkspace(store);
    const auth = await bearer(store, ws, ['read', 'write']);
    const pat = await addContact(store, ws, 'Pat');
    await addRunningCampaign(store, ws, {
      id: 'launch',
      name: 'Launch',
      objective: 'leads',
      window: { start: '2027-01-04T00:00', end: '2027-03-01T00:00', timezone: 'UTC' },
      channels: ['email'],
      tracking: { opens: true, clicks: true },
      sequence: [{ id: 'one', channel: 'email', subject: 'Hi', template: 'templates/launch.mjml' }],
    });
    await new TemplatesRepository(store).upsert(
      ws,
      {
        id: 'templates/launch.mjml',
        kind: 'mjml',
        source:
          '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ contact.first_name }}. <a href="https://example.com/p">Plans</a> <a href="{{ links.unsubscribe }}">Stop these</a></mj-text></mj-column></mj-section></mj-body></mjml>',
      },
      T0,
    );
    const renders = [
      await app.inject({
        method: 'POST',
        url: `/api/v1/templates/${encodeURIComponent('templates/launch.mjml')}/render`,
        headers: { authorization: auth },
        payload: { contact_id: pat.id, campaign_id: 'launch', step_id: 'one' },
      }),
      await app.inject({
        method: 'POST',
        url: '/api/v1/content/render',
        headers: { authorization: auth },
        payload: {
          contact_id: pat.id,
          campaign_id: 'launch',
          step_id: 'one',
          body: 'See https://example.com/w',
        },
      }),
    ];
    const urls = new Set<string>();
    for (const r of renders) {
      expect(r.statusCode).toBe(200);
      const out = r.json() as { html: string | null; text: string };
      expect(out.text).toContain('Unsubscribe:');
      for (const part of [out.html ?? '', out.text])
        for (const m of part.matchAll(/http:\/\/localhost:4400\/[^\s"'<>)]+/g)) urls.add(m[0]);
    }
    // The footer's and the template's unsubscribe links at least; no open pixel or click redirect.
    expect(urls.size).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url).not.toMatch(/\/t\/[oc]\//);
      const last = url
        .split('/')
        .pop()!
        .replace(/\.gif$/, '');
      expect(verifyToken(SECRET, last)).toBeNull();
    }

    // A marketer clicking through: the page, its "Unsubscribe from all email" form, a one-click POST.
    for (const url of urls) {
      const path = url.slice(PUBLIC.length);
      const page = await app.inject({ method: 'GET', url: path });
      expect(page.statusCode).toBe(404);
      for (const payload of ['', 'List-Unsubscribe=One-Click', 'category=news']) {
        const post = await app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload,
        });
        expect(post.statusCode).toBe(404);
      }
    }
    const status = async () =>
      (
        await store.db
          .selectFrom('contacts')
          .select('subscription_status')
          .where('id', '=', pat.id)
          .executeTakeFirstOrThrow()
      ).subscription_status;
    expect(await status()).toBe('subscribed');
    const suppressed = await store.db
      .selectFrom('suppressions')
      .select('value')
      .where('workspace_id', '=', ws)
      .execute();
    expect(suppressed).toEqual([]);
    const events = await store.db
      .selectFrom('events')
      .select('type')
      .where('workspace_id', '=', ws)
      .execute();
    expect(events).toEqual([]);

    // The same clicks on a link the channel would send do unsubscribe: the check above is not vacuous.
    const live = `/u/${signToken(SECRET, { kind: 'unsubscribe', contactId: pat.id, touchId: null })}`;
    const oneClick = await app.inject({
      method: 'POST',
      url: live,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect(await status()).toBe('unsubscribed');
  });
});
