// `baton serve --test-mode` (or BATON_TEST_MODE=1) as a real child process on SQLite: the clock starts at BATON_TEST_CLOCK and stays
// there (touches due an hour later are not sent), until POST /api/v1/test/clock moves it and the in-process
// worker sends them; the route needs an admin key.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../api/api-harness.js';
import { newWorkspace } from '../support/stores.js';
import { ownStore, seedDueTouches, touchCounts, type OwnStore } from './ops-support.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// The flag and the environment variable start the same mode.
const starts = [
  { how: '--test-mode', args: ['--test-mode'], env: {} },
  { how: 'BATON_TEST_MODE=1', args: [], env: { BATON_TEST_MODE: '1' } },
];

describe.each(starts)('baton serve in test mode ($how)', ({ args, env }) => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore('sqlite');
  });
  afterAll(() => own.dispose());

  it('holds the simulated clock until the test endpoint moves it, and the worker sends what fell due', async () => {
    const start = Date.parse('2027-05-03T10:00:00Z');
    const ws = await newWorkspace(own.store, start);
    await seedDueTouches(own.store, ws, 5, start + 3_600_000);
    const admin = await bearer(own.store, ws, ['admin']);
    const reader = await bearer(own.store, ws, ['read']);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args, '--port', String(port)],
      {
        env: { ...process.env, ...env, BATON_DB: own.url, BATON_TEST_CLOCK: '2027-05-03T10:00:00Z' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const until = Date.now() + 60_000;
      while (!out.includes('Test mode:')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(out).toContain('the clock stands at 2027-05-03T10:00:00.000Z');
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      // A second of real time moves nothing: the touches stay planned.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await touchCounts(own.store, ws)).sent ?? 0).toBe(0);

      const move = (auth: string) =>
        fetch(`${base}/api/v1/test/clock`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ advance_ms: 2 * 3_600_000 }),
        });
      expect((await move(reader)).status).toBe(403);
      const res = await move(admin);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { now: string; worker: { sent: number } };
      expect(body.now).toBe('2027-05-03T12:00:00.000Z');
      expect(body.worker.sent).toBe(5);
      expect((await touchCounts(own.store, ws)).sent).toBe(5);
    } finally {
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
  }, 120_000);
});
