// Inputs the fuzz tests found that broke a parser, kept as plain regression tests.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileEmail, renderEmail } from '../../src/content/render.js';
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

  // render fuzz: a Liquid loop over a huge range ran for minutes inside renderSync (the worker stalls).
  it('fails the render of a template that loops over a huge range within about a second', async () => {
    const compiled = await compileEmail({ subject: 'x', body: '{% for a in (1..100000000) %}x{% endfor %}' });
    const started = performance.now();
    expect(() =>
      renderEmail(
        compiled,
        {
          contact: {},
          account: null,
          campaign: { id: 'c', name: 'c' },
          step: { id: 's', channel: 'email' },
          sender: { name: null, email: 'a@example.com', postal_address: 'x' },
        },
        {
          touchId: null,
          secret: 's'.repeat(40),
          publicUrl: 'http://localhost',
          tracking: { opens: false, clicks: false },
          utm: {},
          unsubscribeUrl: null,
          marketing: false,
        },
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_input',
        message: expect.stringMatching(/^template: does not render: .*limit/),
      }),
    );
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
