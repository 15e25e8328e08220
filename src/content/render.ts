// Email rendering. `compileEmail` does the per-variant work once (MJML → HTML, link extraction, the
// plain-text part, Liquid parsing); `renderEmail` does the per-contact work (Liquid, tracking and UTM
// links, open pixel, footer). Liquid is lenient at send (a missing variable renders empty; `| default`
// fills it) and strict in lint and preview when asked (a missing variable is an error).
import { convert } from 'html-to-text';
import { Liquid, type Template } from 'liquidjs';
import mjml2html from 'mjml';
import { BatonError } from '../domain/errors.js';
import { addUtm, decodeHref, escapeHtml, extractLinks, extractTextLinks, type UtmDefaults } from './links.js';
import { signToken } from './tokens.js';

export type TemplateKind = 'mjml' | 'liquid' | 'text' | 'html';

export interface EmailParts {
  subject?: string;
  preheader?: string;
  template?: { kind: TemplateKind; source: string };
  /** A plain-text companion (`intro.txt` beside `intro.mjml`); generated from the HTML when absent. */
  text?: string;
  /** The step's inline body when it has no template. */
  body?: string;
}

export interface CompiledEmail {
  subject: Template[];
  preheader: Template[] | null;
  html: Template[] | null;
  text: Template[];
  /** Original hrefs in document order: a literal, or Liquid to render per contact. */
  links: Array<string | Template[]>;
}

export interface RenderScope {
  contact: Record<string, unknown>;
  account: Record<string, unknown> | null;
  campaign: { id: string; name: string };
  step: { id: string; channel: string };
  sender: { name: string | null; email: string; postal_address: string };
}

export interface RenderOptions {
  /** The touch the links and pixel point at; null in a preview (links go straight to their target). */
  touchId: string | null;
  secret: string;
  publicUrl: string;
  tracking: { opens: boolean; clicks: boolean };
  utm: UtmDefaults;
  unsubscribeUrl: string | null;
  marketing: boolean;
  strict?: boolean;
}

export interface RenderedEmail {
  subject: string;
  preheader: string | null;
  html: string | null;
  text: string;
  /** Each link's final target (UTM added), indexed like the tracking tokens. */
  links: string[];
}

// Output escaping is fixed at parse time, so HTML is parsed by its own engine. Strictness is a render option.
// Templates are written by workspace users and rendered by the worker for every contact: a template that
// loops over a huge range or doubles a string must fail its render, not stall the worker.
const LIMITS = {
  /** Characters parsed in one call (the largest compiled MJML email is far below). */
  parseLimit: 2_000_000,
  /** Milliseconds of one render. */
  renderLimit: 1000,
  /** liquidjs's count of allocated elements and characters in one render. */
  memoryLimit: 20_000_000,
};
const engines = {
  html: new Liquid({ strictFilters: true, outputEscape: 'escape', ownPropertyOnly: true, ...LIMITS }),
  text: new Liquid({ strictFilters: true, ownPropertyOnly: true, ...LIMITS }),
};

const LIQUID = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const looksLikeHtml = (s: string): boolean => /<(html|body|p|div|table|a|br|h[1-6]|span|img)\b/i.test(s);

function parse(source: string, field: string, engine: Liquid = engines.text): Template[] {
  try {
    return engine.parse(source);
  } catch (e) {
    throw BatonError.invalid([{ path: field, message: `does not parse as Liquid: ${firstLine(e)}` }]);
  }
}

/** The plain-text part from HTML that still holds Liquid: tags are shielded from the converter. */
export function htmlToTextTemplate(html: string): string {
  const saved: string[] = [];
  const shielded = html.replace(LIQUID, (m) => `lqdph${saved.push(m) - 1}x`);
  const text = convert(shielded, {
    wordwrap: false,
    selectors: [
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => ({ selector: h, options: { uppercase: false } })),
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  });
  return text.replace(/lqdph(\d+)x/g, (_, i: string) => saved[Number(i)] ?? '');
}

/** MJML → HTML (compile errors are a field error naming the template). */
export async function compileMjml(source: string): Promise<string> {
  try {
    const r = await mjml2html(source, { validationLevel: 'soft' });
    return r.html;
  } catch (e) {
    throw BatonError.invalid([{ path: 'template', message: `is not valid MJML: ${firstLine(e)}` }]);
  }
}

function insertBefore(html: string, closing: RegExp, what: string): string {
  let at = -1;
  for (const m of html.matchAll(closing)) at = m.index;
  return at === -1 ? html + what : html.slice(0, at) + what + html.slice(at);
}

function insertAfterBodyOpen(html: string, what: string): string {
  const m = /<body\b[^>]*>/i.exec(html);
  if (!m) return what + html;
  const at = m.index + m[0].length;
  return html.slice(0, at) + what + html.slice(at);
}

