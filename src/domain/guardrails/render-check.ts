// Renders every piece of campaign content for sample contacts so the guardrails can judge it: MJML compiled
// once per template, Liquid rendered per contact. Pure apart from the renderers; no I/O, no clock.
// (Rendering proper lives in src/content once the email module lands; this is the lint's own check.)
import { Liquid, type Template as LiquidTemplate } from 'liquidjs';
import mjml2html from 'mjml';
import type { CampaignSpec } from '../campaign.js';
import type { RenderCheck } from './types.js';

export const TEMPLATE_KINDS = ['mjml', 'liquid', 'text', 'html'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export interface TemplateSource {
  id: string;
  kind: TemplateKind;
  source: string;
}

export interface SampleContact {
  id: string;
  /** Contact fields with `attributes` (also spread at the top level). */
  contact: Record<string, unknown>;
  account: Record<string, unknown> | null;
}

/** The link the lint puts in `links.unsubscribe`; found in the output means the template carries it. */
export const UNSUBSCRIBE_PROBE = 'https://baton.invalid/u/lint-probe';

/** Which template kind a file name implies, or undefined. */
export function templateKindOf(path: string): TemplateKind | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext === 'mjml') return 'mjml';
  if (ext === 'liquid') return 'liquid';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'txt' || ext === 'text' || ext === 'md') return 'text';
  return undefined;
}

/** Template ids a spec references (step and variant `template` fields), in order, without repeats. */
export function templateRefs(spec: CampaignSpec): string[] {
  const refs = spec.sequence.flatMap((s) => [
    ...(s.template ? [s.template] : []),
    ...(s.variants ?? []).flatMap((v) => (v.template ? [v.template] : [])),
  ]);
  return [...new Set(refs)];
}

const liquid = new Liquid({ strictFilters: true });

interface Piece {
  path: string;
  stepIndex: number;
  field: RenderCheck['field'];
  ref: string;
  kind: TemplateKind;
  source: string | null;
}

function pieces(spec: CampaignSpec, templates: ReadonlyMap<string, TemplateSource>): Piece[] {
  const out: Piece[] = [];
  spec.sequence.forEach((step, i) => {
    const holders: Array<{ at: string; h: { subject?: string; template?: string; body?: string } }> = [
      { at: `sequence.${i}`, h: step },
      ...(step.variants ?? []).map((v, j) => ({ at: `sequence.${i}.variants.${j}`, h: v })),
    ];
    for (const { at, h } of holders) {
      if (h.subject !== undefined) {
        out.push({
          path: `${at}.subject`,
          stepIndex: i,
          field: 'subject',
          ref: 'inline',
          kind: 'text',
          source: h.subject,
        });
      }
      if (h.template !== undefined) {
        const t = templates.get(h.template);
        out.push({
          path: `${at}.template`,
          stepIndex: i,
          field: 'template',
          ref: h.template,
          kind: t?.kind ?? 'text',
          source: t?.source ?? null,
        });
      }
      if (h.body !== undefined) {
        out.push({
          path: `${at}.body`,
          stepIndex: i,
          field: 'body',
          ref: 'inline',
          kind: 'liquid',
          source: h.body,
        });
      }
    }
  });
  return out;
}

function valueAt(root: Record<string, unknown>, segments: ReadonlyArray<string | number>): unknown {
  let v: unknown = root;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return v;
}

/** The variable has a fallback: a `default` filter, or it is tested by an `if`/`unless` before use. */
function guarded(text: string, name: string): boolean {
  const n = escapeRegExp(name);
  return (
    new RegExp(`${n}\\s*\\|\\s*default\\b`).test(text) ||
    new RegExp(`\\{%-?\\s*(if|elsif|unless)\\b[^%]*\\b${n}\\b`).test(text)
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Renders each piece of content for each sample contact. */
export async function renderChecks(
  spec: CampaignSpec,
  templates: ReadonlyMap<string, TemplateSource>,
  samples: SampleContact[],
): Promise<RenderCheck[]> {
  const compiled = new Map<string, Promise<{ html: string } | { error: string }>>();
  const out: RenderCheck[] = [];
  for (const p of pieces(spec, templates)) {
    const check: RenderCheck = {
      path: p.path,
      stepIndex: p.stepIndex,
      ref: p.ref,
      field: p.field,
      notFound: p.source === null,
      compileError: null,
      failures: [],
      missingVariables: [],
      hasUnsubscribeLink: false,
      sampled: 0,
    };
    out.push(check);
    if (p.source === null) continue;

    let text = p.source;
    if (p.kind === 'mjml') {
      const key = p.ref;
      if (!compiled.has(key)) compiled.set(key, compileMjml(p.source));
      const result = await compiled.get(key)!;
      if ('error' in result) {
        check.compileError = result.error;
        continue;
      }
      text = result.html;
    }
    let parsed: LiquidTemplate[];
    try {
      parsed = liquid.parse(text);
    } catch (e) {
      check.compileError = firstLine(e);
      continue;
    }

    // Variables no sample contact has: static analysis of the template, then a look into each sample.
    const used = liquid.globalVariableSegmentsSync(parsed);
    const missing = new Set<string>();
    for (const raw of used) {
      // Nested segments (`contact[account.key]`) are dynamic lookups: keep the static prefix.
      const cut = raw.findIndex((s) => typeof s !== 'string' && typeof s !== 'number');
      const segs = (cut === -1 ? raw : raw.slice(0, cut)) as Array<string | number>;
      const root = segs[0];
      if (root !== 'contact' && root !== 'account') continue;
      const name = segs.join('.');
      if (guarded(text, name)) continue;
      if (samples.length && !samples.some((s) => present(valueAt(context(spec, p, s), segs))))
        missing.add(name);
    }
    check.missingVariables = [...missing];

    for (const s of samples) {
      check.sampled++;
      try {
        const rendered = liquid.renderSync(parsed, context(spec, p, s)) as string;
        if (rendered.includes(UNSUBSCRIBE_PROBE)) check.hasUnsubscribeLink = true;
      } catch (e) {
        check.failures.push({ contactId: s.id, message: firstLine(e) });
      }
    }
    if (samples.length === 0) {
      // Nobody to render for: still look for the link in the source.
      check.hasUnsubscribeLink = /links\.unsubscribe/.test(text);
    }
  }
  return out;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function context(spec: CampaignSpec, p: Piece, s: SampleContact): Record<string, unknown> {
  const step = spec.sequence[p.stepIndex];
  return {
    contact: s.contact,
    account: s.account ?? {},
    campaign: { id: spec.id, name: spec.name },
    step: { id: step?.id, channel: step?.channel },
    sender: {},
    links: { unsubscribe: UNSUBSCRIBE_PROBE, preferences: UNSUBSCRIBE_PROBE },
  };
}

async function compileMjml(source: string): Promise<{ html: string } | { error: string }> {
  try {
    const r = await mjml2html(source, { validationLevel: 'strict' });
    return { html: r.html };
  } catch (e) {
    return {
      error: firstLine(e)
        .replace(/^ValidationError:\s*/, '')
        .replace(/ of \/\S+ /g, ' '),
    };
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (
    msg
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ')
      .slice(0, 300) || 'unknown error'
  );
}
