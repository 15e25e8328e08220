// What each /api/v1 route needs: a scope for API keys and the roles allowed for signed-in users. A route
// declares it with `requireScope(...)`; start-up fails for a route under /api/v1 that declares nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { BatonError } from '../domain/errors.js';
import { ROLE_SCOPES, ROLES, type Role, type Scope } from '../domain/roles.js';
import type { AuthContext } from './auth.js';

export interface Permission {
  /** The scope an API key needs (`admin` implies every scope). */
  scope: Scope;
  /** The roles whose users may call the route. */
  roles: readonly Role[];
}

export interface RoutePermission {
  method: string;
  url: string;
  /** Undefined for a public route (`schema.security: []`): it authenticates by itself. */
  permission?: Permission;
}

/** The roles that carry a scope: the default for a route that names no roles. */
export function rolesWithScope(scope: Scope): Role[] {
  return ROLES.filter((r) => ROLE_SCOPES[r].includes(scope) || ROLE_SCOPES[r].includes('admin'));
}

/** The permission behind each check function `requirePermission` made. */
const declared = new WeakMap<object, Permission>();

/** The decision for one request: keys by scope, signed-in users by role. */
export function authorize(auth: AuthContext | undefined, p: Permission): void {
  if (!auth) throw new BatonError('unauthorized', 'this route needs an API key or a signed-in session');
  if (auth.role !== undefined) {
    if (!p.roles.includes(auth.role)) {
      throw new BatonError(
        'forbidden',
        `the ${auth.role} role may not do this (allowed: ${p.roles.join(', ')})`,
        { role: auth.role, allowed_roles: p.roles },
      );
    }
    return;
  }
  if (!auth.scopes.includes(p.scope) && !auth.scopes.includes('admin')) {
    throw new BatonError('forbidden', `this API key lacks the \`${p.scope}\` scope`, { scope: p.scope });
  }
}

/**
 * A preValidation (or preHandler) hook that refuses callers without the permission, and tells the
 * start-up check what the route needs. `roles` overrides the roles that carry the scope, e.g. a sales rep
 * may write their own tasks though their role carries only `read`.
 */
export function requirePermission(scope: Scope, options: { roles?: readonly Role[] } = {}) {
  const permission: Permission = { scope, roles: options.roles ?? rolesWithScope(scope) };
  const check = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> =>
    authorize(req.auth, permission);
  declared.set(check, permission);
  return check;
}

function hooksOf(route: RouteOptions): unknown[] {
  return [route.onRequest, route.preParsing, route.preValidation, route.preHandler].flatMap((h) =>
    h === undefined ? [] : Array.isArray(h) ? (h as unknown[]) : [h],
  );
}

/** The permission a route declared through one of its hooks, if any. */
export function declaredPermission(route: RouteOptions): Permission | undefined {
  for (const h of hooksOf(route)) {
    const p = typeof h === 'function' ? declared.get(h) : undefined;
    if (p) return p;
  }
  return undefined;
}

function isPublic(route: RouteOptions): boolean {
  const security = (route.schema as { security?: unknown } | undefined)?.security;
  return Array.isArray(security) && security.length === 0;
}

const registries = new WeakMap<FastifyInstance, RoutePermission[]>();

/**
 * Installs the start-up check on the root app (before any route): a route under /api/v1 must declare a
 * permission, or be public by saying `schema.security: []` (the OpenAPI way of "no credentials").
 */
export function enforceRoutePermissions(app: FastifyInstance): void {
  const list: RoutePermission[] = [];
  registries.set(app, list);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path ?? '';
    if (!url.startsWith('/api/v1')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const permission = declaredPermission(route);
    if (!permission && !isPublic(route)) {
      throw new Error(
        `${methods.join(',')} ${url} declares no permission: add preValidation: requireScope(...) ` +
          '(or schema.security: [] for a route that authenticates by itself)',
      );
    }
    for (const method of methods) {
      if (method === 'HEAD') continue;
      list.push(permission ? { method, url, permission } : { method, url });
    }
  });
}

/** Every /api/v1 route of an app built with `enforceRoutePermissions`, with what it needs. */
export function routePermissions(app: FastifyInstance): RoutePermission[] {
  return [...(registries.get(app) ?? [])];
}

/** docs/permissions.md: every /api/v1 route with the key scope it needs and the roles allowed. */
export function permissionsMarkdown(routes: RoutePermission[]): string {
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  const head = [
    '# Permissions',
    '',
    'Generated from the routes the API registers (`test/access/permissions-matrix.test.ts` fails when this',
    'page is out of date; `BATON_WRITE_DOCS=1` with that test rewrites it). A key needs the scope shown',
    '(`admin` implies every scope); a signed-in user needs one of the roles marked. Public routes',
    'authenticate by themselves. Roles and their scopes: `src/domain/roles.ts`; the choices:',
    '`docs/decisions/0015-roles-approvals-audit.md`.',
    '',
    "A sales rep marked yes on a read route sees only the accounts they own, those accounts' contacts and",
    'what those contacts did (contacts, accounts, events, timelines, list members, template renders); another',
    "rep's contact or account answers 404, as a missing id does, so its existence does not leak. Lists,",
    "audiences, the calendar, segments' rules and campaign reports show a sales rep the same aggregate counts",
    'as anyone. Routes whose answer names people across the workspace (suppressions, segment previews, audience',
    "exports) are not a sales rep's. The choices: `docs/decisions/0023-sales-rep-reach-and-shared-limits.md`.",
    '',
    `| method | path | key scope | ${ROLES.join(' | ')} |`,
    `|---|---|---|${ROLES.map(() => '---').join('|')}|`,
  ];
  const rows = sorted.map((r) => {
    const p = r.permission;
    const cells = ROLES.map((role) => (p ? (p.roles.includes(role) ? 'yes' : '—') : 'public'));
    return `| ${r.method} | \`${r.url}\` | ${p ? `\`${p.scope}\`` : 'public'} | ${cells.join(' | ')} |`;
  });
  return [...head, ...rows, ''].join('\n');
}