/** Once per template variant: everything that does not depend on the contact. */
export async function compileEmail(parts: EmailParts): Promise<CompiledEmail> {
  let html: string | null = null;
  let text: string | null = parts.text ?? null;
  const t = parts.template;
  if (t) {
    if (t.kind === 'mjml') html = await compileMjml(t.source);
    else if (t.kind === 'html' || (t.kind === 'liquid' && looksLikeHtml(t.source))) html = t.source;
    else text = text ?? t.source;
  } else if (parts.body !== undefined) {
    if (looksLikeHtml(parts.body)) html = parts.body;
    else text = text ?? parts.body;
  }
  if (html === null && text === null) {
    throw BatonError.invalid([{ path: 'template', message: 'an email step needs a template or a body' }]);
  }

  const links: string[] = [];
  const placeholder = (i: number): string => `{{ __baton.links[${i}] }}`;
  let htmlOut: Template[] | null = null;
  if (html !== null) {
    const extracted = extractLinks(html, placeholder);
    links.push(...extracted.links.map(decodeHref));
    let body = extracted.html;
    // The text part is generated before the footer, pixel and preview text go in.
    if (text === null) text = htmlToTextTemplate(body);
    if (parts.preheader !== undefined) {
      body = insertAfterBodyOpen(
        body,
        '<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">{{ __baton.preheader }}</div>',
      );
    }
    body = insertBefore(body, /<\/body>/gi, '{{ __baton.footer_html | raw }}{{ __baton.pixel | raw }}');
    htmlOut = parse(body, 'template', engines.html);
  } else {
    // Text-only email: bare URLs are the links.
    const extracted = extractTextLinks(text!, placeholder);
    links.push(...extracted.links);
    text = extracted.text;
  }
  const textOut = parse(`${text}{{ __baton.footer_text }}`, 'template');
  return {
    subject: parse(parts.subject ?? '', 'subject'),
    preheader: parts.preheader !== undefined ? parse(parts.preheader, 'preheader') : null,
    html: htmlOut,
    text: textOut,
    links: links.map((l) => (/\{\{|\{%/.test(l) ? parse(l, 'template') : l)),
  };
}

function footerHtml(scope: RenderScope, o: RenderOptions): string {
  const s = scope.sender;
  const who = escapeHtml(s.name ?? s.email);
  const address = escapeHtml(s.postal_address).replace(/\n/g, ', ');
  const unsub =
    o.marketing && o.unsubscribeUrl
      ? `<br><a href="${escapeHtml(o.unsubscribeUrl)}" style="color:#888888">Unsubscribe</a>`
      : '';
  return `<div style="font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:18px;color:#888888;text-align:center;padding:16px 8px">${who} · ${address}${unsub}</div>`;
}

function footerText(scope: RenderScope, o: RenderOptions): string {
  const s = scope.sender;
  const unsub = o.marketing && o.unsubscribeUrl ? `\nUnsubscribe: ${o.unsubscribeUrl}` : '';
  return `\n\n--\n${s.name ?? s.email} · ${s.postal_address.replace(/\n/g, ', ')}${unsub}\n`;
}

/** Per contact: Liquid, links (tracked or direct, with UTM), pixel and footer. */
export function renderEmail(c: CompiledEmail, scope: RenderScope, o: RenderOptions): RenderedEmail {
  const { html, text } = engines;
  const ro = { strictVariables: o.strict ?? false };
  const unsubscribe = o.unsubscribeUrl ?? '';
  const base: Record<string, unknown> = {
    ...scope,
    account: scope.account ?? {},
    links: { unsubscribe, preferences: unsubscribe },
  };
  try {
    const targets = c.links.map((l) =>
      addUtm(typeof l === 'string' ? l : decodeHref(text.renderSync(l, base, ro) as string), o.utm),
    );
    const tracked =
      o.touchId !== null && o.tracking.clicks
        ? targets.map(
            (_, i) =>
              `${o.publicUrl}/t/c/${signToken(o.secret, { kind: 'click', touchId: o.touchId!, index: i })}`,
          )
        : targets;
    const preheader = c.preheader ? (text.renderSync(c.preheader, base, ro) as string) : null;
    const pixel =
      o.touchId !== null && o.tracking.opens
        ? `<img src="${o.publicUrl}/t/o/${signToken(o.secret, { kind: 'open', touchId: o.touchId })}.gif" width="1" height="1" alt="" style="display:block;border:0;height:1px;width:1px">`
        : '';
    const scopeWith = {
      ...base,
      __baton: {
        links: tracked,
        preheader: preheader ?? '',
        pixel,
        footer_html: footerHtml(scope, o),
        footer_text: footerText(scope, o),
      },
    };
    return {
      subject: (text.renderSync(c.subject, base, ro) as string).replace(/\s+/g, ' ').trim(),
      preheader,
      html: c.html ? (html.renderSync(c.html, scopeWith, ro) as string) : null,
      text: text.renderSync(c.text, scopeWith, ro) as string,
      links: targets,
    };
  } catch (e) {
    throw BatonError.invalid([{ path: 'template', message: `does not render: ${firstLine(e)}` }]);
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
}
