// Enrollment: each audience contact gets one enrollment per campaign (deterministic arm and variants),
// and each treatment enrollment gets its first touch planned. Holdout enrollments get no touches.
import type { Kysely } from 'kysely';
import { assignArm, assignVariant, inTestShare } from '../domain/assignment.js';
import { planDueAt } from '../planning/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { toJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { touchQueueFor, type EnrollmentInsert, type TouchInsert } from '../store/touch-queue.js';
import { AWAITING_WINNER, decidedVariants, hasTestSteps, stepVariant } from './auto-winner.js';
import type { CampaignRuntime } from './campaign-runtime.js';

export interface EnrollContact {
  id: string;
  account_id: string | null;
  time_zone: string | null;
}

export interface EnrollResult {
  enrolled: number;
  holdout: number;
  alreadyEnrolled: number;
  touchesPlanned: number;
  skippedWindowClosed: number;
}

const CHUNK = 400;
const SQLITE_CHUNK = 2000;

/** Plans the touch of step `index` after `previousAt`, or says why there is none. */
export function planStep(
  rt: CampaignRuntime,
  index: number,
  previousAt: number,
  contactZone: string | null,
): { dueAt: number } | { skip: 'window_closed' } | { done: true } {
  const s = rt.steps[index];
  if (!s) return { done: true };
  const from = rt.window ? Math.max(previousAt, rt.window.start) : previousAt;
  return planDueAt({
    previousAt: from,
    delay: s.delay,
    contactZone,
    campaignZone: rt.zone,
    sendWindow: s.sendWindow,
    holidays: rt.holidays,
    campaignWindow: rt.window,
  });
}

/**
 * The touch row of step `index` for one enrollment, as `planStep` placed it: planned at its due time,
 * `held` while an auto-winner test decides its variant, or `skipped` (window_closed) when it no longer fits.
 */
export function plannedTouch(
  rt: CampaignRuntime,
  index: number,
  plan: { dueAt: number } | { skip: 'window_closed' },
  who: { enrollmentId: string; contactId: string },
  variant: { variantId: string | null; held: boolean },
  now: number,
): TouchInsert {
  const step = rt.steps[index]!.step;
  const skipped = 'skip' in plan;
  return {
    id: newId('tch', now),
    workspace_id: rt.workspaceId,
    enrollment_id: who.enrollmentId,
    campaign_id: rt.id,
    contact_id: who.contactId,
    step_id: step.id,
    step_index: index,
    channel: step.channel,
    variant_id: variant.variantId,
    priority: rt.priority,
    status: skipped ? 'skipped' : variant.held ? 'held' : 'planned',
    due_at: skipped ? now : plan.dueAt,
    lease_until: null,
    claimed_by: null,
    attempts: 0,
    deferrals: 0,
    planned_at: now,
    sent_at: null,
    reason: skipped ? 'window_closed' : variant.held ? AWAITING_WINNER : null,
    message_id: null,
    details: '{}',
  };
}

