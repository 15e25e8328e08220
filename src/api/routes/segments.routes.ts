// /api/v1/segments: saved segments (CRUD, referenced by id or name) and the audience preview.
import { z } from 'zod';
import { OPERATORS } from '../../domain/segment.js';
import {
  REACH_CHANNELS,
  REMOVAL_REASONS,
  audienceSpecSchema,
  previewAudience,
} from '../../store/audience.js';
import { SegmentsRepository, type SavedSegment } from '../../store/segments.repository.js';
import { auditRequest } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { PEOPLE_WIDE_ROLES } from '../ownership.js';
import type { RouteModule } from './index.js';

export const apiError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export const errors = { 401: apiError, 403: apiError, 404: apiError, 409: apiError, 422: apiError };

const RULE_HELP =
  'A rule tree: { all: [...] }, { any: [...] }, { not: {...} }, { attribute, op, value } with op one of ' +
  `${OPERATORS.join(', ')}, { event, did?, count_gte?, count_lte?, within_days? | between?, where? }, ` +
  '{ list }, { segment }. See docs/architecture.md#audiences.';

const ruleSchema = z.unknown().describe(RULE_HELP);
const iso = (ms: number): string => new Date(ms).toISOString();

const segmentResponse = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  rule: z.unknown(),
  created_at: z.string(),
  updated_at: z.string(),
});

function format(s: SavedSegment): z.infer<typeof segmentResponse> {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    rule: s.rule,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

const segmentBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    description: z.string().max(2000).nullable().optional(),
    rule: ruleSchema,
  })
  .strict();

const idParams = z.object({ id: z.string().min(1).describe('segment id or name') });

const previewBody = audienceSpecSchema
  .extend({
    channel: z
      .enum(REACH_CHANNELS)
      .default('email')
      .describe(
        'reachability to apply: email (email, subscribed, not suppressed), sms (phone + consent) or none',
      ),
    sample_size: z.number().int().min(0).max(100).default(20),
  })
  .strict();

const count = z.number().int();
const previewResponse = z.object({
  channel: z.enum(REACH_CHANNELS),
  count: count.describe('contacts in the audience after every removal'),
  matched: count.describe('contacts the segment matched before removals'),
  removed: z.array(z.object({ reason: z.enum(REMOVAL_REASONS), count })),
  reachable: count.describe('contacts reachable on the channel in the whole workspace'),
  share: z.number().describe('count / reachable: the basis of the "audience too broad" guardrail'),
  by_lifecycle_stage: z.array(z.object({ stage: z.string().nullable(), count })),
  accounts: z.object({
    reached: count,
    without_account: count,
    top: z.array(
      z.object({ account_id: z.string(), name: z.string().nullable(), domain: z.string().nullable(), count }),
    ),
    target: z.object({ total: count, reached: count }).optional(),
  }),
  sample: z.array(
    z.object({
      id: z.string(),
      email: z.string().nullable(),
      first_name: z.string().nullable(),
      last_name: z.string().nullable(),
      lifecycle_stage: z.string().nullable(),
      account_id: z.string().nullable(),
    }),
  ),
});

const tags = ['segments'];

export const segmentsRoutes: RouteModule = (app, ctx) => {
  const segments = new SegmentsRepository(ctx.store);
  const read = { preValidation: requireScope('read') };
  const write = { preValidation: requireScope('write') };

  app.post(
    '/segments/preview',
    {
      // Its sample and top accounts name people across the workspace: planning, not a sales rep's.
      preValidation: requireScope('read', { roles: PEOPLE_WIDE_ROLES }),
      schema: {
        tags,
        summary: 'Size and shape of an audience before launch: counts, breakdowns, a sample, removal reasons',
        body: previewBody,
        response: { 200: previewResponse, ...errors },
      },
    },
    async (req) => {
      const { channel, sample_size, ...spec } = req.body;
      return previewAudience(ctx.store, workspaceOf(req), spec, {
        now: ctx.clock.now(),
        channel,
        sampleSize: sample_size,
      });
    },
  );

  app.get(
    '/segments',
    {
      ...read,
      schema: {
        tags,
        summary: 'List saved segments',
        response: { 200: z.object({ data: z.array(segmentResponse) }), ...errors },
      },
    },
    async (req) => ({ data: (await segments.list(workspaceOf(req))).map(format) }),
  );

  app.post(
    '/segments',
    {
      ...write,
      schema: {
        tags,
        summary: 'Save a segment',
        body: segmentBody,
        response: { 201: segmentResponse, ...errors },
      },
    },
    async (req, reply) => {
      const saved = await segments.create(workspaceOf(req), req.body, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'segment.create',
        target: { type: 'segment', id: saved.id },
        details: { name: saved.name },
      });
      return reply.status(201).send(format(saved));
    },
  );

  app.get(
    '/segments/:id',
    {
      ...read,
      schema: {
        tags,
        summary: 'Get a saved segment',
        params: idParams,
        response: { 200: segmentResponse, ...errors },
      },
    },
    async (req) => format(await segments.get(workspaceOf(req), req.params.id)),
  );

  app.patch(
    '/segments/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Change a saved segment (its name, description or rule)',
        params: idParams,
        body: segmentBody.partial(),
        response: { 200: segmentResponse, ...errors },
      },
    },
    async (req) => {
      const saved = await segments.update(workspaceOf(req), req.params.id, req.body, ctx.clock.now());
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'segment.update',
        target: { type: 'segment', id: saved.id },
        details: { name: saved.name, changed: Object.keys(req.body).sort() },
      });
      return format(saved);
    },
  );

  app.delete(
    '/segments/:id',
    {
      ...write,
      schema: {
        tags,
        summary: 'Delete a saved segment no live campaign or other segment uses (409 names the users)',
        params: idParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const ws = workspaceOf(req);
      const segment = await segments.get(ws, req.params.id);
      await segments.delete(ws, segment.id);
      await auditRequest(ctx.store, req, {
        at: ctx.clock.now(),
        action: 'segment.delete',
        target: { type: 'segment', id: segment.id },
        details: { name: segment.name },
      });
      return reply.status(204).send(null);
    },
  );
};
