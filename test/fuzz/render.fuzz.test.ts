// Fuzzing template syntax: Liquid fragments and MJML markup spliced into the example templates and into
// subjects, compiled and rendered for a contact as the dispatcher and the preview do. Compiling and
// rendering return an email or a BatonError naming the field, and a template cannot make one render run
// away with time or memory.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileEmail,
  renderEmail,
  type RenderOptions,
  type RenderScope,
  type TemplateKind,
} from '../../src/content/render.js';
import { toStorableText } from '../../src/domain/storable-text.js';
import { ContactsRepository } from '../../src/store/contacts.repository.js';
import { TemplatesRepository } from '../../src/store/templates.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { batonOrValue, expectHandled, garbled, mutated, nasty, rowCounts, runs } from './fuzz-support.js';

const TEMPLATES = ['launch-intro.mjml', 'nurture-guide.mjml', 'outbound-1.liquid', 'outbound-2.liquid'].map(
  (f) => ({
    kind: (f.endsWith('.mjml') ? 'mjml' : 'liquid') as TemplateKind,
    source: readFileSync(`examples/templates/${f}`, 'utf8'),
  }),
);

const scope: RenderScope = {
  contact: { first_name: 'Ada', email: 'ada@example.com', attributes: { plan: 'pro', n: 3, list: [1, 2] } },
  account: { name: 'Acme', domain: 'acme.com' },
  campaign: { id: 'fuzz', name: 'Fuzz' },
  step: { id: 'intro', channel: 'email' },
  sender: { name: 'Baton', email: 'team@example.com', postal_address: '1 Main St\nSpringfield' },
};
const options = (strict: boolean): RenderOptions => ({
  touchId: 'tch_fuzz',
  secret: 's'.repeat(40),
  publicUrl: 'http://localhost:4400',
  tracking: { opens: true, clicks: true },
  utm: { source: 'baton', medium: 'email', campaign: 'fuzz' },
  unsubscribeUrl: 'http://localhost:4400/u/x',
  marketing: true,
  strict,
});

const liquid = fc.oneof(
  nasty,
  fc.constantFrom(
    '{{ contact.first_name }}',
    '{{ contact.first_name | upcase | append: "!" }}',
    '{{ contact.nope.deeper }}',
    '{{ contact | json }}',
    '{{ 1 | divided_by: 0 }}',
    '{{ "x" | unknown_filter }}',
    '{% if contact.attributes.n > 2 %}many{% else %}few{% endif %}',
    '{% for x in contact.attributes.list %}{{ x }}{% endfor %}',
    '{% for x in (1..3) %}{% endfor',
    '{% assign a = "b" %}{{ a }}',
    '{% include "x" %}',
    '{% render "x" %}',
    '{% layout "x" %}',
    '{% raw %}{{ a }}',
    '{{ contact.constructor }}',
    '{{ contact.__proto__ }}',
    '{% capture c %}{{ c }}{% endcapture %}',
    '<mj-section><mj-column><mj-text>hi</mj-text></mj-column></mj-section>',
    '<mj-include path="/etc/passwd" />',
    '<mj-button href="{{ contact.email }}">go</mj-button>',
    '<a href="https://example.com/?a={{ contact.first_name }}&b=1">x</a>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="{{">x</a>',
  ),
);

/** Templates whose cost grows without bound: nested loops over big ranges, and string doubling. */
const heavy = fc.constantFrom(
  '{% for a in (1..100000000) %}x{% endfor %}',
  '{% for a in (1..100000) %}{% for b in (1..100000) %}x{% endfor %}{% endfor %}',
  '{% assign s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}',
);

function spliced(base: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.tuple(fc.nat(), liquid), { minLength: 1, maxLength: 3 }), fc.boolean())
    .chain(([cuts, garble]) => {
      let s = base;
      for (const [at, piece] of cuts) {
        const i = at % (s.length + 1);
        s = s.slice(0, i) + piece + s.slice(i);
      }
      return garble ? garbled(s) : fc.constant(s);
    });
}

async function compileAndRender(kind: TemplateKind, source: string, subject: string, strict: boolean) {
  const compiled = await compileEmail({
    subject,
    template: { kind, source },
    preheader: 'Hi {{ contact.first_name }}',
  });
  return renderEmail(compiled, scope, options(strict));
}

