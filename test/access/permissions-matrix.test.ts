// Every /api/v1 route the app registers (enumerated at test time, so routes added later are covered) called
// by every role and every key scope on both dialects: what its declaration allows gets past authorization
// (never 401 or 403), everything else gets 403 — never a 401 or 404 in its place. docs/permissions.md
// must match the declarations.
import { readFileSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsMarkdown, routePermissions, type RoutePermission } from '../../src/api/permissions.js';
import { ROLES, SCOPES, type Role, type Scope } from '../../src/domain/roles.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { apiFor, bearer, T0 } from '../api/api-harness.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';

const DOC = new URL('../../docs/permissions.md', import.meta.url);
const password = 'correct horse battery';

type Principal = { kind: 'role'; role: Role } | { kind: 'scope'; scope: Scope };

function allowed(route: RoutePermission, who: Principal): boolean {
  const p = route.permission!;
  return who.kind === 'role' ? p.roles.includes(who.role) : who.scope === p.scope || who.scope === 'admin';
}

/** A concrete URL for a route pattern: every parameter names something that does not exist. */
const concrete = (url: string): string => url.replace(/:(\w+)/g, 'matrix-missing-$1').replace(/\*$/, 'x');

describe.each(dialects)('route × role × scope matrix on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let routes: RoutePermission[];
  const headers = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    store = await openTestStore(dialect);
    ({ app } = await apiFor(store));
    routes = routePermissions(app);
    const ws = await newWorkspace(store, T0);
    for (const scope of SCOPES)
      headers.set(`scope:${scope}`, { authorization: await bearer(store, ws, [scope]) });
    for (const role of ROLES) {
      const email = `${role}-${ws}@example.com`;
      await new UsersRepository(store).create(ws, { email, password, role }, T0);
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
      const cookie = (res.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
      headers.set(`role:${role}`, { cookie, 'x-csrf-token': res.json().csrf_token as string });
    }
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });

  it('finds the routes and every authenticated one declares a permission', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.some((r) => r.url === '/api/v1/audit' && r.permission?.scope === 'admin')).toBe(true);
    expect(routes.filter((r) => !r.permission).map((r) => r.url)).toContain('/api/v1/session');
  });

  it('refuses a route registered under /api/v1 without a declared permission, at start-up', async () => {
    const { default: Fastify } = await import('fastify');
    const { enforceRoutePermissions } = await import('../../src/api/permissions.js');
    const bare = Fastify();
    enforceRoutePermissions(bare);
    const start = async (): Promise<void> => {
      await bare.register(
        async (api) => {
          api.get('/undeclared', async () => ({}));
        },
        { prefix: '/api/v1' },
      );
      await bare.ready();
    };
    await expect(start()).rejects.toThrow(/GET \/api\/v1\/undeclared declares no permission/);
  });

  it('allows exactly what each route declares, and answers 403 otherwise', async () => {
    const principals: Principal[] = [
      ...ROLES.map((role) => ({ kind: 'role' as const, role })),
      ...SCOPES.map((scope) => ({ kind: 'scope' as const, scope })),
    ];
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes.filter((r) => r.permission)) {
      for (const who of principals) {
        const key = who.kind === 'role' ? `role:${who.role}` : `scope:${who.scope}`;
        const res = await app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: headers.get(key)!,
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: {} }),
        });
        checked += 1;
        const body = res.body.startsWith('{') ? (res.json() as { error?: { message?: string } }) : {};
        const noRoute = res.statusCode === 404 && /^no route/.test(body.error?.message ?? '');
        const ok = allowed(route, who)
          ? res.statusCode !== 401 && res.statusCode !== 403 && !noRoute
          : res.statusCode === 403;
        if (!ok)
          wrong.push(`${route.method} ${route.url} as ${key}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routes.filter((r) => r.permission).length * principals.length);
  });

  it('docs/permissions.md lists every route with its scope and roles', () => {
    const expected = permissionsMarkdown(routes);
    if (process.env.BATON_WRITE_DOCS === '1') writeFileSync(DOC, expected);
    expect(readFileSync(DOC, 'utf8'), 'run this test with BATON_WRITE_DOCS=1 to regenerate it').toBe(
      expected,
    );
  });
});
