// Serving the built web app from the API process: files, the SPA fallback for page paths, JSON 404s for API
// paths, no way out of the folder, and the security headers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { openTestStore, type TestStore } from '../support/stores.js';

describe('web app serving', () => {
  let dir: string;
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-webdir-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Baton</title><div id="root"></div>');
    writeFileSync(join(web, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not for the web');
    store = await openTestStore('sqlite');
    app = await buildApp(
      { store, clock: new SimulatedClock(0), secret: 's'.repeat(40), publicUrl: 'http://x' },
      { webDir: web },
    );
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page for / and any page path, assets with long caching', async () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    for (const url of ['/', '/campaigns', '/campaigns/spring-push?tab=results']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log(1)');
  });

  it('keeps JSON 404s for API paths and never leaves the folder', async () => {
    const accept = 'text/html';
    for (const url of ['/api/v1/nothing-here', '/api/nothing', '/docs/nothing', '/t/x']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body).not.toContain('not for the web');
    }
  });

  it('answers a page path with the JSON 404 to a client that does not ask for HTML', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/no/such/page',
      headers: { accept: 'application/json' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'not_found', message: 'no route GET /no/such/page' });
  });

  it('says how to build the app when it is missing', async () => {
    const bare = await buildApp(
      { store, clock: new SimulatedClock(0), secret: 's'.repeat(40), publicUrl: 'http://x' },
      { webDir: join(dir, 'nope') },
    );
    const res = await bare.inject({ method: 'GET', url: '/campaigns', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(404);
    expect(res.body).toMatch(/npm run build/);
    await bare.close();
  });
});
