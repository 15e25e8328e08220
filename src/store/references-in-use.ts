// Who still uses a list or a saved segment: campaigns that may yet enroll people and other saved segments.
// Deleting either while something uses it would leave that campaign or segment pointing at nothing, so the
// delete is refused (409) naming each user and the field where the reference is made.
import type { Kysely } from 'kysely';
import type { CampaignStatus } from '../domain/campaign.js';
import { BatonError } from '../domain/errors.js';
import { checkRule, referencesOf, type CheckedNode } from '../domain/segment.js';
import { CampaignsRepository } from './campaigns.repository.js';
import type { Database } from './schema.js';
import { fromJson } from './json.js';

/**
 * Campaigns whose references still matter: a draft or scheduled campaign resolves its audience at launch,
 * a running or paused one on every dynamic enrollment pass. Completed, reviewed and cancelled campaigns
 * never enroll again (src/domain/lifecycle.ts), so they do not hold a list or segment.
 */
export const STATUSES_HOLDING_REFERENCES: readonly CampaignStatus[] = [
  'draft',
  'scheduled',
  'running',
  'paused',
];

export interface Referenced {
  kind: 'list' | 'segment';
  id: string;
  name: string;
}

export interface ReferenceUser {
  type: 'campaign' | 'segment';
  id: string;
  name: string;
  /** The campaign's status (campaigns only). */
  status?: CampaignStatus;
  /** Where the reference is made, e.g. `audience.exclude.0.list` or `rule.any.1.segment`. */
  path: string;
}

type Ref = { kind: 'list' | 'segment'; ref: string; path: string };

function refsOf(rule: CheckedNode): Ref[] {
  const { lists, segments } = referencesOf(rule);
  return [
    ...lists.map((l) => ({ kind: 'list' as const, ...l })),
    ...segments.map((s) => ({ kind: 'segment' as const, ...s })),
  ];
}

function refsOfRule(raw: unknown, prefix: string): Ref[] {
  const { rule } = checkRule(raw, prefix);
  return rule ? refsOf(rule) : [];
}

/**
 * Every list and saved segment a campaign audience names directly, with its path: inline `segment` rules,
 * `segment_id`, each `exclude` entry ({ list } or { segment_id }) and the `accounts` target list. Lists a
 * named saved segment uses are that segment's references, found when the list's users are searched.
 */
export function audienceReferences(audience: unknown): Ref[] {
  if (typeof audience !== 'object' || audience === null) return [];
  const a = audience as Record<string, unknown>;
  const out: Ref[] = [];
  if (a.segment !== undefined) out.push(...refsOfRule(a.segment, 'audience.segment'));
  if (typeof a.segment_id === 'string')
    out.push({ kind: 'segment', ref: a.segment_id, path: 'audience.segment_id' });
  if (Array.isArray(a.exclude)) {
    a.exclude.forEach((raw: unknown, i) => {
      const node =
        typeof raw === 'object' && raw !== null && 'segment_id' in raw
          ? { segment: (raw as { segment_id: unknown }).segment_id }
          : raw;
      out.push(...refsOfRule(node, `audience.exclude.${i}`).map(fixSegmentIdPath(raw)));
    });
  }
  const accounts = a.accounts as { list?: unknown } | undefined;
  if (typeof accounts?.list === 'string')
    out.push({ kind: 'list', ref: accounts.list, path: 'audience.accounts.list' });
  return out;
}

/** `{ segment_id }` excludes are checked as `{ segment }` rules; report the field the spec really has. */
function fixSegmentIdPath(raw: unknown): (r: Ref) => Ref {
  const isSegmentId = typeof raw === 'object' && raw !== null && 'segment_id' in raw;
  return (r) => (isSegmentId ? { ...r, path: r.path.replace(/\.segment$/, '.segment_id') } : r);
}

/** How a reference may name its target: by id or name (a delete), or by name only (a rename). */
export type RefMatch = 'id_or_name' | 'name';

/**
 * Campaigns (of the statuses that hold references) and other saved segments that name `target`; with
 * `match: 'name'`, only those that name it by name (a rename would leave them pointing at nothing).
 */
export async function referenceUsers(
  store: { db: Kysely<Database> },
  workspaceId: string,
  target: Referenced,
  match: RefMatch = 'id_or_name',
): Promise<ReferenceUser[]> {
  const names = (r: Ref): boolean =>
    r.kind === target.kind &&
    (match === 'name'
      ? r.ref === target.name && r.ref !== target.id
      : r.ref === target.id || r.ref === target.name);
  const users: ReferenceUser[] = [];
  const campaigns = await new CampaignsRepository(store).list(workspaceId, {
    statuses: [...STATUSES_HOLDING_REFERENCES],
  });
  for (const c of campaigns) {
    const hit = audienceReferences(c.spec.audience).find(names);
    if (hit) users.push({ type: 'campaign', id: c.id, name: c.name, status: c.status, path: hit.path });
  }
  const segments = await store.db
    .selectFrom('segments')
    .select(['id', 'name', 'rule'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .execute();
  for (const s of segments) {
    if (target.kind === 'segment' && s.id === target.id) continue;
    const hit = refsOfRule(fromJson<unknown>(s.rule, {}), 'rule').find(names);
    if (hit) users.push({ type: 'segment', id: s.id, name: s.name, path: hit.path });
  }
  return users;
}

/**
 * Refuses to rename a saved segment that campaigns or other segments name by its name: the rename would
 * leave them pointing at nothing. References by id follow a rename and do not count.
 */
export async function assertRenamable(
  store: { db: Kysely<Database> },
  workspaceId: string,
  target: Referenced,
  newName: string,
): Promise<void> {
  const users = await referenceUsers(store, workspaceId, target, 'name');
  if (users.length === 0) return;
  const described = users.map(describe);
  throw new BatonError(
    'conflict',
    `segment ${JSON.stringify(target.name)} cannot be renamed to ${JSON.stringify(newName)}: ` +
      `${described.join(', ')} name it by its name; point them at its id (${target.id}) or the new name first. Nothing was changed.`,
    {
      issues: [{ path: 'name', message: `is how ${described.join(', ')} name this segment` }],
      usedBy: users,
    },
  );
}

function describe(u: ReferenceUser): string {
  return u.type === 'campaign'
    ? `${JSON.stringify(u.name)} (${u.status} campaign ${u.id}, at ${u.path})`
    : `${JSON.stringify(u.name)} (saved segment, at ${u.path})`;
}

/** Throws `conflict` naming every user of `target`; returns when nothing uses it. */
export async function assertUnused(
  store: { db: Kysely<Database> },
  workspaceId: string,
  target: Referenced,
): Promise<void> {
  const users = await referenceUsers(store, workspaceId, target);
  if (users.length === 0) return;
  const what = target.kind === 'list' ? 'list' : 'segment';
  const described = users.map(describe);
  throw new BatonError(
    'conflict',
    `${what} ${JSON.stringify(target.name)} cannot be deleted: it is used by ${described.join(', ')}; ` +
      `change those to stop using it (or end the campaigns) first. Nothing was deleted.`,
    {
      issues: [{ path: 'id', message: `is used by ${described.join(', ')}` }],
      usedBy: users,
    },
  );
}
