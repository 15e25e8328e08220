// Crash: a `baton worker` process is killed with SIGKILL at random moments of a 10,000-touch run
// (2,000 people × five steps, each step due as soon as the previous one is sent), restarted, five times.
// Afterwards every touch was performed at least once, and touches performed twice (a batch sent but not
// yet recorded when the process died, sent again once its lease expired) never exceed one batch per kill:
// each repeated send is counted against the worker that made the unrecorded one. Every kill lands mid-run:
// each worker is killed once the run's sent count passed a random point of its own seventh of the run, so the
// kills fall at random moments of the work whatever the machine's speed, each after that worker has sent
// something and before the run is over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import {
  countSendAttempts,
  countWhere,
  freshDatabase,
  repeatedSendsByWorker,
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
    const total = PEOPLE * STEPS;
    const args = ['--batch', String(BATCH), '--lease-ms', '2000', '--idle-ms', '100'];
    const sentAtStart: number[] = [];
    const targets: number[] = [];
    const sentAtKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const w = startWorker(db.url, `crash${k}`, args);
      workers.push(w);
      await waitRunning(w);
      sentAtStart.push(await countWhere(store, 'sent'));
      // A random point in the (k+1)-th seventh of the run (away from its edges): kill once it is passed.
      // The last seventh is left to the final worker, so a kill that overshoots its point by a batch or two
      // (a busy machine) still lands before the end of the run.
      const target = Math.floor(((k + 1 + 0.1 + 0.8 * Math.random()) / (KILLS + 2)) * total);
      targets.push(target);
      const deadline = Date.now() + 120_000;
      while ((await countWhere(store, 'sent')) < target) {
        if (w.child.exitCode !== null) throw new Error(`worker crash${k} exited:\n${w.output()}`);
        if (Date.now() > deadline)
          throw new Error(`worker crash${k} did not reach ${target}:\n${w.output()}`);
        await sleep(10);
      }
      w.child.kill('SIGKILL');
      await w.exited;
      sentAtKill.push(await countWhere(store, 'sent'));
    }
    const last = startWorker(db.url, 'final', args);
    workers.push(last);
    await waitRunning(last);
    await waitDrained(store, 120_000, () => last.output());
    await stopWorkers([last]);

    expect(await countWhere(store, 'sent')).toBe(total);
    const logged = await store.db
      .selectFrom('channel_log')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(total);
    const { attempts, touches } = await sendAttempts(store);
    expect(touches).toBe(total);
    const twice = attempts - touches;
    const byWorker = await repeatedSendsByWorker(store);
    console.log(
      `crash test: ${total} touches, kill points ${targets.join(', ')}, sent when each worker started ` +
        `${sentAtStart.join(', ')} and after each kill ${sentAtKill.join(', ')}; ${twice} performed twice ` +
        `(${JSON.stringify(byWorker)}, limit ${BATCH} per kill)`,
    );
    // Every kill landed mid-run: the killed worker had sent touches, and the run was not over.
    for (let k = 0; k < KILLS; k++) {
      expect(sentAtKill[k]!).toBeGreaterThan(sentAtStart[k]!);
      expect(sentAtKill[k]!).toBeLessThan(total);
    }
    // Each repeated send is one that a killed worker made and never recorded: at most one batch per kill.
    expect(Object.values(byWorker).reduce((a, n) => a + n, 0)).toBe(twice);
    for (const [worker, n] of Object.entries(byWorker)) {
      expect(worker, `repeated sends by ${worker}`).toMatch(/^crash[0-4]$/);
      expect(n, `repeated sends by ${worker}`).toBeLessThanOrEqual(BATCH);
    }
  }, 300_000);
});
