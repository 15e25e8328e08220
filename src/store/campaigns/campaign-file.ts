// Campaign-as-code files: YAML with positions in every error, and the templates the file references by
// path relative to its folder. Reads files; writes nothing.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { CampaignSpec } from '../../domain/campaign.js';
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import { templateKindOf, type TemplateSource } from '../../domain/guardrails/render-check.js';
import { isStorableText, UNSTORABLE_TEXT, unstorableTextPath } from '../../domain/storable-text.js';
import { campaignIssues } from './validate-spec.js';

const MAX_ALIAS_COUNT = 100;

export interface CampaignFile {
  file: string;
  spec: CampaignSpec;
  templates: TemplateSource[];
}

export interface PositionedIssue extends FieldIssue {
  line?: number;
  column?: number;
}

/** Parses campaign YAML text; errors carry the line and column (1-based) of the offending node. */
export function parseCampaignYaml(text: string, file = 'campaign.yaml'): CampaignSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: PositionedIssue[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return {
        path: `${file}:${pos.line}:${pos.col}`,
        message: `malformed YAML: ${e.message.split('\n')[0]}`,
        line: pos.line,
        column: pos.col,
      };
    });
    throw BatonError.invalid(issues, `${issues[0]!.path}: ${issues[0]!.message}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml library refuses alias chains that expand without bound (a "billion laughs" file).
    if (!(e instanceof ReferenceError)) throw e;
    throw BatonError.invalid(
      [
        {
          path: file,
          message: `too many YAML aliases (*name): a file may expand at most ${MAX_ALIAS_COUNT} of them`,
        },
      ],
      `${file}: too many YAML aliases (*name): a file may expand at most ${MAX_ALIAS_COUNT} of them`,
    );
  }
  const { spec, issues } = campaignIssues(raw);
  if (!spec) throw positioned(issues, doc, lines, file);
  return spec;
}

function positioned(issues: FieldIssue[], doc: Document, lines: LineCounter, file: string): BatonError {
  const out: PositionedIssue[] = issues.map((i) => {
    const pos = positionOf(doc, lines, i.path);
    return pos ? { ...i, line: pos.line, column: pos.col } : { ...i };
  });
  const first = out[0]!;
  const where = first.line ? `${file}:${first.line}:${first.column}` : file;
  return BatonError.invalid(out, `${where}: ${first.path || '(root)'}: ${first.message}`);
}

/** Position of the deepest existing node on `path` (a missing key points at its parent). */
function positionOf(
  doc: Document,
  lines: LineCounter,
  path: string,
): { line: number; col: number } | undefined {
  const keys: Array<string | number> = path
    .split('.')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lines.linePos(range[0]);
  }
  return undefined;
}

/** Loads a campaign file and every template it references; nothing is written. */
export async function loadCampaignFile(path: string): Promise<CampaignFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw BatonError.invalid([{ path, message: 'the campaign file cannot be read (does it exist?)' }]);
  }
  const spec = parseCampaignYaml(text, path);
  const folder = dirname(resolve(path));
  const issues: FieldIssue[] = [];
  // A YAML "\0" escape or a NUL byte in a template would fail deep in the write on PostgreSQL.
  const unstorable = unstorableTextPath(spec);
  if (unstorable) issues.push({ path: unstorable, message: UNSTORABLE_TEXT });
  const templates = new Map<string, TemplateSource>();
  const refs: Array<{ ref: string; at: string }> = [];
  spec.sequence.forEach((s, i) => {
    if (s.template) refs.push({ ref: s.template, at: `sequence.${i}.template` });
    (s.variants ?? []).forEach((v, j) => {
      if (v.template) refs.push({ ref: v.template, at: `sequence.${i}.variants.${j}.template` });
    });
  });
  for (const { ref, at } of refs) {
    if (templates.has(ref)) continue;
    const full = resolve(folder, ref);
    const rel = relative(folder, full);
    if (isAbsolute(ref) || rel.startsWith('..') || rel === '') {
      issues.push({
        path: at,
        message: `${JSON.stringify(ref)} must be a path inside the campaign file's folder`,
      });
      continue;
    }
    const id = rel.split(sep).join(posix.sep);
    if (id !== ref) {
      issues.push({ path: at, message: `write the template path as ${JSON.stringify(id)}` });
      continue;
    }
    const kind = templateKindOf(ref);
    if (!kind) {
      issues.push({
        path: at,
        message: `${JSON.stringify(ref)} is not a template: use .mjml, .liquid, .html or .txt`,
      });
      continue;
    }
    let source: string;
    try {
      source = await readFile(full, 'utf8');
    } catch {
      issues.push({
        path: at,
        message: `template file ${JSON.stringify(ref)} was not found next to ${path}`,
      });
      continue;
    }
    if (!isStorableText(source)) {
      issues.push({ path: at, message: `template file ${JSON.stringify(ref)} ${UNSTORABLE_TEXT}` });
      continue;
    }
    templates.set(ref, { id: ref, kind, source });
  }
  if (issues.length > 0)
    throw BatonError.invalid(issues, `${path}: ${issues[0]!.path}: ${issues[0]!.message}`);
  return { file: path, spec, templates: [...templates.values()] };
}