describe('template syntax fuzz', () => {
  it('compiles and renders spliced Liquid and MJML to an email or a BatonError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...TEMPLATES)
          .chain((t) => fc.record({ kind: fc.constant(t.kind), source: spliced(t.source) })),
        fc.oneof(liquid, fc.constant('Hello {{ contact.first_name }}')),
        fc.boolean(),
        async ({ kind, source }, subject, strict) => {
          const r = await batonOrValue(() => compileAndRender(kind, source, subject, strict));
          if (r.ok) {
            expect(typeof r.value.text).toBe('string');
            for (const link of r.value.links) expect(link).not.toMatch(/^javascript:/i);
          } else {
            expect(r.error.message).toMatch(/^(template|subject|preheader): /);
          }
        },
      ),
      runs(80),
    );
  });

  it('stops a template that would run away with time or memory, with a BatonError', async () => {
    await fc.assert(
      fc.asyncProperty(heavy, fc.constantFrom<TemplateKind>('liquid', 'text'), async (source, kind) => {
        const started = performance.now();
        const r = await batonOrValue(() => compileAndRender(kind, source, 'x', false));
        expect(performance.now() - started).toBeLessThan(5000);
        expect(r.ok).toBe(false);
      }),
      runs(6),
    );
  });
});

// The render preview over HTTP, on both dialects: a stored template with spliced Liquid and MJML, rendered
// by POST /templates/:id/render with fuzzed subjects, ids and bodies. Every answer is a 200 or a 4xx with a
// message, never a 500, and a preview writes nothing whatever it answers.
const PREVIEW_TABLES = ['touches', 'events', 'audit_log', 'templates', 'contacts'] as const;

describe.each(dialects)('template render over HTTP on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let ws: string;
  let admin: string;
  let contactId: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
    ws = await newWorkspace(store, T0);
    admin = await bearer(store, ws, ['admin']);
    contactId = (
      await new ContactsRepository(store).create(
        ws,
        { email: 'ada@example.com', first_name: 'Ada', attributes: { plan: 'pro', n: 3, list: [1, 2] } },
        T0,
      )
    ).id;
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('answers a spliced template and a fuzzed request with a 200 or a 4xx, and writes nothing', async () => {
    let rendered = 0;
    const template = fc.oneof(
      {
        weight: 12,
        // Stored templates hold no NUL or lone surrogate: neither the API nor `baton apply` accepts one.
        arbitrary: fc
          .constantFrom(...TEMPLATES)
          .chain((t) =>
            fc.record({ kind: fc.constant(t.kind), source: spliced(t.source).map(toStorableText) }),
          ),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant<TemplateKind>('liquid'), source: heavy }) },
    );
    const body = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          contact_id: fc.oneof(
            { weight: 6, arbitrary: fc.constant('__contact__') },
            { weight: 1, arbitrary: nasty },
          ),
          subject: fc.oneof(liquid, fc.constant('Hello {{ contact.first_name }}')),
          preheader: fc.option(liquid, { nil: undefined }),
          strict: fc.boolean(),
          campaign_id: fc.oneof(
            { weight: 6, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: nasty },
          ),
        }),
      },
      { weight: 1, arbitrary: mutated({ contact_id: '__contact__', subject: 'Hi', strict: false }) },
    );
    const id = fc.oneof(
      { weight: 6, arbitrary: fc.constant('__template__') },
      { weight: 1, arbitrary: nasty },
    );
    await fc.assert(
      fc.asyncProperty(template, body, id, async (t, payload, rawId) => {
        const templateId = `templates/fuzz.${t.kind === 'mjml' ? 'mjml' : 'liquid'}`;
        await new TemplatesRepository(store).upsert(
          ws,
          { id: templateId, kind: t.kind, source: t.source },
          T0,
        );
        const filled = JSON.parse(JSON.stringify(payload ?? null).replaceAll('__contact__', contactId));
        const before = await rowCounts(store, ws, PREVIEW_TABLES);
        const r = await app.inject({
          method: 'POST',
          url: `/api/v1/templates/${encodeURIComponent(rawId === '__template__' ? templateId : rawId)}/render`,
          headers: { authorization: admin, 'content-type': 'application/json' },
          payload: JSON.stringify(filled),
        });
        expectHandled(r, [200, 400, 404, 422]);
        expect(await rowCounts(store, ws, PREVIEW_TABLES)).toEqual(before);
        if (r.statusCode === 200) {
          rendered++;
          expect(typeof r.json().text).toBe('string');
          for (const link of r.json().links as string[]) expect(link).not.toMatch(/^javascript:/i);
        }
      }),
      runs(dialect === 'sqlite' ? 60 : 30),
    );
    expect(rendered).toBeGreaterThan(3);
  });
});
