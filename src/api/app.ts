// The Fastify application: zod-typed routes, OpenAPI at /api/v1/openapi.json, docs at /docs, JSON errors.
import Fastify, { type FastifyInstance } from 'fastify';
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
import { registerOps, type OpsOptions } from '../ops/http.js';

export const API_BODY_LIMIT = 1024 * 1024;

export async function buildApp(
  ctx: AppContext,
  options: {
    logger?: boolean;
    ops?: OpsOptions;
    /** Where the built web app is (default dist/web). */
    webDir?: string;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: API_BODY_LIMIT, trustProxy: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`)),
  );
  // /healthz, /readyz, /metrics, request metrics and the rate limit, before any route (src/ops).
  registerOps(app, ctx, options.ops);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Baton API', version: '1', description: 'Plan, run and measure campaigns.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

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
      const typed = api.withTypeProvider<ZodTypeProvider>();
      for (const register of apiRouteModules) register(typed, ctx);
    },
    { prefix: '/api/v1' },
  );
  registerWeb(app, options.webDir);
  return app;
}
