// POST /api/v1/imports streams a CSV upload into the CLI's import, in the background; GET /imports/:id
// answers its progress and result. Both dialects, the real app over a real store.
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import type { AppContext } from '../../src/api/context.js';
import { realClock, SimulatedClock } from '../../src/engine/clock.js';
import { UsersRepository } from '../../src/store/users.repository.js';
import { AuditRepository } from '../../src/store/audit.repository.js';
import { ImportsRepository, STALE_AFTER_MS, STALE_ERROR } from '../../src/store/imports.repository.js';
import { openStore } from '../../src/store/db.js';
import { dialects, newWorkspace, openTestStore, type TestStore } from '../support/stores.js';
import { apiFor, bearer, T0 } from './api-harness.js';

interface ImportBody {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'failed';
  bytes_read: number;
  total_bytes: number;
  rows: number;
  result: {
    committed: boolean;
    rows: number;
    inserted: number;
    updated: number;
    rejected: number;
    rejected_rows: { line: number; column: string; reason: string }[];
  } | null;
  error: string | null;
}

describe.each(dialects)('imports API on %s', (dialect) => {
  let store: TestStore;
  let app: FastifyInstance;
  let limited: AppContext;
  let ws: string;
  let writer: string;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    // Kept to change the upload limit the routes read (BATON_IMPORT_MAX_BYTES in `baton serve`).
    limited = {
      store,
      clock: new SimulatedClock(T0),
      secret: 's'.repeat(40),
      publicUrl: 'http://localhost:4400',
    };
    app = await buildApp(limited);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.dispose();
  });
  beforeEach(async () => {
    ws = await newWorkspace(store);
    writer = await bearer(store, ws, ['read', 'write']);
  });
  afterEach(() => {
    delete limited.importMaxBytes;
  });

  const upload = (kind: string, csv: string, auth: Record<string, string>, extra = '') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/imports?kind=${kind}${extra}`,
      headers: { ...auth, 'content-type': 'text/csv' },
      payload: csv,
    });

  async function untilDone(id: string): Promise<ImportBody> {
    for (let i = 0; i < 400; i++) {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/imports/${id}`,
        headers: { authorization: writer },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<ImportBody>();
      if (body.status !== 'running') return body;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`import ${id} still running`);
  }

  it('imports a CSV in the background: 202, progress, then the counts and the contacts', async () => {
    const csv = 'email,first_name,plan\nada@example.com,Ada,pro\ngrace@example.com,Grace,free\n';
    const res = await upload('contacts', csv, { authorization: writer });
    expect(res.statusCode).toBe(202);
    const { id, status } = res.json<{ id: string; status: string }>();
    expect(status).toBe('running');
    const done = await untilDone(id);
    expect(done).toMatchObject({ kind: 'contacts', status: 'done', rows: 2, error: null });
    expect(done.total_bytes).toBe(Buffer.byteLength(csv));
    expect(done.result).toMatchObject({ committed: true, rows: 2, inserted: 2, updated: 0, rejected: 0 });
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts?limit=10',
      headers: { authorization: writer },
    });
    const emails = list
      .json<{ data: { email: string }[] }>()
      .data.map((c) => c.email)
      .sort();
    expect(emails).toEqual(['ada@example.com', 'grace@example.com']);

    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/imports',
      headers: { authorization: writer },
    });
    expect(listed.json<{ data: ImportBody[] }>().data.map((i) => i.id)).toEqual([id]);
    const audit = await new AuditRepository(store).list(ws, { limit: 10, action: 'contacts.import' });
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]!.details).toMatchObject({ inserted: 2, updated: 0, rejected: 0, rows: 2 });
  });

  it('reports a bad row with its line and reason: nothing written by default, the others with skip_invalid', async () => {
    const csv = 'email,first_name\nada@example.com,Ada\nnot-an-email,Bob\ngrace@example.com,Grace\n';
    const strict = await untilDone(
      (await upload('contacts', csv, { authorization: writer })).json<{ id: string }>().id,
    );
    expect(strict.status).toBe('done');
    expect(strict.result).toMatchObject({ committed: false, rows: 3, inserted: 0, rejected: 1 });
    expect(strict.result!.rejected_rows).toHaveLength(1);
    expect(strict.result!.rejected_rows[0]).toMatchObject({ line: 3, column: 'email' });
    expect(strict.result!.rejected_rows[0]!.reason).toMatch(/email/i);
    const none = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: writer },
    });
    expect(none.json<{ data: unknown[] }>().data).toHaveLength(0);

    const lenient = await untilDone(
      (await upload('contacts', csv, { authorization: writer }, '&skip_invalid=true')).json<{ id: string }>()
        .id,
    );
    expect(lenient.result).toMatchObject({ committed: true, rows: 3, inserted: 2, rejected: 1 });
    expect(lenient.result!.rejected_rows[0]).toMatchObject({ line: 3, column: 'email' });
    const some = await app.inject({
      method: 'GET',
      url: '/api/v1/contacts',
      headers: { authorization: writer },
    });
    const emails = some
      .json<{ data: { email: string }[] }>()
      .data.map((c) => c.email)
      .sort();
    expect(emails).toEqual(['ada@example.com', 'grace@example.com']);
  });

  // PostgreSQL: another serve process (a second app over its own pool) reads the progress from the row.
  // SQLite: one process owns the file and keeps the progress in memory; it answers while the import runs.
  it('answers the progress while the import runs', async () => {
    const other = dialect === 'postgres' ? openStore(store.url, { poolSize: 2 }) : undefined;
    const second = other ? await apiFor(other) : undefined;
    const reader = second?.app ?? app;
    try {
      // About 20 MB: read in 1 MiB chunks, each one reported.
      const rows = Array.from({ length: 30_000 }, (_, i) => `p${i}@example.com,${'x'.repeat(600)}`);
      const csv = `email,note\n${rows.join('\n')}\n`;
      const res = await upload('contacts', csv, { authorization: writer });
      expect(res.statusCode).toBe(202);
      const id = res.json<{ id: string }>().id;
      const seen: ImportBody[] = [];
      for (let i = 0; i < 2000; i++) {
        const r = await reader.inject({
          method: 'GET',
          url: `/api/v1/imports/${id}`,
          headers: { authorization: writer },
        });
        const body = r.json<ImportBody>();
        seen.push(body);
        if (body.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const last = seen[seen.length - 1]!;
      expect(last.status).toBe('done');
      expect(last.result).toMatchObject({ rows: 30_000, inserted: 30_000 });
      const midway = seen.filter(
        (b) => b.status === 'running' && b.bytes_read > 0 && b.bytes_read < b.total_bytes,
      );
      expect(midway.length).toBeGreaterThan(0);
      const read = seen.map((b) => b.bytes_read);
      expect(read).toEqual([...read].sort((a, b) => a - b));
    } finally {
      await second?.app.close();
      await other?.close();
    }
  }, 120_000);

  it('imports accounts too', async () => {
    const res = await upload('accounts', 'domain,name\nacme.com,Acme\n', { authorization: writer });
    expect(res.statusCode).toBe(202);
    const done = await untilDone(res.json<{ id: string }>().id);
    expect(done.result).toMatchObject({ committed: true, inserted: 1 });
  });

  it('answers 413 for a body over the limit and keeps no record', async () => {
    limited.importMaxBytes = 1000;
    const csv = 'email\n' + Array.from({ length: 100 }, (_, i) => `p${i}@example.com`).join('\n');
    const res = await upload('contacts', csv, { authorization: writer });
    expect(res.statusCode).toBe(413);
    expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'payload_too_large',
    });
    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/imports',
      headers: { authorization: writer },
    });
    expect(listed.json<{ data: unknown[] }>().data).toHaveLength(0);
  });

  it('reports a file it cannot import as failed, with the reason', async () => {
    const res = await upload('contacts', '', { authorization: writer });
    expect(res.statusCode).toBe(202);
    const done = await untilDone(res.json<{ id: string }>().id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/empty/);
    expect(done.result).toBeNull();
  });

  it('marks a running import whose process stopped reporting failed, and only that one', async () => {
    const repo = new ImportsRepository(store);
    const deadId = `imp_dead_${ws}`;
    const aliveId = `imp_alive_${ws}`;
    const wall = realClock.now();
    const base = {
      workspaceId: ws,
      kind: 'contacts' as const,
      skipInvalid: false,
      totalBytes: 10,
      createdBy: null,
      now: T0,
    };
    await repo.create({ ...base, id: deadId, wallNow: wall - STALE_AFTER_MS - 1000 });
    await repo.create({ ...base, id: aliveId, wallNow: wall });
    const dead = await app.inject({
      method: 'GET',
      url: `/api/v1/imports/${deadId}`,
      headers: { authorization: writer },
    });
    expect(dead.json<ImportBody>()).toMatchObject({ status: 'failed', error: STALE_ERROR });
    const alive = await app.inject({
      method: 'GET',
      url: `/api/v1/imports/${aliveId}`,
      headers: { authorization: writer },
    });
    expect(alive.json<ImportBody>()).toMatchObject({ status: 'running', error: null });
  });

  it('answers 413 to a streamed body without a length once it passes the limit', async () => {
    limited.importMaxBytes = 100_000;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const chunk = new TextEncoder().encode(`${'a'.repeat(40)}@example.com\n`.repeat(1000));
    // A stream body goes out chunked, with no Content-Length the route could check first.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 4) return controller.close();
        controller.enqueue(sent === 0 ? new TextEncoder().encode('email\n') : chunk);
        sent += 1;
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/imports?kind=contacts`, {
      method: 'POST',
      headers: { authorization: writer, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const listed = await app.inject({
      method: 'GET',
      url: '/api/v1/imports',
      headers: { authorization: writer },
    });
    expect(listed.json<{ data: unknown[] }>().data).toHaveLength(0);
  });

  it('refuses an unknown kind naming `kind` (422)', async () => {
    const res = await upload('people', 'email\na@example.com\n', { authorization: writer });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ error: { message: string } }>().error.message).toMatch(/kind/);
  });

  it('lets admins and marketers import, not sales reps or analysts (403)', async () => {
    const users = new UsersRepository(store);
    const statuses: Record<string, number> = {};
    for (const role of ['admin', 'marketer', 'sales_rep', 'analyst'] as const) {
      const email = `${role}-${ws}@example.com`;
      await users.create(ws, { email, password: 'correct horse battery', role }, T0);
      const s = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email, password: 'correct horse battery' },
      });
      const cookie = (s.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
      const res = await upload('contacts', `email\n${role.replace('_', '')}@example.com\n`, {
        cookie,
        'x-csrf-token': s.json<{ csrf_token: string }>().csrf_token,
      });
      statuses[role] = res.statusCode;
      if (res.statusCode === 202) await untilDone(res.json<{ id: string }>().id);
    }
    expect(statuses).toEqual({ admin: 202, marketer: 202, sales_rep: 403, analyst: 403 });
  });
});
