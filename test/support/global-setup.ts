// Creates one fresh PostgreSQL database for this test run (migrated once) and drops it at the end.
// PostgreSQL is a required part of the suite: when it is unreachable the run fails with a clear message.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openStore } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';

const ADMIN_URL = process.env.BATON_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const name = `baton_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `The store tests need PostgreSQL at ${ADMIN_URL} (${(e as Error).message}). Start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set BATON_TEST_PG_ADMIN.',
      { cause: e },
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const drop = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  const store = openStore(url);
  try {
    await migrateToLatest(store);
  } catch (e) {
    await store.close();
    await drop();
    throw e;
  }
  await store.close();
  project.provide('pgUrl', url);
  return drop;
}
