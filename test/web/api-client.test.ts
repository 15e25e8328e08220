// The web app's API client against the OpenAPI document: every endpoint it calls exists with that method, and
// the main response types it declares (web/src/api-shapes.ts, held to web/src/api.ts by the web type check)
// have the fields of the endpoint's response schema, optional where the schema does not require them.
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, pathOf } from '../../web/src/api-paths.js';
import { apiFor } from '../api/api-harness.js';
import { openTestStore } from '../support/stores.js';

interface Schema {
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}
type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema?: Schema }> }> }>
  >;
};
interface ResponseShape {
  endpoint: keyof typeof ENDPOINTS;
  at: string[];
  fields: Record<string, 'required' | 'optional'>;
}

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

  it('declares the fields of each main response schema, required where the schema requires them', async () => {
    // Loaded by path: the module imports api.ts types the way the web build resolves them (no extension).
    const shapesModule = '../../web/src/api-shapes.ts';
    const { RESPONSE_SHAPES } = (await import(shapesModule)) as { RESPONSE_SHAPES: ResponseShape[] };
    const store = await openTestStore('sqlite');
    const { app } = await apiFor(store);
    try {
      const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as OpenApi;
      const mismatches: string[] = [];
      for (const s of RESPONSE_SHAPES) {
        const e = ENDPOINTS[s.endpoint];
        const where = `${s.endpoint} ${['response', ...s.at].join('.')}`;
        let schema =
          doc.paths[e.path]?.[e.method.toLowerCase()]?.responses['200']?.content['application/json']?.schema;
        for (const step of s.at) schema = step === '[]' ? schema?.items : schema?.properties?.[step];
        if (!schema?.properties) {
          mismatches.push(`${where}: the OpenAPI document declares no properties there`);
          continue;
        }
        const required = new Set(schema.required ?? []);
        const declared = Object.keys(s.fields).sort();
        const documented = Object.keys(schema.properties).sort();
        for (const f of documented.filter((f) => !declared.includes(f)))
          mismatches.push(`${where}.${f}: in the OpenAPI schema, not in web/src/api.ts`);
        for (const f of declared.filter((f) => !documented.includes(f)))
          mismatches.push(`${where}.${f}: in web/src/api.ts, not in the OpenAPI schema`);
        for (const f of declared.filter((f) => documented.includes(f))) {
          const should = required.has(f) ? 'required' : 'optional';
          if (s.fields[f] !== should)
            mismatches.push(`${where}.${f}: ${s.fields[f]} in api.ts, ${should} in OpenAPI`);
        }
      }
      expect(mismatches).toEqual([]);
      expect(new Set(RESPONSE_SHAPES.map((s) => s.endpoint)).size).toBeGreaterThanOrEqual(6);
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
