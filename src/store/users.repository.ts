// Workspace users and their browser sessions: passwords hashed with scrypt, only hashes of session tokens stored.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BatonError } from '../domain/errors.js';
import { isRole, type Role } from '../domain/roles.js';
import type { Store } from './db.js';
import { newId } from './ids.js';
import { uniqueViolationColumn } from './unique-violation.js';

export interface User {
  id: string;
  workspaceId: string;
  email: string;
  role: Role;
  createdAt: number;
}

export interface Session {
  user: User;
  workspaceId: string;
  workspaceName: string;
  csrfToken: string;
  expiresAt: number;
}

/** A new session: the token goes into the HttpOnly cookie and exists nowhere else. */
export interface NewSession extends Session {
  token: string;
}

/** A session ends this long after sign-in, however busy (absolute expiry). */
export const SESSION_TTL_MS = 14 * 86_400_000;
/** A session unused for this long ends (idle expiry): a browser left signed in overnight signs in again. */
export const SESSION_IDLE_MS = 8 * 3_600_000;
/** A session's last use is written at most this often, so reads do not each cost a write. */
const SEEN_GRANULARITY_MS = 60_000;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024;

// OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1 (128 MiB) is the recommended minimum;
// N=2^15 (32 MiB) keeps a sign-in near 100 ms on a small shared machine, recorded in the hash so it can rise.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keyLength, { ...options, maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keyLength, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected);
}

// Hash checked when the email is unknown, so a wrong email takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const normalEmail = (email: string): string => email.trim().toLowerCase();
const roleOf = (value: string): Role => (isRole(value) ? value : 'analyst');

