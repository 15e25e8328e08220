// Segment-compatible ingestion: /v1/track, /identify, /page, /screen, /group, /alias and /batch with the
// write key as the basic-auth user (or `writeKey` in the body), gzip bodies, Segment's size limits, and a
// batch that stores its valid messages and reports each invalid one by index.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysRepository, type ApiKeyRecord } from '../../store/api-keys.repository.js';
import {
  ingestMessages,
  MAX_CALL_BYTES,
  MAX_MESSAGE_BYTES,
  parseMessage,
  type MessageType,
  type TrackingMessage,
} from '../../store/ingest.js';
import type { AppContext } from '../context.js';
import { errorBody, handleError } from '../errors.js';
import type { RouteModule } from './index.js';

const gunzipAsync = promisify(gunzip);

/** Verified write keys are remembered this long, so a busy source costs one key lookup per interval. */
const KEY_CACHE_MS = 10_000;

class IngestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const SINGLE: MessageType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

export const ingestRoutes: RouteModule = (app, ctx) => {
  const keys = writeKeys(ctx);
  void app.register(async (v1) => {
    // The body arrives raw so that gzip, the 500 KB limit and malformed JSON get Segment's answers.
    v1.removeAllContentTypeParsers();
    v1.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_CALL_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    v1.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof IngestError) {
        return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
      }
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply
          .status(413)
          .send(errorBody('payload_too_large', `a call carries at most ${MAX_CALL_BYTES / 1024} KB`));
      }
      return handleError(err, req, reply);
    });

    const handle = (type: MessageType | 'batch') => async (req: FastifyRequest, reply: FastifyReply) => {
      const receivedAt = ctx.clock.now();
      const { body, bytes } = await readBody(req);
      const key = await keys(req, body);
      const messages: TrackingMessage[] = [];
      const errors: Array<{ index: number; message: string }> = [];
      const callSentAt = typeof body.sentAt === 'string' ? Date.parse(body.sentAt) : undefined;
      const sentAt = Number.isFinite(callSentAt) ? callSentAt : undefined;
      if (type === 'batch') {
        if (!Array.isArray(body.batch)) throw new IngestError(400, 'bad_request', 'batch: must be an array');
        // A message can only exceed 32 KB when the whole call does.
        const measure = bytes > MAX_MESSAGE_BYTES;
        body.batch.forEach((raw: unknown, index: number) => {
          if (measure && Buffer.byteLength(JSON.stringify(raw)) > MAX_MESSAGE_BYTES) {
            errors.push({ index, message: `is larger than ${MAX_MESSAGE_BYTES / 1024} KB` });
            return;
          }
          const r = parseMessage(raw, undefined, receivedAt, sentAt);
          if (r.ok) messages.push(r.message);
          else errors.push({ index, message: r.error });
        });
        if (messages.length === 0 && errors.length > 0) {
          throw new IngestError(400, 'bad_request', `batch.${errors[0]!.index}: ${errors[0]!.message}`, {
            errors,
          });
        }
      } else {
        if (bytes > MAX_MESSAGE_BYTES) {
          throw new IngestError(
            413,
            'payload_too_large',
            `a message carries at most ${MAX_MESSAGE_BYTES / 1024} KB`,
          );
        }
        const r = parseMessage(body, type, receivedAt, undefined);
        if (!r.ok) throw new IngestError(400, 'bad_request', r.error);
        messages.push(r.message);
      }
      const result = await ingestMessages(ctx.store, key.workspaceId, messages, receivedAt);
      return reply.status(200).send({ success: true, ...result, ...(errors.length > 0 ? { errors } : {}) });
    };

    for (const type of SINGLE) v1.post(`/v1/${type}`, { schema: { hide: true } }, handle(type));
    v1.post('/v1/batch', { schema: { hide: true } }, handle('batch'));
    v1.post('/v1/import', { schema: { hide: true } }, handle('batch'));
  });
};

async function readBody(req: FastifyRequest): Promise<{ body: Record<string, unknown>; bytes: number }> {
  let raw = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip') {
    try {
      raw = await gunzipAsync(raw, { maxOutputLength: MAX_CALL_BYTES + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || raw.length > MAX_CALL_BYTES) {
        throw new IngestError(413, 'payload_too_large', `a call carries at most ${MAX_CALL_BYTES / 1024} KB`);
      }
      throw new IngestError(400, 'bad_request', 'the body is not valid gzip');
    }
    if (raw.length > MAX_CALL_BYTES) {
      throw new IngestError(413, 'payload_too_large', `a call carries at most ${MAX_CALL_BYTES / 1024} KB`);
    }
  } else if (encoding !== 'identity') {
    throw new IngestError(
      415,
      'unsupported_media_type',
      `Content-Encoding ${encoding} is not supported (use gzip)`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new IngestError(400, 'bad_request', `the body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IngestError(400, 'bad_request', 'the body must be a JSON object');
  }
  return { body: body as Record<string, unknown>, bytes: raw.length };
}

/** Finds the workspace of the write key sent as the basic-auth user name or as `writeKey` in the body. */
function writeKeys(ctx: AppContext) {
  const repo = new ApiKeysRepository(ctx.store);
  const cache = new Map<string, { record: ApiKeyRecord; until: number }>();
  return async (req: FastifyRequest, body: Record<string, unknown>): Promise<ApiKeyRecord> => {
    const header = req.headers.authorization;
    let key: string | undefined;
    const basic = header ? /^Basic\s+(\S+)$/i.exec(header) : null;
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      key = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    }
    if (!key && typeof body.writeKey === 'string') key = body.writeKey;
    if (!key) {
      throw new IngestError(
        401,
        'unauthorized',
        'send the write key as the basic-auth user name or as writeKey',
      );
    }
    // A monotonic timer for the cache only: it bounds how long a revoked key keeps working.
    const wall = performance.now();
    const hit = cache.get(key);
    if (hit && hit.until > wall) return hit.record;
    const record = await repo.verify(key, 'ingest');
    if (!record) throw new IngestError(401, 'unauthorized', 'the write key is not valid or has been revoked');
    if (cache.size > 1000) cache.clear();
    cache.set(key, { record, until: wall + KEY_CACHE_MS });
    return record;
  };
}
