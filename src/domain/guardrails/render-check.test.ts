import { describe, expect, it } from 'vitest';
import { campaignSchema } from '../campaign.js';
import {
  renderChecks,
  templateKindOf,
  templateRefs,
  type SampleContact,
  type TemplateSource,
} from './render-check.js';

const MJML_OK = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hi {{ contact.first_name | default: "there" }} from {{ account.name }}</mj-text>
  <mj-text><a href="{{ links.unsubscribe }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

const spec = campaignSchema.parse({
  id: 'c',
  name: 'C',
  objective: 'leads',
  channels: ['email'],
  sequence: [
    {
      id: 'intro',
      channel: 'email',
      variants: [
        { id: 'a', subject: '{{ contact.first_name }}, hello', template: 'a.mjml' },
        { id: 'b', subject: 'Hello', template: 'b.liquid' },
      ],
    },
    { id: 'next', channel: 'email', delay: '2d', template: 'missing.mjml' },
  ],
});

const samples: SampleContact[] = [
  { id: 'ct_1', contact: { first_name: 'Ada', email: 'ada@x.test' }, account: { name: 'Acme' } },
  { id: 'ct_2', contact: { first_name: null, email: 'bob@x.test' }, account: null },
];

describe('render checks', () => {
  it('lists the templates a campaign references and infers kinds from extensions', () => {
    expect(templateRefs(spec)).toEqual(['a.mjml', 'b.liquid', 'missing.mjml']);
    expect(templateKindOf('x/intro.mjml')).toBe('mjml');
    expect(templateKindOf('x/intro.txt')).toBe('text');
    expect(templateKindOf('x/intro.docx')).toBeUndefined();
  });

  it('renders MJML + Liquid for each sample and finds the unsubscribe link', async () => {
    const templates = new Map<string, TemplateSource>([
      ['a.mjml', { id: 'a.mjml', kind: 'mjml', source: MJML_OK }],
      ['b.liquid', { id: 'b.liquid', kind: 'liquid', source: 'Hi {{ contact.nickname }}' }],
    ]);
    const checks = await renderChecks(spec, templates, samples);
    const byPath = new Map(checks.map((c) => [c.path, c]));

    const a = byPath.get('sequence.0.variants.0.template')!;
    expect(a).toMatchObject({
      compileError: null,
      failures: [],
      missingVariables: [],
      hasUnsubscribeLink: true,
      sampled: 2,
    });

    // `contact.nickname` is on no sample contact, and there is no unsubscribe link.
    const b = byPath.get('sequence.0.variants.1.template')!;
    expect(b.missingVariables).toEqual(['contact.nickname']);
    expect(b.hasUnsubscribeLink).toBe(false);

    // One sample has a first name: the subject's variable is not "missing".
    expect(byPath.get('sequence.0.variants.0.subject')!.missingVariables).toEqual([]);
    expect(byPath.get('sequence.1.template')!.notFound).toBe(true);
  });

  it('reports Liquid syntax errors, unknown filters and invalid MJML as compile errors', async () => {
    const templates = new Map<string, TemplateSource>([
      [
        'a.mjml',
        { id: 'a.mjml', kind: 'mjml', source: '<mjml><mj-body><mj-text>x</mj-text></mj-body></mjml>' },
      ],
      ['b.liquid', { id: 'b.liquid', kind: 'liquid', source: 'Hi {{ contact.first_name | shout }}' }],
    ]);
    const checks = await renderChecks(spec, templates, samples);
    expect(checks.find((c) => c.ref === 'a.mjml')?.compileError).toMatch(/mj-text/);
    expect(checks.find((c) => c.ref === 'b.liquid')?.compileError).toMatch(/shout/);
  });

  it('reports a render failure for the sample contacts it fails on', async () => {
    const s = campaignSchema.parse({
      ...spec,
      sequence: [
        {
          id: 'one',
          channel: 'email',
          body: 'Event at {{ "2027-01-01T10:00:00Z" | date: "%H:%M", contact.time_zone }} {{ links.unsubscribe }}',
        },
      ],
    });
    const checks = await renderChecks(s, new Map(), [
      { id: 'ct_1', contact: { time_zone: 'Mars/Base' }, account: null },
      { id: 'ct_2', contact: { time_zone: 'Europe/Paris' }, account: null },
    ]);
    expect(checks[0]?.failures.map((f) => f.contactId)).toEqual(['ct_1']);
    expect(checks[0]?.hasUnsubscribeLink).toBe(true);
  });

  it('does not count a variable guarded by a default or an if as missing', async () => {
    const s = campaignSchema.parse({
      ...spec,
      sequence: [
        {
          id: 'one',
          channel: 'email',
          body: '{% if account.industry %}For {{ account.industry }}{% endif %} {{ contact.nickname | default: "you" }} {{ contact.shoe_size }} {{ links.unsubscribe }}',
        },
      ],
    });
    const checks = await renderChecks(s, new Map(), samples);
    expect(checks[0]?.missingVariables).toEqual(['contact.shoe_size']);
  });
});
