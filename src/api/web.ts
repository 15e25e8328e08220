// Serves the built web app (dist/web) from the API process: static files, and index.html for every other
// page path so the browser's router takes over (SPA fallback). API-like paths keep their JSON 404.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

/** The package root: two levels up from src/api/web.ts and from dist/api/web.js alike. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_WEB_DIR = join(PACKAGE_ROOT, 'dist', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that belong to the API, docs, tracking and ingestion: never answered with the page. */
const NOT_PAGES = /^\/(api|docs|t|u|v1)(\/|$)/;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

async function fileIn(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = resolve(root, '.' + decoded);
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  const s = await stat(file).catch(() => undefined);
  return s?.isFile() ? file : undefined;
}

/** Registers GET / and GET /* for the web app built in `webDir`. */
export function registerWeb(app: FastifyInstance, webDir: string = DEFAULT_WEB_DIR): void {
  const root = resolve(webDir);
  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (NOT_PAGES.test(path)) {
      return reply.status(404).send(errorBody('not_found', `no route ${req.method} ${path}`));
    }
    const file = path === '/' ? undefined : await fileIn(root, path);
    // The page answers only what a browser navigates to (it asks for HTML); other clients keep the JSON 404.
    if (!file && !/text\/html|\*\/\*/.test(req.headers.accept ?? '')) {
      return reply.status(404).send(errorBody('not_found', `no route ${req.method} ${path}`));
    }
    const index = join(root, 'index.html');
    if (!file && !existsSync(index)) {
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built: run `npm run build` (or `npx baton serve`, which builds it).');
    }
    const target = file ?? index;
    // Hashed assets never change; the page itself is revalidated so a new build shows at once.
    const immutable = target.startsWith(join(root, 'assets') + sep);
    return reply
      .headers(SECURITY_HEADERS)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(TYPES[extname(target)] ?? 'application/octet-stream')
      .send(await readFile(target));
  };
  app.get('/', { schema: { hide: true } }, serve);
  app.get('/*', { schema: { hide: true } }, serve);
}

/**
 * Builds the web app when its index.html is missing and this is a checkout with the sources and Vite
 * (`npx baton serve` right after cloning). Returns false when it could not.
 */
export function ensureWebBuilt(webDir: string = DEFAULT_WEB_DIR, log: (line: string) => void = console.log) {
  if (existsSync(join(webDir, 'index.html'))) return true;
  const config = join(PACKAGE_ROOT, 'web', 'vite.config.ts');
  const vite = join(PACKAGE_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(config) || !existsSync(vite)) {
    log('The web app is not built and its sources are not here: the API is served without it.');
    return false;
  }
  log('Building the web app (first start)…');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', config, '--outDir', webDir], {
    cwd: PACKAGE_ROOT,
    stdio: 'inherit',
  });
  return r.status === 0;
}