function checkRole(role: unknown): Role {
  if (!isRole(role)) {
    throw BatonError.invalid([{ path: 'role', message: 'must be admin, marketer, sales_rep or analyst' }]);
  }
  return role;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw BatonError.invalid([
      {
        path: 'password',
        message: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long`,
      },
    ]);
  }
}

export class UsersRepository {
  constructor(private readonly store: Store) {}

  /**
   * Creates a user. Without a role, a workspace's first user is its `admin` and later ones are
   * `marketer` (what every signed-in user could do before roles existed).
   */
  async create(
    workspaceId: string,
    input: { email: string; password: string; role?: Role },
    now: number,
  ): Promise<User> {
    const email = normalEmail(input.email);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      throw BatonError.invalid([{ path: 'email', message: 'is not an email address' }]);
    }
    const role =
      input.role === undefined
        ? (await this.count(workspaceId)) === 0
          ? 'admin'
          : 'marketer'
        : checkRole(input.role);
    checkPassword(input.password);
    const row = {
      id: newId('usr', now),
      workspace_id: workspaceId,
      email,
      password_hash: await hashPassword(input.password),
      role,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.db.insertInto('users').values(row).execute();
    } catch (e) {
      if (uniqueViolationColumn(e) === 'email') {
        throw new BatonError('conflict', `a user with the email ${email} already exists in this workspace`);
      }
      throw e;
    }
    return { id: row.id, workspaceId, email, role, createdAt: now };
  }

  async count(workspaceId: string): Promise<number> {
    const r = await this.store.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async list(workspaceId: string): Promise<User[]> {
    const rows = await this.store.db
      .selectFrom('users')
      .select(['id', 'workspace_id', 'email', 'role', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('email')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id,
      email: r.email,
      role: roleOf(r.role),
      createdAt: Number(r.created_at),
    }));
  }

  async get(workspaceId: string, id: string): Promise<User | undefined> {
    const r = await this.store.db
      .selectFrom('users')
      .select(['id', 'workspace_id', 'email', 'role', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return (
      r && {
        id: r.id,
        workspaceId: r.workspace_id,
        email: r.email,
        role: roleOf(r.role),
        createdAt: Number(r.created_at),
      }
    );
  }

  /** Changes a user's role (by id or email); it applies to their open sessions from the next request. */
  async setRole(workspaceId: string, idOrEmail: string, role: Role, now: number): Promise<User> {
    checkRole(role);
    const r = await this.store.db
      .updateTable('users')
      .set({ role, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('id', '=', idOrEmail), eb('email', '=', normalEmail(idOrEmail))]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw BatonError.notFound('user', idOrEmail);
    const users = await this.list(workspaceId);
    return users.find((u) => u.id === idOrEmail || u.email === normalEmail(idOrEmail))!;
  }

  /** The users an email signs in as (one per workspace it belongs to), for the audit of failed sign-ins. */
  async byEmail(email: string, workspace?: string): Promise<{ id: string; workspaceId: string }[]> {
    let q = this.store.db
      .selectFrom('users')
      .innerJoin('workspaces', 'workspaces.id', 'users.workspace_id')
      .select(['users.id', 'users.workspace_id'])
      .where('users.email', '=', normalEmail(email));
    if (workspace) q = q.where('workspaces.name', '=', workspace);
    const rows = await q.execute();
    return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id }));
  }

  /**
   * Checks the password and opens a session. The email alone finds the user; when it belongs to users of
   * several workspaces the workspace name must be given. Every failure is the same `unauthorized`.
   */
  async signIn(
    input: { email: string; password: string; workspace?: string },
    now: number,
  ): Promise<NewSession> {
    let q = this.store.db
      .selectFrom('users')
      .innerJoin('workspaces', 'workspaces.id', 'users.workspace_id')
      .select([
        'users.id',
        'users.workspace_id',
        'users.email',
        'users.password_hash',
        'users.role',
        'users.created_at',
        'workspaces.name as workspace_name',
      ])
      .where('users.email', '=', normalEmail(input.email));
    if (input.workspace) q = q.where('workspaces.name', '=', input.workspace);
    const rows = await q.limit(2).execute();
    if (rows.length > 1) {
      throw BatonError.invalid([
        { path: 'workspace', message: 'this email belongs to several workspaces: name the workspace' },
      ]);
    }
    const row = rows[0];
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    const ok = await verifyPassword(
      input.password.slice(0, MAX_PASSWORD_LENGTH),
      row?.password_hash ?? (await dummyHash),
    );
    if (!row || !ok) throw new BatonError('unauthorized', 'the email or the password is not right');

    // A user's expired sessions are dropped when they sign in again, so the table does not grow forever.
    await this.store.db
      .deleteFrom('user_sessions')
      .where('workspace_id', '=', row.workspace_id)
      .where('user_id', '=', row.id)
      .where('expires_at', '<=', now)
      .execute();
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = now + SESSION_TTL_MS;
    await this.store.db
      .insertInto('user_sessions')
      .values({
        id: sha256(token),
        workspace_id: row.workspace_id,
        user_id: row.id,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return {
      token,
      csrfToken,
      expiresAt,
      workspaceId: row.workspace_id,
      workspaceName: row.workspace_name,
      user: {
        id: row.id,
        workspaceId: row.workspace_id,
        email: row.email,
        role: roleOf(row.role),
        createdAt: Number(row.created_at),
      },
    };
  }

  /**
   * The live session a cookie's token names, or undefined once it passed its absolute expiry or sat unused
   * for SESSION_IDLE_MS. A use moves the idle deadline on.
   */
  async session(token: string, now: number): Promise<Session | undefined> {
    const row = await this.store.db
      .selectFrom('user_sessions')
      .innerJoin('users', (j) =>
        j
          .onRef('users.id', '=', 'user_sessions.user_id')
          .onRef('users.workspace_id', '=', 'user_sessions.workspace_id'),
      )
      .innerJoin('workspaces', 'workspaces.id', 'user_sessions.workspace_id')
      .select([
        'user_sessions.csrf_token',
        'user_sessions.expires_at',
        'user_sessions.created_at as session_created_at',
        'user_sessions.last_seen_at',
        'users.id',
        'users.role',
        'users.workspace_id',
        'users.email',
        'users.created_at',
        'workspaces.name as workspace_name',
      ])
      .where('user_sessions.id', '=', sha256(token))
      .where('user_sessions.expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    const lastSeen = Number(row.last_seen_at ?? row.session_created_at);
    if (lastSeen + SESSION_IDLE_MS <= now) return undefined;
    if (now - lastSeen >= SEEN_GRANULARITY_MS) {
      await this.store.db
        .updateTable('user_sessions')
        .set({ last_seen_at: now })
        .where('id', '=', sha256(token))
        .execute();
    }
    return {
      csrfToken: row.csrf_token,
      expiresAt: Number(row.expires_at),
      workspaceId: row.workspace_id,
      workspaceName: row.workspace_name,
      user: {
        id: row.id,
        workspaceId: row.workspace_id,
        email: row.email,
        role: roleOf(row.role),
        createdAt: Number(row.created_at),
      },
    };
  }

  async signOut(token: string): Promise<void> {
    await this.store.db.deleteFrom('user_sessions').where('id', '=', sha256(token)).execute();
  }
}
