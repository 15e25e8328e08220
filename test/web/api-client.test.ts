// The web app's API client against the OpenAPI document: every endpoint it calls exists with that method.
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, pathOf } from '../../web/src/api-paths.js';
import { apiFor } from '../api/api-harness.js';
import { openTestStore } from '../support/stores.js';

describe('web API client', () => {
  it('calls only paths and methods of /api/v1/openapi.json', async () => {
    const store = await openTestStore('sqlite');
    const { app } = await apiFor(store);
    try {
      const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
      const missing = Object.entries(ENDPOINTS)
        .filter(([, e]) => !doc.paths[e.path]?.[e.method.toLowerCase()])
        .map(([name, e]) => `${name}: ${e.method} ${e.path}`);
      expect(missing).toEqual([]);
      expect(Object.keys(ENDPOINTS).length).toBeGreaterThan(10);
    } finally {
      await app.close();
      await store.dispose();
    }
  });

  it('fills and encodes path parameters', () => {
    expect(pathOf('getCampaign', { id: 'a b/c' })).toBe('/api/v1/campaigns/a%20b%2Fc');
    expect(() => pathOf('report')).toThrow(/missing path parameter id/);
  });
});
