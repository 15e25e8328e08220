// POST /api/v1/test/clock: moves the simulated clock of a server started in test mode (`baton serve
// --test-mode` or BATON_TEST_MODE=1) and lets the in-process worker do what falls due on the way. The route
// exists only in test mode: a normal server answers 404, and docs/permissions.md (generated from a normal
// server) does not list it.
import { z } from 'zod';
import type { SimulatedClock } from '../../engine/clock.js';
import type { TickStats } from '../../engine/worker.js';
import { BatonError } from '../../domain/errors.js';
import { requireScope } from '../auth.js';
import type { RouteModule } from './index.js';
import { commonErrors, errorResponse, isoTime } from './resource-schemas.js';

/** What the route drives: the simulated clock the API and the worker share, and that worker. */
export interface TestMode {
  clock: SimulatedClock;
  /** The in-process worker (none on PostgreSQL, where `baton worker` processes run). */
  worker: { tick(): Promise<TickStats>; nextWakeAt(now: number): Promise<number> } | null;
}

/** The smallest step between two ticks, so a touch the worker cannot send yet does not stall the walk. */
const MIN_STEP_MS = 60_000;

const clockBody = z
  .object({
    advance_ms: z
      .number()
      .int()
      .positive()
      .max(366 * 86_400_000)
      .optional()
      .describe('move this many milliseconds forward'),
    to: z.iso.datetime({ offset: true }).optional().describe('move to this instant (not before now)'),
  })
  .strict();

const totals = z.object({
  ticks: z.number().int(),
  claimed: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  lifecycle_changes: z.number().int(),
});

export function testClockRoutes(mode: TestMode): RouteModule {
  return (app) => {
    app.post(
      '/test/clock',
      {
        preValidation: requireScope('admin'),
        schema: {
          tags: ['test'],
          summary:
            'Test mode only: move the simulated clock forward, ticking the worker at each moment with work ' +
            '(due touches, window boundaries) on the way',
          body: clockBody,
          response: {
            200: z.object({ from: isoTime, now: isoTime, worker: totals.nullable() }),
            400: errorResponse,
            ...commonErrors,
          },
        },
      },
      async (req) => {
        const from = mode.clock.now();
        const { advance_ms, to } = req.body;
        if ((advance_ms === undefined) === (to === undefined)) {
          throw BatonError.invalid([{ path: 'body', message: 'give exactly one of advance_ms and to' }]);
        }
        const target = advance_ms !== undefined ? from + advance_ms : Date.parse(to!);
        if (target < from) {
          throw BatonError.invalid([
            { path: 'body.to', message: `${to} is before the clock's ${new Date(from).toISOString()}` },
          ]);
        }
        if (!mode.worker) {
          mode.clock.set(target);
          return { from: iso(from), now: iso(target), worker: null };
        }
        const sum = { ticks: 0, claimed: 0, sent: 0, failed: 0, lifecycle_changes: 0 };
        for (let t = from; ;) {
          mode.clock.set(t);
          const s = await mode.worker.tick();
          sum.ticks++;
          sum.claimed += s.claimed;
          sum.sent += s.sent;
          sum.failed += s.failed;
          sum.lifecycle_changes += s.lifecycleChanges;
          if (t >= target) break;
          const wake = await mode.worker.nextWakeAt(t);
          t = Math.min(target, Math.max(t + MIN_STEP_MS, wake));
        }
        return { from: iso(from), now: iso(target), worker: sum };
      },
    );
  };
}

const iso = (t: number): string => new Date(t).toISOString();
