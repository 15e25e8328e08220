// Fuzzing template syntax: Liquid fragments and MJML markup spliced into the example templates and into
// subjects, compiled and rendered for a contact as the dispatcher and the preview do. Compiling and
// rendering return an email or a BatonError naming the field, and a template cannot make one render run
// away with time or memory.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileEmail,
  renderEmail,
  type RenderOptions,
  type RenderScope,
  type TemplateKind,
} from '../../src/content/render.js';
import { batonOrValue, garbled, nasty, runs } from './fuzz-support.js';

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
