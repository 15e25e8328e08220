// /api/v1/lists (contact lists and target-account lists, members, CSV import of account domains) and
// /api/v1/suppressions (the workspace suppression list of emails and domains).
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { BatonError } from '../../domain/errors.js';
import { LIST_KINDS, ListsRepository, type List } from '../../store/lists.repository.js';
import {
  SUPPRESSION_REASONS,
  SuppressionsRepository,
  type Suppression,
} from '../../store/suppressions.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { PEOPLE_WIDE_ROLES, salesRepOwner } from '../ownership.js';
import type { RouteModule } from './index.js';
import { errors } from './segments.routes.js';

const iso = (ms: number): string => new Date(ms).toISOString();

const listResponse = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(LIST_KINDS).describe('contact: a static contact list; account: a target-account list (ABM)'),
  description: z.string().nullable(),
  member_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

function formatList(l: List): z.infer<typeof listResponse> {
  return {
    id: l.id,
    name: l.name,
    kind: l.kind,
    description: l.description,
    member_count: l.memberCount,
    created_at: iso(l.createdAt),
    updated_at: iso(l.updatedAt),
  };
}

const idParams = z.object({ id: z.string().min(1).describe('list id or name') });
const change = z.object({
  changed: z.number().int().describe('members added or removed by this call'),
  unknown: z.array(z.string()).describe('ids or domains that match nothing in the workspace'),
});
const MAX_IDS = 10_000;
/** Member ids an audit entry names; the count covers the rest. */
const AUDITED_IDS = 100;

const suppressionResponse = z.object({
  id: z.string(),
  kind: z.enum(['email', 'domain']),
  value: z.string(),
  reason: z.enum(SUPPRESSION_REASONS),
  note: z.string().nullable(),
  created_at: z.string(),
});

function formatSuppression(s: Suppression): z.infer<typeof suppressionResponse> {
  return {
    id: s.id,
    kind: s.kind,
    value: s.value,
    reason: s.reason,
    note: s.note,
    created_at: iso(s.createdAt),
  };
}

/**
 * What the trail keeps of a suppression: its kind and reason, and the value of a domain. An email address
 * stays out, since the trail cannot be erased when its owner asks to be.
 */
function suppressionDetails(s: Suppression): Record<string, unknown> {
  return { kind: s.kind, reason: s.reason, ...(s.kind === 'domain' ? { value: s.value } : {}) };
}

