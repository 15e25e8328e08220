// The Fastify application: zod-typed routes, OpenAPI at /api/v1/openapi.json, docs at /docs, JSON errors.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { ApiKeysRepository } from '../store/api-keys.repository.js';
import { UsersRepository } from '../store/users.repository.js';
import { bearerAuth } from './auth.js';
import type { AppContext } from './context.js';
import { errorBody, handleError } from './errors.js';
import { apiRouteModules, publicRouteModules } from './routes/index.js';
import { registerWeb } from './web.js';
import { enforceRoutePermissions } from './permissions.js';
import { registerOps, type OpsOptions } from '../ops/http.js';
import { DEFAULT_RATE_LIMITS, registerRateLimits, type RateLimits } from '../ops/rate-limit.js';
import { registerSecurityHeaders } from './security-headers.js';
import { UNSTORABLE_TEXT, unstorableTextPath } from '../domain/storable-text.js';
import { BatonError } from '../domain/errors.js';

/** The largest body of an /api/v1 call; ingestion and tracking set smaller ones on their routes. */
export const API_BODY_LIMIT = 1024 * 1024;

/**
 * Proxies whose X-Forwarded-For / -Proto are believed: the loopback and private ranges, where a load
 * balancer in front of Baton sits. A client on the internet cannot pick its own address (and so its
 * per-address rate limit) by sending the header.
 */
export const DEFAULT_TRUST_PROXY = 'loopback,linklocal,uniquelocal';

/** BATON_TRUST_PROXY: `true`, `false`, or addresses/CIDRs (comma-separated); unset means the default. */
export function trustProxyFrom(value: string | undefined): boolean | string {
  const v = value?.trim();
  if (!v) return DEFAULT_TRUST_PROXY;
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

export async function buildApp(
  ctx: AppContext,
  options: {
    logger?: boolean;
    ops?: OpsOptions;
    /** Where the built web app is (default dist/web). */
    webDir?: string;
    /** Request rate limits (default DEFAULT_RATE_LIMITS); `false` turns them off. */
    rateLimit?: RateLimits | false;
    /** Fastify's trustProxy: `true`, or the addresses/ranges of trusted proxies (default DEFAULT_TRUST_PROXY). */
    trustProxy?: boolean | string;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: API_BODY_LIMIT,
    trustProxy: options.trustProxy ?? DEFAULT_TRUST_PROXY,
    // Errors Fastify raises before routing (a malformed %-escape in the path) get Baton's error shape too.
    frameworkErrors: (err, req, raw) => {
      const reply = raw as unknown as FastifyReply;
      if (err.code === 'FST_ERR_BAD_URL') {
        return reply
          .status(400)
          .send(errorBody('bad_request', 'the URL path is not valid: a % must start an escape such as %20'));
      }
      return handleError(err, req as unknown as FastifyRequest, reply);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  enforceRoutePermissions(app);
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  // /healthz, /readyz, /metrics and request metrics, before any route (src/ops).
  registerOps(app, ctx, options.ops);
  await registerSecurityHeaders(app);
  const limits = options.rateLimit ?? DEFAULT_RATE_LIMITS;
  if (limits) await registerRateLimits(app, limits, ctx.store.db);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Baton API', version: '1', description: 'Plan, run and measure campaigns.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/api/v1/openapi.json', { schema: { hide: true, security: [] } }, async () => app.swagger());

  await app.register(async (pub) => {
    const typed = pub.withTypeProvider<ZodTypeProvider>();
    for (const register of publicRouteModules) register(typed, ctx);
  });

  const auth = bearerAuth(new ApiKeysRepository(ctx.store), {
    users: new UsersRepository(ctx.store),
    clock: ctx.clock,
  });
  await app.register(
    async (api) => {
      api.addHook('onRequest', auth);
      // Text PostgreSQL cannot store (NUL, lone surrogates) is refused naming its path: after the route's
      // permission check (so a caller without it still hears 403), before its body is validated and used.
      api.addHook('onRoute', (route) => {
        const own = route.preValidation;
        route.preValidation = [
          ...(own === undefined ? [] : Array.isArray(own) ? own : [own]),
          refuseUnstorableText,
        ];
      });
      const typed = api.withTypeProvider<ZodTypeProvider>();
      for (const register of apiRouteModules) register(typed, ctx);
    },
    { prefix: '/api/v1' },
  );
  registerWeb(app, options.webDir);
  return app;
}

async function refuseUnstorableText(req: FastifyRequest): Promise<void> {
  const at = unstorableTextPath(req.body, 'body');
  if (at) throw BatonError.invalid([{ path: at, message: UNSTORABLE_TEXT }]);
}
