// `baton serve` on SQLite (API and worker in one process) as a real child process: probes and metrics over
// HTTP while its worker sends, then SIGTERM mid-run: exit 0, nothing left claimed, nothing lost. And the HTTP
// drain: a request already in flight at SIGTERM (an ingestion batch whose body is still arriving) is answered
// 200 and stored, new connections are refused once the listener closed, and the process exits 0 after.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { ApiKeysRepository } from '../../src/store/api-keys.repository.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace } from '../support/stores.js';
import {
  metricSum,
  ownStore,
  parsePrometheus,
  seedDueTouches,
  touchCounts,
  type OwnStore,
} from './ops-support.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startServe(
  url: string,
  port: number,
): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)],
    { env: { ...process.env, BATON_DB: url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitServing(serve: ReturnType<typeof startServe>): Promise<void> {
  const until = Date.now() + 60_000;
  while (!serve.output().includes('Baton is serving')) {
    if (Date.now() > until || serve.child.exitCode !== null) {
      throw new Error(`serve did not start: ${serve.output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a new TCP connection to the port is accepted ('open') or refused ('refused'). */
const probe = (port: number): Promise<'open' | 'refused'> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e),
    );
  });

describe('baton serve on sqlite', () => {
  let own: OwnStore;
  beforeAll(async () => {
    own = await ownStore('sqlite');
  });
  afterAll(() => own.dispose());

  it('answers the probes and /metrics while its worker sends, and stops cleanly on SIGTERM', async () => {
    const N = 4000;
    const ws = await newWorkspace(own.store, Date.now());
    await seedDueTouches(own.store, ws, N, Date.now() - 60_000);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)],
      {
        env: { ...process.env, BATON_DB: own.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = Date.now() + 60_000;
    while (!out.includes('Baton is serving')) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { worker: { ok: boolean } } }).checks.worker.ok).toBe(true);
    const samples = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(metricSum(samples, 'baton_touches_total', { workspace: ws, outcome: 'sent' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'baton_process_cpu_seconds_total')).toBe(true);

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const counts = await touchCounts(own.store, ws);
    expect(counts.claimed ?? 0).toBe(0);
    expect((counts.sent ?? 0) + (counts.planned ?? 0)).toBe(N);
    const log = await own.store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(log.n)).toBe(counts.sent);
  }, 120_000);

  it('answers a request in flight at SIGTERM, refuses new connections, then exits 0', async () => {
    const ws = await newWorkspace(own.store, Date.now());
    const { key } = await new ApiKeysRepository(own.store).create(
      ws,
      { kind: 'ingest', scopes: ['ingest'] },
      Date.now(),
    );
    const port = await freePort();
    const serve = startServe(own.url, port);
    await waitServing(serve);

    // An ingestion batch of 200 events whose body arrives slowly: the first half now, the rest only after
    // SIGTERM, once the listener is closed. The request is in flight the whole time.
    const EVENTS = 200;
    const body = Buffer.from(
      JSON.stringify({
        batch: Array.from({ length: EVENTS }, (_, i) => ({
          type: 'track',
          event: 'Drained',
          userId: `drain-${i}`,
          messageId: `drain-${ws}-${i}`,
        })),
      }),
    );
    const half = Math.floor(body.length / 2);
    let answered = false;
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/batch',
      agent: false,
      headers: {
        authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        'content-type': 'application/json',
        'content-length': body.length,
      },
    });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.once('response', (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString()));
        res.on('end', () => {
          answered = true;
          resolve({ status: res.statusCode ?? 0, text });
        });
      });
      req.once('error', reject);
    });
    req.write(body.subarray(0, half));
    // The server has the connection and the first half of the body before the signal.
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);

    serve.child.kill('SIGTERM');
    // The listener closes: new connections are refused while the request is still open.
    const until = Date.now() + 20_000;
    while ((await probe(port)) === 'open') {
      if (Date.now() > until)
        throw new Error(`serve still accepts connections after SIGTERM: ${serve.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(answered).toBe(false);
    expect(serve.child.exitCode).toBeNull();

    // The rest of the body trickles in; the request in flight completes normally.
    for (let at = half; at < body.length; at += 4096) {
      req.write(body.subarray(at, Math.min(body.length, at + 4096)));
      await new Promise((r) => setTimeout(r, 10));
    }
    req.end();
    const res = await response;
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ success: true });
    expect(await serve.exit).toBe(0);
    expect(await probe(port)).toBe('refused');

    const stored = await own.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(EVENTS);
  }, 120_000);
});
