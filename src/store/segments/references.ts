// Loads what a rule refers to (saved segments, transitively, and lists) and checks that every
// reference exists and that no segment contains itself, before anything is compiled or saved.
import { BatonError, type FieldIssue } from '../../domain/errors.js';
import {
  checkRule,
  checkSegmentReferences,
  referencesOf,
  type CheckedNode,
  type KnownSegment,
} from '../../domain/segment.js';
import type { Store } from '../db.js';
import { fromJson } from '../json.js';
import type { ResolvedList } from './compile.js';

export interface References {
  lists: Map<string, ResolvedList & { name: string }>;
  segments: Map<string, CheckedNode>;
}

/** Resolves every reference of `rules` (checked trees); throws `invalid_input` naming each bad one. */
export async function resolveReferences(
  store: Store,
  workspaceId: string,
  rule: CheckedNode | CheckedNode[],
  self?: { id?: string; name: string },
): Promise<References> {
  const roots = Array.isArray(rule) ? rule : [rule];
  const issues: FieldIssue[] = [];
  const known = new Map<string, KnownSegment>();
  const missing = new Set<string>();
  // Breadth-first over saved segments: each round loads the references the previous round found.
  let pending = new Set(roots.flatMap((r) => referencesOf(r).segments.map((s) => s.ref)));
  while (pending.size > 0) {
    const refs = [...pending].filter((r) => !known.has(r) && !missing.has(r));
    pending = new Set();
    if (refs.length === 0) break;
    const rows = await store.db
      .selectFrom('segments')
      .select(['id', 'name', 'rule'])
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', 'in', refs), eb('name', 'in', refs)]))
      .execute();
    for (const ref of refs) {
      const row = rows.find((r) => r.id === ref) ?? rows.find((r) => r.name === ref);
      if (!row) {
        missing.add(ref);
        continue;
      }
      const checked = checkRule(fromJson<unknown>(row.rule, {}));
      if (!checked.rule) {
        issues.push({
          path: '',
          message: `saved segment ${JSON.stringify(row.name)} no longer validates: ${checked.issues[0]?.message ?? ''}`,
        });
        missing.add(ref);
        continue;
      }
      known.set(ref, { id: row.id, name: row.name, rule: checked.rule });
      for (const s of referencesOf(checked.rule).segments) pending.add(s.ref);
    }
  }
  for (const root of roots) issues.push(...checkSegmentReferences(root, (ref) => known.get(ref), self));

  // Lists, from the roots (reported at their own path) and from every nested segment.
  const listRefs = new Map<string, string>();
  for (const root of roots) for (const l of referencesOf(root).lists) listRefs.set(l.ref, l.path);
  for (const [ref, seg] of known) {
    const where = roots.flatMap((r) => referencesOf(r).segments).find((s) => s.ref === ref)?.path ?? '';
    for (const l of referencesOf(seg.rule).lists) if (!listRefs.has(l.ref)) listRefs.set(l.ref, where);
  }
  const lists = new Map<string, ResolvedList & { name: string }>();
  if (listRefs.size > 0) {
    const refs = [...listRefs.keys()];
    const rows = await store.db
      .selectFrom('lists')
      .select(['id', 'name', 'kind'])
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', 'in', refs), eb('name', 'in', refs)]))
      .execute();
    for (const [ref, path] of listRefs) {
      const row = rows.find((r) => r.id === ref) ?? rows.find((r) => r.name === ref);
      if (row)
        lists.set(ref, { id: row.id, name: row.name, kind: row.kind === 'account' ? 'account' : 'contact' });
      else
        issues.push({
          path,
          message: `no list has the id or name ${JSON.stringify(ref)}; create it first or fix the reference`,
        });
    }
  }
  if (issues.length > 0) throw BatonError.invalid(issues);
  const segments = new Map<string, CheckedNode>();
  for (const [ref, seg] of known) segments.set(ref, seg.rule);
  return { lists, segments };
}
