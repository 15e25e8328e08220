// The dispatcher: claims due touches in batches, re-checks everything at claim time (the authoritative
// check: enrollment still active, campaign running, contact reachable, step condition, frequency caps in
// priority order), hands the approved ones to their channel, records the outcome and plans the next step.
//
// Concurrency: the claim transaction locks the due touches (PostgreSQL: FOR UPDATE SKIP LOCKED) and then
// the rows of their contacts in id order, so two workers never decide caps for one person at once. An
// approved touch is `claimed` with `sent_at` set to the claim time: it already counts toward the caps of
// every other worker. A worker that dies leaves claimed touches whose lease expires; they return to
// `planned` and go again (at least once; exactly once outside the crash window of one batch).
import type { Kysely, Transaction } from 'kysely';
import type { Channel, ChannelRegistry, OutboundMessage, SendResult } from '../channels/channel.js';
import { unitHash } from '../domain/assignment.js';
import {
  CapState,
  DAY,
  evaluateCondition,
  placeWithState,
  resolveZone,
  type TouchOutcome,
} from '../planning/index.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { fromJson, toJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import {
  touchQueueFor,
  type ContactRow,
  type EventInsert,
  type HistoryEntry,
  type TouchInsert,
  type TouchQueue,
  type TouchRow,
} from '../store/touch-queue.js';
import { stepContent, type CampaignRuntime } from './campaign-runtime.js';
import { decidedVariants, hasTestSteps, stepVariant } from './auto-winner.js';
import { plannedTouch, planStep } from './enroller.js';
import { exitEnrollments } from './exits.js';
import { campaignKey, RuntimeCache, type CampaignState } from './runtime-cache.js';

export interface DispatcherOptions {
  workerId: string;
  batchSize?: number;
  leaseMs?: number;
  maxAttempts?: number;
  /** Base of the exponential retry backoff. */
  retryBaseMs?: number;
  /**
   * On SQLite, use the Kysely queries instead of the prepared-statement queue (decision 0020). Tests run the
   * same scenario through both to hold them equal; nothing else sets it.
   */
  kyselyQueue?: boolean;
  /**
   * Told of each touch as the dispatcher counts it in `BatchStats` (and of each next step it plans), with its
   * workspace, campaign and channel: the metrics' per-campaign, per-channel counters.
   */
  onTouch?: TouchCounter;
}

/** What `onTouch` reports: a `BatchStats` outcome, or `planned` for a next step the dispatcher planned. */
export type TouchCount =
  'claimed' | 'sent' | 'deferred' | 'skipped' | 'cancelled' | 'failed' | 'retried' | 'planned';
export type TouchCounter = (
  what: TouchCount,
  touch: { workspace_id: string; campaign_id: string; channel: string },
) => void;

export interface BatchStats {
  claimed: number;
  sent: number;
  deferred: number;
  skipped: number;
  cancelled: number;
  failed: number;
  retried: number;
  reclaimed: number;
}

type Decision =
  | { kind: 'approve' }
  | { kind: 'defer'; dueAt: number; reason: string }
  | { kind: 'skip'; reason: string; next: boolean }
  | { kind: 'cancel'; reason: string }
  | { kind: 'hold' };

const NONE_DECIDED: ReadonlyMap<string, string> = new Map();
// The same order as String.prototype.localeCompare, without building a comparison per call.
const compareText = new Intl.Collator().compare;
const OUTCOME_TYPES: TouchOutcome[] = ['delivered', 'opened', 'clicked', 'replied'];
const emptyStats = (): BatchStats => ({
  claimed: 0,
  sent: 0,
  deferred: 0,
  skipped: 0,
  cancelled: 0,
  failed: 0,
  retried: 0,
  reclaimed: 0,
});

export class Dispatcher {
  private readonly cache: RuntimeCache;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly queue: TouchQueue;

  constructor(
    private readonly store: Store,
    private readonly channels: ChannelRegistry,
    private readonly options: DispatcherOptions,
  ) {
    this.cache = new RuntimeCache(store);
    this.batchSize = options.batchSize ?? 500;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 60_000;
    this.queue = touchQueueFor(store, options.kyselyQueue);
  }

