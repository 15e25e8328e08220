// baton doctor on both stores: a healthy store passes; a store nobody migrated, a bad BATON_DB and an SMTP
// server that does not answer are each reported plainly as errors; a real SMTP server passes.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { realClock } from '../../src/engine/clock.js';
import { runDoctor } from '../../src/ops/doctor.js';
import { ensureEventPartitions, monthStart, partitionName } from '../../src/store/event-partitions.js';
import { dialects } from '../support/stores.js';
import { ownStore, type OwnStore } from './ops-support.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.each(dialects)('baton doctor on %s', (dialect) => {
  let own: OwnStore;
  let smtp: SMTPServer;
  let smtpPort = 0;
  beforeAll(async () => {
    own = await ownStore(dialect);
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData: (s, _session, cb) => s.resume().on('end', cb),
    });
    smtpPort = await freePort();
    await new Promise<void>((r) => smtp.listen(smtpPort, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => smtp.close(r));
    await own.dispose();
  });

  it('passes a migrated store with a reachable relay and says what it checked', async () => {
    const checks = await runDoctor({
      env: {
        BATON_DB: own.url,
        BATON_PUBLIC_URL: 'https://baton.example.com',
        BATON_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      },
    });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['config', 'ok'],
      ['database', 'ok'],
      ['migrations', 'ok'],
      ['clock', 'ok'],
      ...(dialect === 'postgres' ? [['event partitions', 'ok']] : []),
      [`smtp smtp://127.0.0.1:${smtpPort}`, 'ok'],
    ]);
    expect(checks[1]!.detail).toMatch(dialect === 'sqlite' ? /^SQLite 3\./ : /^PostgreSQL \d+/);
    if (dialect === 'postgres')
      expect(checks[3]!.detail).toMatch(/database clock is \d+ ms (ahead of|behind) this host/);
  });

  it('warns about a missing partition of events for a coming month (PostgreSQL; SQLite has none)', async () => {
    const env = { BATON_DB: own.url, BATON_PUBLIC_URL: 'https://baton.example.com' };
    if (dialect === 'sqlite') {
      expect((await runDoctor({ env })).map((c) => c.name)).not.toContain('event partitions');
      return;
    }
    const next = partitionName(monthStart(realClock.now(), 1));
    await sql`DROP TABLE ${sql.id(next)}`.execute(own.store.db);
    const check = (await runDoctor({ env })).find((c) => c.name === 'event partitions');
    expect(check?.status).toBe('warning');
    expect(check?.detail).toContain(`missing ${next}:`);
    await ensureEventPartitions(own.store.db, realClock.now());
    expect((await runDoctor({ env })).find((c) => c.name === 'event partitions')?.status).toBe('ok');
  });

  it('reports pending migrations, an unreachable SMTP server and a missing public URL', async () => {
    const fresh = await ownStore(dialect, { migrate: false });
    const closed = await freePort();
    try {
      const checks = await runDoctor({
        env: { BATON_DB: fresh.url, BATON_SMTP_URL: `smtp://user:hunter2@127.0.0.1:${closed}` },
        smtpTimeoutMs: 2000,
      });
      const by = Object.fromEntries(checks.map((c) => [c.name, c]));
      expect(by['public url']).toMatchObject({ status: 'warning' });
      expect(by.migrations!.status).toBe('error');
      expect(by.migrations!.detail).toMatch(/^\d+ pending: run `baton migrate` before starting processes/);
      const smtpCheck = checks.find((c) => c.name.startsWith('smtp'))!;
      expect(smtpCheck.status).toBe('error');
      expect(smtpCheck.detail).toMatch(/cannot use it: .*ECONNREFUSED/);
      // The password never appears in the report.
      expect(JSON.stringify(checks)).not.toContain('hunter2');
    } finally {
      await fresh.dispose();
    }
  });
});

describe('baton doctor configuration', () => {
  it('stops at a bad BATON_DB and names the variable', async () => {
    const checks = await runDoctor({ env: { BATON_DB: 'mysql://localhost/baton' } });
    expect(checks).toEqual([
      { name: 'config', status: 'error', detail: 'BATON_DB must be sqlite:PATH or a postgres:// URL' },
    ]);
  });

  it('does not create a SQLite file that is not there', async () => {
    const path = `/tmp/baton-doctor-missing-${process.pid}/baton.db`;
    const checks = await runDoctor({
      env: { BATON_DB: `sqlite:${path}`, BATON_PUBLIC_URL: 'https://b.example' },
    });
    expect(checks.at(-1)).toEqual({
      name: 'database',
      status: 'error',
      detail: `there is no SQLite database at ${path}: check BATON_DB, or create it with \`baton migrate\``,
    });
    expect(existsSync(path)).toBe(false);
  });
});
