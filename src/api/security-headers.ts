// Security headers on every response (@fastify/helmet): a CSP the built web app runs under (its scripts and
// styles are files of its own origin), no framing, no MIME sniffing, and HSTS only on requests that came
// over HTTPS (directly or through a trusted proxy), so a plain-HTTP local install never pins itself.
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The web app's policy (src/api/web.ts sends the same on its pages). */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

export const HSTS = 'max-age=31536000; includeSubDomains';

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    hsts: false,
    referrerPolicy: { policy: 'same-origin' },
    // Swagger UI and the web app load nothing cross-origin; embedding policies would only get in the way
    // of the tracking pixel, which mail clients load from other origins (see below).
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
    // The open pixel and the click redirect are fetched by webmail pages of other origins.
    if (req.url.startsWith('/t/')) reply.header('cross-origin-resource-policy', 'cross-origin');
  });
}