  /** One batch at `now`: claim, decide, send, record. Returns what happened (claimed 0 = nothing due). */
  async runOnce(now: number): Promise<BatchStats> {
    const stats = emptyStats();
    stats.reclaimed = await this.reclaimExpired(now);
    const { approved, recorded } = await this.claimAndDecide(now, stats);
    if (approved.length === 0 || recorded) return stats;
    const results = await this.send(approved, now);
    await this.store.db.transaction().execute((trx) => this.record(trx, approved, results, now, stats));
    return stats;
  }

  /**
   * Whether every approved touch goes to a channel that only writes to this SQLite store, synchronously on
   * its connection (the `log` channel): the batch is then sent and recorded inside the claim transaction,
   * which spares two commits per batch and makes the claim, the send and the record one atomic step. No
   * one sees such a touch `claimed`, so it goes from `planned` to its outcome in one update.
   */
  private sendsInTransaction(decisions: Array<{ touch: TouchRow; decision: Decision }>): boolean {
    const sqlite = this.store.sqlite;
    if (!sqlite) return false;
    let any = false;
    for (const { touch, decision } of decisions) {
      if (decision.kind !== 'approve') continue;
      if (this.channels.get(touch.channel)?.storeOnly !== sqlite) return false;
      any = true;
    }
    return any;
  }

  /** Runs batches until nothing is due at `now` (or `keepGoing` says stop: shutdown between batches). */
  async drain(now: number, maxBatches = Infinity, keepGoing?: () => boolean): Promise<BatchStats> {
    const total = emptyStats();
    for (let i = 0; i < maxBatches && (keepGoing?.() ?? true); i++) {
      const s = await this.runOnce(now);
      for (const k of Object.keys(total) as Array<keyof BatchStats>) total[k] += s[k];
      if (s.claimed === 0) break;
    }
    return total;
  }

  private async reclaimExpired(now: number): Promise<number> {
    // SQLite's prepared statements must run inside a Kysely transaction, which holds the one connection: run
    // bare, the statement could land inside another caller's open transaction on that connection.
    if (!this.store.sqlite) return this.queue.reclaimExpired(this.store.db, now);
    return this.store.db.transaction().execute((trx) => this.queue.reclaimExpired(trx, now));
  }

  private async claimAndDecide(
    now: number,
    stats: BatchStats,
  ): Promise<{ approved: Approved[]; recorded: boolean }> {
    return this.store.db.transaction().execute(async (trx) => {
      const touches = await this.queue.claimDue(trx, now, this.batchSize);
      stats.claimed = touches.length;
      if (touches.length === 0) return { approved: [], recorded: false };
      if (this.options.onTouch) for (const t of touches) this.options.onTouch('claimed', t);

      const contactIds = new Set<string>();
      const enrollmentIds = new Set<string>();
      const campaignKeys = new Set<string>();
      const byWorkspace = new Map<string, Set<string>>();
      for (const t of touches) {
        contactIds.add(t.contact_id);
        enrollmentIds.add(t.enrollment_id);
        campaignKeys.add(campaignKey(t.workspace_id, t.campaign_id));
        let set = byWorkspace.get(t.workspace_id);
        if (!set) byWorkspace.set(t.workspace_id, (set = new Set()));
        set.add(t.contact_id);
      }
      const contacts = await this.queue.lockContacts(trx, [...contactIds].sort());
      const enrollments = await this.queue.loadEnrollments(trx, [...enrollmentIds]);
      const campaigns = await this.cache.load(campaignKeys, trx);
      const history = await this.queue.loadHistory(trx, byWorkspace, now - 8 * DAY);
      const outcomes = await this.loadOutcomes(trx, touches, campaigns);

      // Higher priority first for each person, then the earlier due touch: arbitration between campaigns.
      touches.sort(
        (a, b) =>
          compareText(a.contact_id, b.contact_id) ||
          b.priority - a.priority ||
          Number(a.due_at) - Number(b.due_at) ||
          compareText(a.campaign_id, b.campaign_id),
      );

      const caps = new Map<string, CapState>();
      const decisions: Array<{ touch: TouchRow; decision: Decision; campaign?: CampaignState }> = [];
      for (const touch of touches) {
        const campaign = campaigns.get(campaignKey(touch.workspace_id, touch.campaign_id));
        const contact = contacts.get(touch.contact_id);
        const enrollment = enrollments.get(touch.enrollment_id);
        const decision = this.decide(touch, now, campaign, contact, enrollment, outcomes, history, caps);
        decisions.push({ touch, decision, campaign });
      }
      const inTransaction = this.sendsInTransaction(decisions);
      const approved = await this.applyDecisions(
        trx,
        decisions,
        contacts,
        enrollments,
        now,
        stats,
        !inTransaction,
      );
      if (!inTransaction) return { approved, recorded: false };
      const results = await this.send(approved, now);
      await this.record(trx, approved, results, now, stats, false);
      return { approved, recorded: true };
    });
  }

