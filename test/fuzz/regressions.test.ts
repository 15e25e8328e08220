// Inputs the fuzz tests found that broke a parser, kept as plain regression tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileEmail, renderEmail } from '../../src/content/render.js';
import { isBatonError } from '../../src/domain/errors.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { loadCampaignFile, parseCampaignYaml } from '../../src/store/campaigns/campaign-file.js';
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

  // render fuzz over HTTP (PostgreSQL): a template holding a NUL character reached the store from a campaign
  // file and failed there with a database error ("invalid byte sequence for encoding UTF8: 0x00").
  it('refuses a campaign file whose spec or template holds a NUL character, naming where', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-nul-'));
    try {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'templates', 'intro.liquid'), 'Hi\u0000 {{ links.unsubscribe }}');
      const spec = (name: string) => `id: spring
name: ${name}
objective: leads
goal: { metric: conversions, event: demo_booked, target: 10, lookback_days: 30 }
window: { start: 2027-03-01T09:00, end: 2027-04-01T17:00, timezone: UTC }
channels: [email]
sequence:
  - id: intro
    channel: email
    subject: Hello
    template: templates/intro.liquid
`;
      writeFileSync(join(dir, 'c.yaml'), spec('"Spring\\0push"'));
      const e = await loadCampaignFile(join(dir, 'c.yaml')).catch((x: unknown) => x);
      expect(isBatonError(e)).toBe(true);
      const issues = (e as { details: { issues: Array<{ path: string; message: string }> } }).details.issues;
      expect(issues).toEqual([
        { path: 'name', message: expect.stringMatching(/NUL character/) },
        {
          path: 'sequence.0.template',
          message: expect.stringMatching(/^template file "templates\/intro\.liquid" contains a NUL/),
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