/** Domains from a CSV: the `domain` (or `website`, `url`) column when there is a header, else the first column. */
export function domainsFromCsv(text: string): string[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (e) {
    throw BatonError.invalid([{ path: 'csv', message: `is not valid CSV: ${(e as Error).message}` }]);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const col = header.findIndex((h) => h === 'domain' || h === 'website' || h === 'url');
  const body = col >= 0 ? rows.slice(1) : rows;
  return body.map((r) => r[Math.max(col, 0)] ?? '').filter((d) => d !== '');
}

export const listsRoutes: RouteModule = (app, ctx) => {
  const lists = new ListsRepository(ctx.store);
  const suppressions = new SuppressionsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  const write = { preValidation: requireScope('write') };
  const tags = ['lists'];

  app.get(
    '/lists',
    {
      ...read,
      schema: {
        tags,
        summary: 'List contact and target-account lists',
        response: { 200: z.object({ data: z.array(listResponse) }), ...errors },
      },
    },
    async (req) => ({ data: (await lists.list(workspaceOf(req))).map(formatList) }),
  );

  app.post(
    '/lists',
    {
      ...write,
      schema: {
        tags,
        summary: 'Create a list',
        body: z
          .object({
            name: z.string().trim().min(1).max(200),
            kind: z.enum(LIST_KINDS),
            description: z.string().max(2000).nullable().optional(),
          })
          .strict(),
        response: { 201: listResponse, ...errors },
      },
    },
    async (req, reply) => {
      const list = await lists.create(workspaceOf(req), req.body, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'list.create',
        target: { type: 'list', id: list.id },
        details: { name: list.name, kind: list.kind },
      });
      return reply.status(201).send(formatList(list));
    },
  );

  app.get(
    '/lists/:id',
    {
      ...read,
      schema: { tags, summary: 'Get a list', params: idParams, response: { 200: listResponse, ...errors } },
    },
    async (req) => formatList(await lists.get(workspaceOf(req), req.params.id)),
  );

  app.delete(
    '/lists/:id',
    {
      ...write,
      schema: {
        tags,
        summary:
          'Delete a list and its memberships, unless a live campaign or a segment uses it (409 names the users)',
        params: idParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const ws = workspaceOf(req);
      const list = await lists.get(ws, req.params.id);
      await lists.delete(ws, list.id);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'list.delete',
        target: { type: 'list', id: list.id },
        details: { name: list.name, kind: list.kind, members: list.memberCount },
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/lists/:id/members',
    {
      ...read,
      schema: {
        tags,
        summary:
          'Member ids (contacts or accounts) in id order, a page at a time (a sales rep: their accounts only)',
        params: idParams,
        querystring: z
          .object({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            after: z.string().optional(),
          })
          .strict(),
        response: { 200: z.object({ data: z.array(z.string()), next: z.string().optional() }), ...errors },
      },
    },
    async (req) => {
      const ownedBy = await salesRepOwner(ctx.store, req);
      const page = await lists.members(workspaceOf(req), req.params.id, {
        limit: req.query.limit,
        ...(req.query.after ? { after: req.query.after } : {}),
        ...(ownedBy ? { ownedBy } : {}),
      });
      return { data: page.ids, ...(page.next ? { next: page.next } : {}) };
    },
  );

  app.post(
    '/lists/:id/members',
    {
      ...write,
      schema: {
        tags,
        summary: 'Add members by id, or accounts by domain (target-account lists)',
        params: idParams,
        body: z
          .object({
            ids: z.array(z.string().min(1)).max(MAX_IDS).optional(),
            domains: z.array(z.string().min(1)).max(MAX_IDS).optional(),
          })
          .strict(),
        response: { 200: change, ...errors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const now = ctx.clock.now();
      const list = await lists.get(ws, req.params.id);
      const byId = await lists.addMembers(ws, list.id, req.body.ids ?? [], now);
      const byDomain = req.body.domains
        ? await lists.addDomains(ws, list.id, req.body.domains, now)
        : { changed: 0, unknown: [] };
      const changed = byId.changed + byDomain.changed;
      if (changed > 0) {
        await auditRequest(ctx.store, req, {
          at: now,
          action: 'list.members_add',
          target: { type: 'list', id: list.id },
          details: {
            added: changed,
            ids: (req.body.ids ?? []).slice(0, AUDITED_IDS),
            domains: (req.body.domains ?? []).slice(0, AUDITED_IDS),
          },
        });
      }
      return { changed, unknown: [...byId.unknown, ...byDomain.unknown] };
    },
  );

  app.delete(
    '/lists/:id/members',
    {
      ...write,
      schema: {
        tags,
        summary: 'Remove members by id',
        params: idParams,
        body: z.object({ ids: z.array(z.string().min(1)).min(1).max(MAX_IDS) }).strict(),
        response: { 200: change, ...errors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const list = await lists.get(ws, req.params.id);
      const r = await lists.removeMembers(ws, list.id, req.body.ids);
      if (r.changed > 0) {
        await auditRequest(ctx.store, req, {
          at: ctx.clock.now(),
          action: 'list.members_remove',
          target: { type: 'list', id: list.id },
          details: {
            removed: r.changed,
            requested: req.body.ids.length,
            ids: req.body.ids.slice(0, AUDITED_IDS),
          },
        });
      }
      return r;
    },
  );

  app.post(
    '/lists/:id/import',
    {
      ...write,
      schema: {
        tags,
        summary: 'Fill a target-account list from a CSV of account domains',
        description:
          'The CSV has a `domain` (or `website`, `url`) column, or a single column of domains without a header. ' +
          'Domains are matched to the workspace accounts; the ones that match no account are returned.',
        params: idParams,
        body: z.object({ csv: z.string().min(1).max(900_000) }).strict(),
        response: { 200: change, ...errors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      const domains = domainsFromCsv(req.body.csv);
      const list = await lists.get(ws, req.params.id);
      const r = await lists.addDomains(ws, list.id, domains, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'list.import',
        target: { type: 'list', id: list.id },
        details: { rows: domains.length, added: r.changed, unknown: r.unknown.length },
      });
      return r;
    },
  );

  const stags = ['suppressions'];
  app.get(
    '/suppressions',
    {
      // Addresses of anyone in the workspace: not a sales rep's to read.
      preValidation: requireScope('read', { roles: PEOPLE_WIDE_ROLES }),
      schema: {
        tags: stags,
        summary: 'The suppression list (emails and domains no email may reach), in value order',
        querystring: z
          .object({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            after: z.string().optional(),
          })
          .strict(),
        response: { 200: z.object({ data: z.array(suppressionResponse) }), ...errors },
      },
    },
    async (req) => ({
      data: (
        await suppressions.list(workspaceOf(req), {
          limit: req.query.limit,
          ...(req.query.after ? { after: req.query.after } : {}),
        })
      ).map(formatSuppression),
    }),
  );

  app.post(
    '/suppressions',
    {
      ...write,
      schema: {
        tags: stags,
        summary: 'Suppress an email address or a whole domain',
        body: z
          .object({
            value: z.string().min(1).max(254).describe('an email address or a domain'),
            reason: z.enum(SUPPRESSION_REASONS).default('manual'),
            note: z.string().max(2000).nullable().optional(),
          })
          .strict(),
        response: { 201: suppressionResponse, ...errors },
      },
    },
    async (req, reply) => {
      const s = await suppressions.add(workspaceOf(req), req.body, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'suppression.add',
        target: { type: 'suppression', id: s.id },
        details: suppressionDetails(s),
      });
      return reply.status(201).send(formatSuppression(s));
    },
  );

  app.delete(
    '/suppressions/:value',
    {
      ...write,
      schema: {
        tags: stags,
        summary: 'Lift a suppression',
        params: z.object({ value: z.string().min(1) }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const s = await suppressions.lift(workspaceOf(req), req.params.value);
      if (!s) throw BatonError.notFound('suppression', req.params.value);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'suppression.delete',
        target: { type: 'suppression', id: s.id },
        details: suppressionDetails(s),
      });
      return reply.status(204).send(null);
    },
  );
};