  /** Observed outcomes per enrollment and step, only for touches whose step has a condition. */
  private async loadOutcomes(
    trx: Transaction<Database>,
    touches: TouchRow[],
    campaigns: Map<string, CampaignState>,
  ): Promise<Map<string, Map<string, Set<TouchOutcome>>>> {
    const out = new Map<string, Map<string, Set<TouchOutcome>>>();
    const conditional = touches.filter(
      (t) =>
        campaigns.get(campaignKey(t.workspace_id, t.campaign_id))?.runtime.steps[t.step_index]?.step.when,
    );
    if (conditional.length === 0) return out;
    const enrollmentIds = [...new Set(conditional.map((t) => t.enrollment_id))];
    const rows = await trx
      .selectFrom('events')
      .innerJoin('touches', 'touches.id', 'events.touch_id')
      .select([
        'touches.enrollment_id as enrollment_id',
        'events.step_id as step_id',
        'events.type as type',
        'events.properties as properties',
      ])
      .where('touches.enrollment_id', 'in', enrollmentIds)
      .where('events.type', 'in', OUTCOME_TYPES)
      .execute();
    for (const r of rows) {
      if (!r.step_id) continue;
      // An image proxy's prefetch or a scanner's click (`machine: true`) is nobody opening or clicking.
      if (fromJson<{ machine?: unknown }>(r.properties, {}).machine === true) continue;
      let byStep = out.get(r.enrollment_id);
      if (!byStep) out.set(r.enrollment_id, (byStep = new Map()));
      let set = byStep.get(r.step_id);
      if (!set) byStep.set(r.step_id, (set = new Set()));
      set.add(r.type as TouchOutcome);
    }
    return out;
  }

  private decide(
    touch: TouchRow,
    now: number,
    campaign: CampaignState | undefined,
    contact: ContactRow | undefined,
    enrollment: { state: string } | undefined,
    outcomes: Map<string, Map<string, Set<TouchOutcome>>>,
    history: Map<string, HistoryEntry[]>,
    caps: Map<string, CapState>,
  ): Decision {
    if (!campaign || !contact || !enrollment) return { kind: 'cancel', reason: 'missing' };
    if (enrollment.state !== 'active') return { kind: 'cancel', reason: `enrollment_${enrollment.state}` };
    if (campaign.status === 'paused') return { kind: 'hold' };
    if (campaign.status !== 'running') return { kind: 'cancel', reason: 'campaign_ended' };
    const rt = campaign.runtime;
    const step = rt.steps[touch.step_index];
    if (!step || step.step.id !== touch.step_id) return { kind: 'cancel', reason: 'step_removed' };

    const unreachable = reachability(touch.channel, contact);
    if (unreachable) return { kind: 'skip', reason: unreachable, next: !ENDS_ENROLLMENT.has(unreachable) };

    if (
      step.step.when &&
      !evaluateCondition(step.step.when, outcomes.get(touch.enrollment_id) ?? new Map())
    ) {
      return { kind: 'skip', reason: 'condition_not_met', next: true };
    }
    if (rt.exemptChannels.has(touch.channel)) return { kind: 'approve' };

    const zone = resolveZone(contact.time_zone, rt.zone);
    let state = caps.get(contact.id);
    if (!state) {
      state = new CapState(history.get(contact.id) ?? [], rt.caps, zone);
      caps.set(contact.id, state);
    }
    const placed = placeWithState(
      {
        from: now,
        channel: touch.channel,
        zone,
        sendWindow: step.sendWindow,
        holidays: rt.holidays,
        campaignWindow: rt.window,
      },
      state,
    );
    if ('skip' in placed) return { kind: 'skip', reason: placed.skip, next: false };
    if (placed.at > now) {
      return { kind: 'defer', dueAt: placed.at, reason: placed.at > placed.wantedAt ? 'cap' : 'send_window' };
    }
    state.add({ at: now, channel: touch.channel });
    return { kind: 'approve' };
  }