export async function enrollContacts(
  store: Pick<Store, 'db'> & Partial<Pick<Store, 'sqlite' | 'dialect'>>,
  rt: CampaignRuntime,
  contacts: readonly EnrollContact[],
  now: number,
): Promise<EnrollResult> {
  const result: EnrollResult = {
    enrolled: 0,
    holdout: 0,
    alreadyEnrolled: 0,
    touchesPlanned: 0,
    skippedWindowClosed: 0,
  };
  const db = store.db;
  const queue = touchQueueFor({ sqlite: store.sqlite, dialect: store.dialect ?? 'sqlite' });
  const abSteps = rt.steps.filter((s) => s.step.variants && s.step.variants.length > 0);
  // Always-on programs may let a person in again some time after the last enrollment ended.
  const reentry = rt.spec.reentry?.allowed ? rt.spec.reentry.after_days * 86_400_000 : null;
  // Auto-winner steps: only the test share draws a variant; once decided, everyone gets the decided one.
  const decided = hasTestSteps(rt.spec.sequence)
    ? await decidedVariants(db, rt.workspaceId, rt.id)
    : new Map<string, string>();
  // On SQLite each chunk is one transaction: it holds the single connection while the prepared statements
  // run on it (decision 0020), and one commit per chunk instead of one per statement.
  const chunkSize = store.sqlite ? SQLITE_CHUNK : CHUNK;
  const inChunk = (fn: (tx: Kysely<Database>) => Promise<void>): Promise<void> =>
    store.sqlite && !db.isTransaction ? db.transaction().execute(fn) : fn(db);
  for (let i = 0; i < contacts.length; i += chunkSize) {
    const chunk = contacts.slice(i, i + chunkSize);
    await inChunk(async (tx) => {
      const prior = new Map<string, { cycle: number; active: boolean; exitedAt: number }>();
      const rows = await queue.priorEnrollments(
        tx,
        rt.workspaceId,
        rt.id,
        chunk.map((c) => c.id),
      );
      for (const r of rows) {
        const p = prior.get(r.contact_id) ?? { cycle: -1, active: false, exitedAt: 0 };
        p.active ||= r.state === 'active';
        if (r.cycle > p.cycle) {
          p.cycle = r.cycle;
          p.exitedAt = Number(r.exited_at ?? now);
        }
        prior.set(r.contact_id, p);
      }
      const enrollments: EnrollmentInsert[] = [];
      // Each new enrollment's first touch, written only once its enrollment is (below).
      const firstTouches = new Map<string, TouchInsert>();
      for (const c of chunk) {
        const p = prior.get(c.id);
        // Never twice at once; again later only when the program allows re-entry and enough time passed.
        if (p && (p.active || reentry === null || now - p.exitedAt < reentry)) {
          result.alreadyEnrolled++;
          continue;
        }
        const cycle = p ? p.cycle + 1 : 0;
        const arm = assignArm(rt.id, c.id, rt.holdoutPercent);
        const variants: Record<string, string> = {};
        for (const s of abSteps) {
          const test = s.step.test;
          if (test && !decided.has(s.step.id) && !inTestShare(rt.id, s.step.id, c.id, test.share)) continue;
          const v = decided.get(s.step.id) ?? assignVariant(rt.id, s.step.id, c.id, s.step.variants!);
          if (v) variants[s.step.id] = v;
        }
        const enrollmentId = newId('enr', now);
        enrollments.push({
          id: enrollmentId,
          workspace_id: rt.workspaceId,
          campaign_id: rt.id,
          contact_id: c.id,
          account_id: c.account_id,
          cycle,
          arm,
          variants: toJson(variants),
          state: 'active',
          exit_reason: null,
          enrolled_at: now,
          exited_at: null,
        });
        if (arm === 'holdout') continue;
        const first = rt.steps[0];
        if (!first) continue;
        const plan = planStep(rt, 0, now, c.time_zone);
        if ('done' in plan) continue;
        firstTouches.set(
          enrollmentId,
          plannedTouch(
            rt,
            0,
            plan,
            { enrollmentId, contactId: c.id },
            stepVariant(first.step, variants, decided),
            now,
          ),
        );
      }
      // Another worker may have enrolled some of these contacts since the read above (dynamic enrollment runs
      // in every worker): its row stands, this one is left out, and so is the first touch planned for it.
      const written = await queue.insertEnrollments(tx, enrollments);
      const touches: TouchInsert[] = [];
      for (const e of enrollments) {
        if (!written.has(e.id)) {
          result.alreadyEnrolled++;
          continue;
        }
        result.enrolled++;
        if (e.arm === 'holdout') result.holdout++;
        const touch = firstTouches.get(e.id);
        if (!touch) continue;
        if (touch.status === 'skipped') result.skippedWindowClosed++;
        else result.touchesPlanned++;
        touches.push(touch);
      }
      await queue.insertTouches(tx, touches);
    });
  }
  return result;
}
