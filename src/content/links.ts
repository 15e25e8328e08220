// Links in email HTML: which hrefs get click tracking, and UTM parameters added from the campaign's
// defaults unless the link already carries them.

export interface UtmDefaults {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
}

const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'] as const;

/** Adds the missing `utm_*` parameters to an http(s) link, leaving everything else as written. */
export function addUtm(href: string, utm: UtmDefaults): string {
  if (!/^https?:\/\//i.test(href)) return href;
  const hashAt = href.indexOf('#');
  const base = hashAt === -1 ? href : href.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : href.slice(hashAt);
  const queryAt = base.indexOf('?');
  const present = new URLSearchParams(queryAt === -1 ? '' : base.slice(queryAt + 1));
  const add: string[] = [];
  for (const k of UTM_KEYS) {
    const v = utm[k];
    if (v !== undefined && v !== '' && !present.has(`utm_${k}`)) {
      add.push(`utm_${k}=${encodeURIComponent(v)}`);
    }
  }
  if (add.length === 0) return href;
  const sep = queryAt === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${add.join('&')}${hash}`;
}

/** Whether a link is one Baton rewrites for click tracking (web links, not mailto/tel/anchors/unsubscribe). */
export function isTrackable(href: string): boolean {
  const h = href.trim();
  if (h === '' || h.startsWith('#')) return false;
  if (/^(mailto|tel|sms|data|javascript):/i.test(h)) return false;
  if (/links\.(unsubscribe|preferences)/.test(h)) return false;
  return /^https?:\/\//i.test(h) || /^\{\{|^\{%/.test(h);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

/** Decodes the few entities that appear in href attributes (`&amp;` above all). */
export function decodeHref(href: string): string {
  return href.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_, e: string) => ENTITIES[e] ?? _).trim();
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Replaces each trackable `<a href>` by `replacement(i)` and returns the original hrefs (still holding
 * any Liquid) in document order.
 */
export function extractLinks(
  html: string,
  replacement: (i: number) => string,
): { html: string; links: string[] } {
  const links: string[] = [];
  const out = html.replace(
    /(<a\b[^>]*?\bhref\s*=\s*)(["'])([\s\S]*?)\2/gi,
    (whole, head: string, quote: string, href: string) => {
      if (!isTrackable(href)) return whole;
      const i = links.length;
      links.push(href);
      return `${head}${quote}${replacement(i)}${quote}`;
    },
  );
  return { html: out, links };
}

/** Bare http(s) URLs in plain text (for text-only templates). */
export function extractTextLinks(
  text: string,
  replacement: (i: number) => string,
): { text: string; links: string[] } {
  const links: string[] = [];
  // A URL may hold Liquid (`https://x.com/{{ contact.id }}`): its braces and spaces belong to it.
  const out = text.replace(/https?:\/\/(?:\{\{[^}]*\}\}|\{%[^%]*%\}|[^\s<>"')\]{])+/gi, (url) => {
    const i = links.length;
    links.push(url);
    return replacement(i);
  });
  return { text: out, links };
}
