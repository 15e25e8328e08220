// Inputs the fuzz tests found that broke a parser, kept as plain regression tests.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { parseCampaignYaml } from '../../src/store/campaigns/campaign-file.js';
import { openTestStore, type TestStore } from '../support/stores.js';

const T0 = Date.parse('2027-01-04T10:00:00Z');

describe('fuzz regressions', () => {
  let store: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
    app = await buildApp(
      { store, clock: new SimulatedClock(T0), secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
      { rateLimit: false },
    );
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  // tracking fuzz: ["open", "RAW:%a"] answered Fastify's own error shape instead of Baton's.
  it('answers a malformed %-escape in a path with 400 and the JSON error body', async () => {
    for (const url of ['/t/o/%a.gif', '/t/c/%a', '/u/%zz', '/api/v1/contacts/%a', '/v1/%E0%A4%A']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json(), url).toEqual({
        error: {
          code: 'bad_request',
          message: 'the URL path is not valid: a % must start an escape such as %20',
        },
      });
    }
  });

  // campaigns fuzz: an alias bomb escaped the parser as the yaml library's ReferenceError.
  it('refuses a YAML alias bomb with a BatonError naming the file', () => {
    const bomb = [
      'a0: &a0 [x, x]',
      ...Array.from({ length: 6 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`),
    ];
    expect(() => parseCampaignYaml(bomb.join('\n'), 'bomb.yaml')).toThrow(
      expect.objectContaining({
        name: 'BatonError',
        code: 'invalid_input',
        message: 'bomb.yaml: too many YAML aliases (*name): a file may expand at most 100 of them',
      }),
    );
  });
});
