// Crash: a `baton worker` process is killed with SIGKILL at random moments of a 10,000-touch run
// (2,000 people × five steps, each step due as soon as the previous one is sent), restarted, five times.
// Afterwards every touch was performed at least once, and touches performed twice (a batch sent but not
// yet recorded when the process died, sent again once its lease expired) never exceed one batch per kill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  countSendAttempts,
  countWhere,
  freshDatabase,
  seedLogRun,
  sendAttempts,
  sleep,
  startWorker,
  stopWorkers,
  waitDrained,
  waitRunning,
  type WorkerProcess,
} from './harness.js';

const PEOPLE = 2_000;
const STEPS = 5;
const BATCH = 200;
const KILLS = 5;

describe('a worker killed with SIGKILL, five times (PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let store: Store;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    db = await freshDatabase();
    store = openStore(db.url, { poolSize: 2 });
    await countSendAttempts(store);
    expect(await seedLogRun(store, PEOPLE, STEPS, Date.now())).toBe(PEOPLE);
  }, 120_000);
  afterAll(async () => {
    await stopWorkers(workers);
    await store?.close();
    await db?.drop();
  });

  it('performs every touch at least once, and at most one batch twice per kill', async () => {
    const args = ['--batch', String(BATCH), '--lease-ms', '2000', '--idle-ms', '100'];
    const sentAtKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const w = startWorker(db.url, `crash${k}`, args);
      workers.push(w);
      await waitRunning(w);
      // A random moment while it works (the run takes several seconds on this hardware).
      await sleep(200 + Math.floor(Math.random() * 1200));
      w.child.kill('SIGKILL');
      await w.exited;
      sentAtKill.push(await countWhere(store, 'sent'));
    }
    const last = startWorker(db.url, 'final', args);
    workers.push(last);
    await waitRunning(last);
    await waitDrained(store, 120_000, () => last.output());
    await stopWorkers([last]);

    const total = PEOPLE * STEPS;
    expect(await countWhere(store, 'sent')).toBe(total);
    const logged = await store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(total);
    const { attempts, touches } = await sendAttempts(store);
    expect(touches).toBe(total);
    const twice = attempts - touches;
    console.log(
      `crash test: ${total} touches, sent before each kill ${sentAtKill.join(', ')}; ` +
        `${twice} performed twice (limit ${KILLS * BATCH})`,
    );
    expect(twice).toBeGreaterThanOrEqual(0);
    expect(twice).toBeLessThanOrEqual(KILLS * BATCH);
    // The kills happened during the run, not after it.
    expect(sentAtKill[0]!).toBeLessThan(total);
  }, 300_000);
});
