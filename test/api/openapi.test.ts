import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../support/stores.js';
import { apiFor } from './api-harness.js';

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
        responses: Record<string, unknown>;
      }
    >
  >;
}

describe('OpenAPI document', () => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
    ({ app } = await apiFor(store));
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('documents the contacts and accounts resources with their parameters, bodies and errors', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<OpenApiDoc>();
    for (const resource of ['contacts', 'accounts']) {
      const base = `/api/v1/${resource}`;
      expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths[`${base}/{id}`] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
      expect(Object.keys(doc.paths[`${base}/upsert`] ?? {})).toEqual(['post']);
      const list = doc.paths[base]!.get!;
      expect(list.parameters?.map((p) => p.name)).toEqual(
        expect.arrayContaining(['limit', 'cursor', 'q', 'updated_since']),
      );
      expect(Object.keys(doc.paths[base]!.post!.responses)).toEqual(
        expect.arrayContaining(['201', '401', '403', '409', '413', '422']),
      );
      expect(Object.keys(doc.paths[`${base}/{id}`]!.get!.responses)).toContain('404');
    }
    const body = doc.paths['/api/v1/contacts']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties ?? {})).toEqual(
      expect.arrayContaining([
        'email',
        'external_id',
        'time_zone',
        'lifecycle_stage',
        'account_id',
        'attributes',
      ]),
    );
  });
});