  private async applyDecisions(
    trx: Transaction<Database>,
    decisions: Array<{ touch: TouchRow; decision: Decision; campaign?: CampaignState }>,
    contacts: Map<string, ContactRow>,
    enrollments: Map<string, { variants: Record<string, string> }>,
    now: number,
    stats: BatchStats,
    claim: boolean,
  ): Promise<Approved[]> {
    const approved: Approved[] = [];
    const cancel = new Map<string, string[]>();
    const skip = new Map<string, string[]>();
    const hold: string[] = [];
    const defer = new Map<string, string[]>();
    const next: Array<{ touch: TouchRow; rt: CampaignRuntime; from: number }> = [];
    const exits: Array<{ ws: string; enrollment: string; reason: string }> = [];
    const windowClosed: string[] = [];
    for (const { touch, decision, campaign } of decisions) {
      switch (decision.kind) {
        case 'approve': {
          const contact = contacts.get(touch.contact_id)!;
          approved.push({
            touch,
            rt: campaign!.runtime,
            contact,
            variants: enrollments.get(touch.enrollment_id)?.variants,
          });
          break;
        }
        case 'defer':
          stats.deferred++;
          this.options.onTouch?.('deferred', touch);
          // Caps move many touches to the same instant (the next local midnight): one update per instant.
          push(defer, `${decision.dueAt}\u0000${decision.reason}`, touch.id);
          break;
        case 'skip':
          stats.skipped++;
          this.options.onTouch?.('skipped', touch);
          push(skip, decision.reason, touch.id);
          if (decision.next && campaign) next.push({ touch, rt: campaign.runtime, from: now });
          if (ENDS_ENROLLMENT.has(decision.reason))
            exits.push({ ws: touch.workspace_id, enrollment: touch.enrollment_id, reason: decision.reason });
          // No later slot fits before the campaign ends: the sequence is over for this person, as when the
          // next step is planned past the end (planNext).
          else if (decision.reason === 'window_closed') windowClosed.push(touch.enrollment_id);
          break;
        case 'cancel':
          stats.cancelled++;
          this.options.onTouch?.('cancelled', touch);
          push(cancel, decision.reason, touch.id);
          break;
        case 'hold':
          hold.push(touch.id);
          break;
      }
    }
    if (claim && approved.length > 0) {
      await this.queue.markClaimed(
        trx,
        approved.map((a) => a.touch.id),
        this.options.workerId,
        now + this.leaseMs,
        now,
      );
    }
    for (const [key, ids] of defer) {
      const [dueAt, reason] = key.split('\u0000') as [string, string];
      await this.queue.defer(trx, ids, Number(dueAt), reason);
    }
    for (const [reason, ids] of skip) await this.queue.setStatus(trx, ids, 'skipped', reason);
    for (const [reason, ids] of cancel) await this.queue.setStatus(trx, ids, 'cancelled', reason);
    if (hold.length > 0) await this.queue.setStatus(trx, hold, 'held', 'campaign_paused');
    for (const x of exits) await exitEnrollments(trx, x.ws, [x.enrollment], x.reason, now);
    if (windowClosed.length > 0) await this.queue.completeEnrollments(trx, windowClosed, now);
    await this.planNext(trx, next, contacts, enrollments, now);
    return approved;
  }

