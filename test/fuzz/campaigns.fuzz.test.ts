// Fuzzing campaign-as-code: the example files with characters inserted, deleted and replaced, YAML alias
// bombs, and specs with fields gone wrong, through the YAML parser, `applyCampaign` on both dialects and
// the HTTP API (save and lint). Nothing throws anything but a BatonError or answers 500, and a refused
// campaign leaves campaigns, revisions and templates as they were.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildApp } from '../../src/api/app.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import {
  applyCampaign,
  loadCampaignFile,
  parseCampaignYaml,
  type CampaignFile,
} from '../../src/store/campaigns/index.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { batonOrValue, expectHandled, garbled, mutated, rowCounts, runs } from './fuzz-support.js';

const NOW = Date.parse('2027-01-04T12:00:00Z');
const EXAMPLES = ['product-launch', 'nurture', 'outbound-target-accounts', 'omnichannel-push'].map(
  (n) => `examples/${n}.yaml`,
);
const TEXTS = EXAMPLES.map((f) => readFileSync(f, 'utf8'));
const SPECS = TEXTS.map((t) => parseYaml(t) as unknown);
const TABLES = ['campaigns', 'campaign_revisions', 'templates'] as const;

const yamlText = fc.oneof(
  fc.constantFrom(...TEXTS).chain((t) => garbled(t)),
  // An alias bomb: each level doubles the one before.
  fc.integer({ min: 5, max: 30 }).map((n) => {
    const lines = ['a0: &a0 [x, x]'];
    for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    return lines.join('\n');
  }),
  fc.constantFrom(
    '',
    '---\n---\n',
    '!!js/function "x"',
    'id: !!binary AAAA',
    '? [a]\n: b',
    '{',
    '- - - -',
    'id: [1, *x]',
  ),
);
const spec = fc.constantFrom(...SPECS).chain((s) => mutated(s));

describe('campaign YAML parser', () => {
  it('returns a spec or a BatonError naming file:line:column for any text', () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        try {
          parseCampaignYaml(text, 'fuzz.yaml');
        } catch (e) {
          expect((e as Error).name).toBe('BatonError');
          expect((e as Error).message).toMatch(/^fuzz\.yaml/);
        }
      }),
      runs(400),
    );
  });
});

describe.each(dialects)('campaign apply, save and lint on %s', (dialect) => {
  let store: TestStore;
  let ws: string;
  let app: FastifyInstance;
  let auth: string;
  let files: CampaignFile[];
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ws = await newWorkspace(store, NOW);
    files = await Promise.all(EXAMPLES.map((f) => loadCampaignFile(f)));
    const { key } = await new ApiKeysRepository(store).create(
      ws,
      { kind: 'api', scopes: ['read', 'write', 'launch'] },
      NOW,
    );
    auth = `Bearer ${key}`;
    app = await buildApp(
      { store, clock: new SimulatedClock(NOW), secret: 's'.repeat(40), publicUrl: 'http://localhost:4400' },
      { rateLimit: false },
    );
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('applies a garbled file or a mutated spec, or refuses it with a BatonError and writes nothing', async () => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(
            fc.oneof(
              yamlText.map((t) => ({ text: t })),
              spec.map((s) => ({ spec: s })),
            ),
            fc.nat({ max: EXAMPLES.length - 1 }),
          ),
          // The examples as they are, so every run also reaches the writes.
          fc.nat({ max: EXAMPLES.length - 1 }).map((i) => [{ text: TEXTS[i]! }, i] as const),
        ),
        async ([input, i]) => {
          const before = await rowCounts(store, ws, TABLES);
          const r = await batonOrValue(async () => {
            const parsed = 'text' in input ? parseCampaignYaml(input.text) : input.spec;
            return applyCampaign(store, ws, { spec: parsed, templates: files[i]!.templates }, NOW);
          });
          if (r.ok) applied++;
          else expect(await rowCounts(store, ws, TABLES)).toEqual(before);
        },
      ),
      runs(dialect === 'sqlite' ? 120 : 60),
    );
    expect(applied).toBeGreaterThan(5);
  });

  it('answers save and lint of a mutated spec over HTTP without a 500, and a refused save writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.constantFrom('save', 'lint'), async (body, what) => {
        const before = await rowCounts(store, ws, TABLES);
        const r = await app.inject({
          method: 'POST',
          url: what === 'save' ? '/api/v1/campaigns' : '/api/v1/campaigns/lint',
          headers: { authorization: auth },
          payload: body as object,
        });
        expectHandled(r, what === 'save' ? [201, 400, 404, 409, 422] : [200, 400, 404, 422]);
        if (r.statusCode >= 400 || what === 'lint') {
          expect(await rowCounts(store, ws, TABLES)).toEqual(before);
        }
      }),
      runs(dialect === 'sqlite' ? 100 : 50),
    );
  });
});
