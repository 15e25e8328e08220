// The one place where Baton's error codes become HTTP statuses and the JSON error shape.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isBatonError, type BatonErrorCode } from '../domain/errors.js';

export const STATUS: Record<BatonErrorCode, number> = {
  invalid_input: 422,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  payload_too_large: 413,
  rate_limited: 429,
  illegal_transition: 409,
  blocked_by_guardrails: 409,
  frozen: 409,
  config: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function handleError(
  err: FastifyError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isBatonError(err)) {
    return reply.status(STATUS[err.code]).send(errorBody(err.code, err.message, err.details));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    const issues = err.validation.map((v) => {
      const path = [where, ...(v.instancePath ? v.instancePath.split('/').filter(Boolean) : [])].join('.');
      return { path, message: v.message ?? 'is invalid' };
    });
    const first = issues[0];
    return reply
      .status(422)
      .send(
        errorBody('invalid_input', first ? `${first.path}: ${first.message}` : 'invalid input', { issues }),
      );
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // Parsers of public routes set smaller limits of their own, which the request does not know.
    const limit = req.url.startsWith('/api/') ? req.routeOptions.bodyLimit : undefined;
    return reply
      .status(413)
      .send(
        errorBody(
          'payload_too_large',
          limit
            ? `the request body is larger than ${Math.floor(limit / 1024)} KB, the most this endpoint accepts`
            : 'the request body is larger than this endpoint accepts',
        ),
      );
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.status(415).send(errorBody('unsupported_media_type', 'send the body as application/json'));
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.status(fe.statusCode).send(errorBody('bad_request', fe.message));
  }
  req.log.error({ err, url: req.url, method: req.method }, 'unexpected error');
  return reply.status(500).send(errorBody('internal', 'an unexpected error happened; it has been logged'));
}
