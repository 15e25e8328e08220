// Contact and account CSV imports over HTTP: POST /imports?kind= streams the text/csv body to a temporary
// file and starts the import in the background (202); GET /imports/:id answers its progress and result;
// GET /imports lists them, newest first. The import itself is the CLI's (src/store/import).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BatonError } from '../../domain/errors.js';
import { realClock } from '../../engine/clock.js';
import { newId } from '../../store/ids.js';
import { ImportsRepository, type ImportRecord } from '../../store/imports.repository.js';
import { auditActor, principalOf } from '../audit.js';
import { requireScope, workspaceOf } from '../auth.js';
import { liveImportIds, liveProgress, startImport } from '../import-jobs.js';
import type { RouteModule } from './index.js';
import {
  commonErrors,
  cursorQuery,
  errorResponse,
  idParams,
  isoTime,
  limitQuery,
  pageOf,
} from './resource-schemas.js';

/** The largest upload accepted unless the context says otherwise (BATON_IMPORT_MAX_BYTES). */
export const DEFAULT_IMPORT_MAX_BYTES = 200 * 1024 * 1024;

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.floor(bytes / (1024 * 1024))} MB`;
  if (bytes >= 1024) return `${Math.floor(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const importRecord = z.object({
  id: z.string(),
  kind: z.enum(['contacts', 'accounts']),
  status: z.enum(['running', 'done', 'failed']),
  skip_invalid: z.boolean(),
  bytes_read: z.number().int(),
  total_bytes: z.number().int(),
  rows: z.number().int().describe('data rows read so far'),
  result: z
    .object({
      committed: z.boolean().describe('false when invalid rows rolled the whole file back (no skip_invalid)'),
      rows: z.number().int(),
      inserted: z.number().int(),
      updated: z.number().int(),
      rejected: z.number().int(),
      linked_contacts: z.number().int().nullable(),
      rejected_rows: z
        .array(z.object({ line: z.number().int(), column: z.string(), reason: z.string() }))
        .describe('the first 100 problems, in file order, with the line where the row starts'),
      rejected_total: z.number().int().describe('every problem found (a row may have several)'),
      seconds: z.number(),
    })
    .nullable(),
  error: z.string().nullable(),
  created_at: isoTime,
  finished_at: isoTime.nullable(),
});

function toBody(r: ImportRecord): z.infer<typeof importRecord> {
  const live = r.status === 'running' ? liveProgress(r.id) : undefined;
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    skip_invalid: r.skip_invalid,
    bytes_read: live?.bytesRead ?? r.bytes_read,
    total_bytes: live?.totalBytes || r.total_bytes,
    rows: live?.rows ?? r.rows,
    result: r.result,
    error: r.error,
    created_at: new Date(r.created_at).toISOString(),
    finished_at: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  };
}

const startQuery = z
  .object({
    kind: z.enum(['contacts', 'accounts']).describe('what the file holds'),
    skip_invalid: z
      .enum(['true', 'false'])
      .default('false')
      .describe('import the valid rows and report the others, instead of importing nothing (the default)'),
  })
  .strict();

export const importsRoutes: RouteModule = (app, ctx) => {
  const repo = new ImportsRepository(ctx.store);
  const sweep = (ws: string): Promise<void> =>
    repo.failStale(ws, ctx.clock.now(), realClock.now(), liveImportIds());

  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // The body stays a stream: the handler writes it to a file, counting bytes against the limit.
    scope.addContentTypeParser('text/csv', (_req, _payload, done) => done(null, undefined));
    scope.post(
      '/imports',
      {
        preValidation: requireScope('write'),
        schema: {
          tags: ['imports'],
          summary:
            'Import contacts or accounts from a CSV body (text/csv, header row first); runs in the background',
          description:
            'The body is a CSV file as `baton import` reads it. Answers 202 with the import id at once; poll ' +
            'GET /imports/{id} for progress and the result. Larger than 200 MB: 413.',
          querystring: startQuery,
          response: {
            202: z.object({ id: z.string(), status: z.literal('running') }),
            ...commonErrors,
            415: errorResponse,
          },
        },
      },
      async (req, reply) => {
        const ws = workspaceOf(req);
        const limit = ctx.importMaxBytes ?? DEFAULT_IMPORT_MAX_BYTES;
        const declared = Number(req.headers['content-length']);
        const tooLarge = (): BatonError =>
          new BatonError(
            'payload_too_large',
            `the file is larger than ${sizeText(limit)}, the most an upload may hold; import it with \`baton import\``,
          );
        if (Number.isFinite(declared) && declared > limit) {
          req.raw.resume();
          throw tooLarge();
        }
        const dir = await mkdtemp(join(tmpdir(), 'baton-import-'));
        const file = join(dir, 'upload.csv');
        // Past the limit the rest of the body is read and dropped, so the client hears the 413 rather than a
        // reset connection; a body four times the limit is cut off.
        let bytes = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, next) {
            bytes += chunk.length;
            if (bytes > 4 * limit) next(tooLarge());
            else if (bytes > limit) next();
            else next(null, chunk);
          },
        });
        try {
          await pipeline(req.raw, counter, createWriteStream(file));
        } catch (e) {
          await rm(dir, { recursive: true, force: true });
          if (e instanceof BatonError) throw e;
          throw new BatonError('invalid_input', 'the upload was interrupted before the whole file arrived');
        }
        if (bytes > limit) {
          await rm(dir, { recursive: true, force: true });
          throw tooLarge();
        }
        const now = ctx.clock.now();
        const id = newId('imp', now);
        await repo.create({
          id,
          workspaceId: ws,
          kind: req.query.kind,
          skipInvalid: req.query.skip_invalid === 'true',
          totalBytes: bytes,
          createdBy: principalOf(req),
          now,
          wallNow: realClock.now(),
        });
        void startImport(ctx.store, ctx.clock, {
          id,
          workspaceId: ws,
          kind: req.query.kind,
          skipInvalid: req.query.skip_invalid === 'true',
          file,
          dir,
          bytes,
          actor: auditActor(req),
          ip: req.ip,
        });
        return reply.status(202).send({ id, status: 'running' as const });
      },
    );
  });

  app.get(
    '/imports/:id',
    {
      preValidation: requireScope('read'),
      schema: {
        tags: ['imports'],
        summary: 'An import: its progress while it runs, its counts and first rejected rows when done',
        params: idParams,
        response: { 200: importRecord, 404: errorResponse, ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      await sweep(ws);
      const r = await repo.get(ws, req.params.id);
      if (!r) throw BatonError.notFound('import', req.params.id);
      return toBody(r);
    },
  );

  app.get(
    '/imports',
    {
      preValidation: requireScope('read'),
      schema: {
        tags: ['imports'],
        summary: 'Imports started over the API, newest first',
        querystring: z.object({ limit: limitQuery, cursor: cursorQuery }).strict(),
        response: { 200: pageOf(importRecord), ...commonErrors },
      },
    },
    async (req) => {
      const ws = workspaceOf(req);
      await sweep(ws);
      const page = await repo.list(ws, {
        limit: req.query.limit,
        ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
      });
      return { data: page.data.map(toBody), next_cursor: page.next_cursor };
    },
  );
};
