import { describe, expect, it } from 'vitest';
import { addUtm, extractLinks } from './links.js';
import { compileEmail, renderEmail, type RenderOptions, type RenderScope } from './render.js';
import { signToken, verifyToken } from './tokens.js';

const MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text><h1>Hello {{ contact.first_name | default: "there" }}</h1>
  <p>Your plan at {{ account.name }}: <a href="https://example.com/pricing?plan={{ contact.plan }}&amp;x=1">see pricing</a></p>
  <p><a href="mailto:help@example.com">write to us</a> · <a href="{{ links.unsubscribe }}">unsubscribe</a></p></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

const scope = (contact: Record<string, unknown>): RenderScope => ({
  contact,
  account: { name: 'Acme' },
  campaign: { id: 'launch', name: 'Launch' },
  step: { id: 'intro', channel: 'email' },
  sender: { name: 'Ana at Baton', email: 'ana@mail.example.org', postal_address: '1 Main St, Springfield' },
});

const options: RenderOptions = {
  touchId: 'tch_1',
  secret: 's3cret',
  publicUrl: 'https://baton.example.org',
  tracking: { opens: true, clicks: true },
  utm: { source: 'baton', medium: 'email', campaign: 'launch' },
  unsubscribeUrl: 'https://baton.example.org/u/tok',
  marketing: true,
};

describe('tokens', () => {
  it('round-trips and refuses any change to payload or signature', () => {
    const t = signToken('k', { kind: 'click', touchId: 'tch_ABC', index: 3 });
    expect(verifyToken('k', t)).toEqual({ kind: 'click', touchId: 'tch_ABC', index: 3 });
    expect(verifyToken('k', t.replace('.3.', '.4.'))).toBeNull();
    expect(verifyToken('other', t)).toBeNull();
    expect(verifyToken('k', t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A'))).toBeNull();
    const u = signToken('k', { kind: 'unsubscribe', contactId: 'ct_2', touchId: null });
    expect(verifyToken('k', u)).toEqual({ kind: 'unsubscribe', contactId: 'ct_2', touchId: null });
    expect(verifyToken('k', 'garbage')).toBeNull();
  });
});

describe('links', () => {
  it('adds only the UTM parameters a link lacks, keeping query and fragment', () => {
    expect(addUtm('https://a.com/p?utm_source=x&q=1#top', { source: 'baton', medium: 'email' })).toBe(
      'https://a.com/p?utm_source=x&q=1&utm_medium=email#top',
    );
    expect(addUtm('https://a.com', { campaign: 'q1 launch' })).toBe('https://a.com?utm_campaign=q1%20launch');
    expect(addUtm('mailto:a@b.c', { source: 'x' })).toBe('mailto:a@b.c');
  });

  it('rewrites web links but not mailto, anchors or the unsubscribe link', () => {
    const r = extractLinks(
      '<a href="https://a.com">a</a><a href="#x">b</a><a href="mailto:x@y">c</a><a href="{{ links.unsubscribe }}">u</a>',
      (i) => `L${i}`,
    );
    expect(r.links).toEqual(['https://a.com']);
    expect(r.html).toContain('href="L0"');
    expect(r.html).toContain('href="{{ links.unsubscribe }}"');
  });
});

describe('render', () => {
  it('compiles MJML once and renders each contact with tracked links, pixel, footer and a text part', async () => {
    const compiled = await compileEmail({
      subject: '{{ contact.first_name | default: "Hi" }}, your plan',
      preheader: 'For {{ account.name }}',
      template: { kind: 'mjml', source: MJML },
    });
    const a = renderEmail(compiled, scope({ first_name: 'Ada', plan: 'pro' }), options);
    expect(a.subject).toBe('Ada, your plan');
    expect(a.links).toEqual([
      'https://example.com/pricing?plan=pro&x=1&utm_source=baton&utm_medium=email&utm_campaign=launch',
    ]);
    const click = /href="(https:\/\/baton\.example\.org\/t\/c\/[^"]+)"/.exec(a.html!)?.[1];
    expect(click).toBeDefined();
    expect(verifyToken('s3cret', click!.split('/t/c/')[1]!)).toEqual({
      kind: 'click',
      touchId: 'tch_1',
      index: 0,
    });
    expect(a.html).not.toContain('example.com/pricing');
    expect(a.html).toMatch(/\/t\/o\/o\.tch_1\.[^"]+\.gif/);
    expect(a.html).toContain('1 Main St, Springfield');
    expect(a.html).toContain('href="https://baton.example.org/u/tok"');
    expect(a.html).toContain('For Acme');
    expect(a.text).toContain('Hello Ada');
    expect(a.text).toContain('see pricing [https://baton.example.org/t/c/');
    expect(a.text).toContain('Unsubscribe: https://baton.example.org/u/tok');
    // The second contact reuses the compiled template; the default fills the missing name.
    const b = renderEmail(compiled, scope({ plan: 'free' }), options);
    expect(b.subject).toBe('Hi, your plan');
    expect(b.text).toContain('Hello there');
    expect(b.links[0]).toContain('plan=free');
  });

  it('escapes contact data in HTML, is lenient at send and strict when asked', async () => {
    const compiled = await compileEmail({
      subject: 'Hi {{ contact.nickname }}',
      template: { kind: 'html', source: '<html><body><p>Hi {{ contact.first_name }}</p></body></html>' },
    });
    const r = renderEmail(compiled, scope({ first_name: '<b>Bo</b>' }), { ...options, touchId: null });
    expect(r.html).toContain('Hi &lt;b&gt;Bo&lt;/b&gt;');
    expect(r.subject).toBe('Hi');
    expect(() => renderEmail(compiled, scope({ first_name: 'Bo' }), { ...options, strict: true })).toThrow(
      /nickname/,
    );
  });

  it('turns off tracking per campaign: direct links with UTM, no pixel', async () => {
    const compiled = await compileEmail({
      subject: 's',
      template: { kind: 'html', source: '<html><body><a href="https://a.com/x">x</a></body></html>' },
    });
    const r = renderEmail(compiled, scope({}), { ...options, tracking: { opens: false, clicks: false } });
    expect(r.html).toContain(
      'href="https://a.com/x?utm_source=baton&amp;utm_medium=email&amp;utm_campaign=launch"',
    );
    expect(r.html).not.toContain('/t/o/');
    expect(r.html).not.toContain('/t/c/');
  });

  it('sends a text-only body with its bare URLs tracked', async () => {
    const compiled = await compileEmail({
      subject: 's',
      body: 'Hi {{ contact.first_name }}, see https://a.com/{{ contact.id }} now',
    });
    const r = renderEmail(compiled, scope({ first_name: 'Al', id: 'c1' }), options);
    expect(r.html).toBeNull();
    expect(r.links).toEqual(['https://a.com/c1?utm_source=baton&utm_medium=email&utm_campaign=launch']);
    expect(r.text).toMatch(/^Hi Al, see https:\/\/baton\.example\.org\/t\/c\/c\.tch_1\.0\.\S+ now/);
  });
});