  /** Plans the step after each given touch (or completes the enrollment when the sequence is over). */
  private async planNext(
    db: Kysely<Database>,
    items: Array<{ touch: TouchRow; rt: CampaignRuntime; from: number }>,
    contacts: Map<string, ContactRow>,
    enrollments: Map<string, { variants: Record<string, string> }>,
    now: number,
  ): Promise<void> {
    const rows: TouchInsert[] = [];
    const completed: string[] = [];
    // Auto-winner steps: the decided variant per campaign, looked up once per batch.
    const decided = new Map<string, Map<string, string>>();
    for (const { touch, rt } of items) {
      const key = campaignKey(touch.workspace_id, touch.campaign_id);
      if (!decided.has(key) && hasTestSteps(rt.spec.sequence))
        decided.set(key, await decidedVariants(db, touch.workspace_id, touch.campaign_id));
    }
    for (const { touch, rt, from } of items) {
      const index = touch.step_index + 1;
      const plan = planStep(rt, index, from, contacts.get(touch.contact_id)?.time_zone ?? null);
      if ('done' in plan) {
        completed.push(touch.enrollment_id);
        continue;
      }
      const variant = stepVariant(
        rt.steps[index]!.step,
        enrollments.get(touch.enrollment_id)?.variants,
        decided.get(campaignKey(touch.workspace_id, touch.campaign_id)) ?? NONE_DECIDED,
      );
      const who = { enrollmentId: touch.enrollment_id, contactId: touch.contact_id };
      rows.push(plannedTouch(rt, index, plan, who, variant, now));
      // A sequence whose next step can no longer fit in the window is over for this person.
      if ('skip' in plan) completed.push(touch.enrollment_id);
    }
    await this.queue.insertTouches(db, rows);
    if (this.options.onTouch)
      for (const r of rows) if (r.status === 'planned') this.options.onTouch('planned', r);
    await this.queue.completeEnrollments(db, completed, now);
  }

  private async send(approved: Approved[], now: number): Promise<SendResult[]> {
    const results: SendResult[] = new Array(approved.length);
    const byChannel = new Map<string, number[]>();
    approved.forEach((a, i) => push(byChannel, a.touch.channel, i));
    for (const [name, indexes] of byChannel) {
      const channel: Channel | undefined = this.channels.get(name);
      if (!channel) {
        for (const i of indexes)
          results[i] = { status: 'failed', error: `no channel "${name}" is connected` };
        continue;
      }
      const batch: OutboundMessage[] = indexes.map((i) => toMessage(approved[i]!, now));
      let out: SendResult[];
      try {
        out = await channel.send(batch);
      } catch (e) {
        out = batch.map(() => ({ status: 'retry', error: e instanceof Error ? e.message : String(e) }));
      }
      indexes.forEach(
        (i, k) => (results[i] = out[k] ?? { status: 'retry', error: 'channel returned no result' }),
      );
    }
    return results;
  }

  private async record(
    trx: Transaction<Database>,
    approved: Approved[],
    results: SendResult[],
    now: number,
    stats: BatchStats,
    claimed = true,
  ): Promise<void> {
    const sentIds: string[] = [];
    const events: EventInsert[] = [];
    const next: Array<{ touch: TouchRow; rt: CampaignRuntime; from: number }> = [];
    const bounces: Array<{ ws: string; contact: string; enrollment: string }> = [];
    for (let i = 0; i < approved.length; i++) {
      const a = approved[i]!;
      const r = results[i]!;
      const t = a.touch;
      if (r.status === 'sent') {
        stats.sent++;
        this.options.onTouch?.('sent', t);
        sentIds.push(t.id);
        events.push(touchEvent(t, 'sent', now, r.details ?? {}));
        if (r.providerMessageId) await this.queue.setMessageId(trx, t.id, r.providerMessageId);
        if (!r.holdsStep) next.push({ touch: t, rt: a.rt, from: now });
        continue;
      }
      // Not claimed yet (sent inside the claim transaction): claim it first, so the retry or failure below
      // leaves the row as it would after a committed claim.
      if (!claimed) await this.queue.markClaimed(trx, [t.id], this.options.workerId, now + this.leaseMs, now);
      if (r.status === 'retry' && t.attempts + 1 < this.maxAttempts) {
        stats.retried++;
        this.options.onTouch?.('retried', t);
        // Exponential backoff with deterministic jitter (±20%, from the touch id): retries of many
        // touches spread out instead of hitting a struggling provider at once.
        const backoff =
          (r.retryAfterMs ?? this.retryBaseMs * 2 ** t.attempts) *
          (0.8 + 0.4 * unitHash(t.id, String(t.attempts)));
        await this.queue.retry(trx, t.id, Math.round(now + backoff), `retry:${r.error.slice(0, 200)}`);
      } else {
        stats.failed++;
        this.options.onTouch?.('failed', t);
        const error = r.status === 'retry' ? `gave up after ${t.attempts + 1} attempts: ${r.error}` : r.error;
        const bounce = r.status === 'failed' ? r.bounce : undefined;
        await this.queue.fail(trx, t.id, error.slice(0, 500));
        events.push(
          touchEvent(t, bounce ? 'bounced' : 'failed', now, { error, ...(bounce ? { bounce } : {}) }),
        );
        if (bounce === 'hard')
          bounces.push({ ws: t.workspace_id, contact: t.contact_id, enrollment: t.enrollment_id });
        else next.push({ touch: t, rt: a.rt, from: now });
      }
    }
    if (claimed) await this.queue.markSent(trx, sentIds, now);
    else await this.queue.claimAndMarkSent(trx, sentIds, this.options.workerId, now);
    await this.queue.insertEvents(trx, events);
    for (const b of bounces) {
      await trx
        .updateTable('contacts')
        .set({ subscription_status: 'bounced', updated_at: now })
        .where('workspace_id', '=', b.ws)
        .where('id', '=', b.contact)
        .execute();
      await exitEnrollments(trx, b.ws, [b.enrollment], 'bounced', now);
    }
    const contacts = new Map(approved.map((a) => [a.contact.id, a.contact]));
    const variants = new Map(approved.map((a) => [a.touch.enrollment_id, { variants: a.variants ?? {} }]));
    await this.planNext(trx, next, contacts, variants, now);
  }
}

interface Approved {
  touch: TouchRow;
  rt: CampaignRuntime;
  contact: ContactRow;
  variants: Record<string, string> | undefined;
}

/**
 * Reachability skips that end the enrollment instead of moving on to the next step: every later step would be
 * skipped the same way. `suppressed` counts on every channel — a suppressed person gets no email, text, task
 * or webhook carrying their details — and is read at claim time, so a suppression added after enrollment is
 * honoured.
 */
const ENDS_ENROLLMENT: ReadonlySet<string> = new Set(['unsubscribed', 'suppressed']);

/** Why a contact cannot be reached on a channel right now, or null. */
export function reachability(
  channel: string,
  c: Pick<ContactRow, 'email' | 'phone' | 'subscription_status' | 'sms_consent'> & { suppressed?: boolean },
): string | null {
  if (c.subscription_status === 'unsubscribed' || c.subscription_status === 'complained')
    return 'unsubscribed';
  if (channel === 'email') {
    if (!c.email) return 'no_email';
    if (c.subscription_status === 'bounced') return 'bounced';
  }
  if (channel === 'sms') {
    if (!c.phone) return 'no_phone';
    if (!c.sms_consent) return 'no_sms_consent';
  }
  if (c.suppressed) return 'suppressed';
  return null;
}

function toMessage(a: Approved, now: number): OutboundMessage {
  const t = a.touch;
  const step = a.rt.steps[t.step_index]!.step;
  return {
    workspaceId: t.workspace_id,
    touchId: t.id,
    idempotencyKey: t.id,
    campaignId: t.campaign_id,
    stepId: t.step_id,
    variantId: t.variant_id,
    channel: t.channel,
    contact: {
      id: a.contact.id,
      email: a.contact.email,
      phone: a.contact.phone,
      first_name: a.contact.first_name,
      last_name: a.contact.last_name,
      time_zone: a.contact.time_zone,
      account_id: a.contact.account_id,
      attributes: fromJson(a.contact.attributes, {}),
    },
    content: stepContent(step, t.variant_id),
    now,
  };
}

function touchEvent(
  t: TouchRow,
  type: string,
  now: number,
  properties: Record<string, unknown>,
): EventInsert {
  return {
    id: newId('evt', now),
    workspace_id: t.workspace_id,
    message_id: `touch:${t.id}:${type}`,
    type,
    contact_id: t.contact_id,
    account_id: null,
    anonymous_id: null,
    occurred_at: now,
    received_at: now,
    properties: toJson(properties),
    campaign_id: t.campaign_id,
    touch_id: t.id,
    step_id: t.step_id,
    variant_id: t.variant_id,
    channel: t.channel,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
