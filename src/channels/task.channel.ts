// The `task` channel: a sales step becomes a task in a person's inbox (a call, a LinkedIn touch, a manual
// email) instead of a message. The assignee is a named workspace user or the contact's account owner; the
// task falls due in the assignee's working hours and zone, and its instructions are rendered with the
// contact in scope. The step stays open (`holdsStep`): the sequence goes on when the task is resolved.
import { renderText } from '../content/text.js';
import { workspaceSettings, type WorkspaceSettings } from '../domain/workspace-settings.js';
import { parseDelay } from '../planning/delay.js';
import { toHolidays } from '../planning/holidays.js';
import { taskTimes } from '../planning/working-hours.js';
import type { Store } from '../store/db.js';
import { newId } from '../store/ids.js';
import { fromJson } from '../store/json.js';
import { TasksRepository } from '../store/tasks.repository.js';
import { WorkspacesRepository } from '../store/workspaces.repository.js';
import type { Channel, OutboundMessage, SendResult } from './channel.js';

interface TaskContent {
  type: string;
  assignee: string;
  instructions?: string;
  expire_after?: string;
}

export class TaskChannel implements Channel {
  readonly name = 'task';

  constructor(private readonly store: Store) {}

  async send(batch: OutboundMessage[]): Promise<SendResult[]> {
    const settings = new Map<string, WorkspaceSettings>();
    const campaigns = new Map<string, { id: string; name: string }>();
    const out: SendResult[] = [];
    for (const m of batch) {
      try {
        out.push(await this.createTask(m, settings, campaigns));
      } catch (e) {
        // A broken template or a store hiccup: retried with backoff, then recorded as failed.
        out.push({ status: 'retry', error: e instanceof Error ? e.message : String(e) });
      }
    }
    return out;
  }

  private async createTask(
    m: OutboundMessage,
    settingsCache: Map<string, WorkspaceSettings>,
    campaignCache: Map<string, { id: string; name: string }>,
  ): Promise<SendResult> {
    const db = this.store.db;
    const ws = m.workspaceId;
    const content = (m.content.task ?? { type: 'custom', assignee: 'account.owner' }) as TaskContent;
    let settings = settingsCache.get(ws);
    if (!settings) {
      settings = workspaceSettings((await new WorkspacesRepository(this.store).get(ws))?.settings ?? {});
      settingsCache.set(ws, settings);
    }
    const campaignKey = `${ws}\u0000${m.campaignId}`;
    let campaign = campaignCache.get(campaignKey);
    if (!campaign) {
      const row = await db
        .selectFrom('campaigns')
        .select(['id', 'name'])
        .where('workspace_id', '=', ws)
        .where('id', '=', m.campaignId)
        .executeTakeFirst();
      campaign = row ?? { id: m.campaignId, name: m.campaignId };
      campaignCache.set(campaignKey, campaign);
    }
    const account = m.contact.account_id
      ? await db
          .selectFrom('accounts')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('id', '=', m.contact.account_id)
          .executeTakeFirst()
      : undefined;

    const tasks = new TasksRepository(this.store);
    const { name, user } = await tasks.resolveAssignee(ws, content.assignee, account?.owner ?? null);
    const zone = user?.time_zone ?? settings.time_zone;
    const times = taskTimes({
      from: m.now,
      zone,
      hours: user?.working_hours ?? undefined,
      holidays: toHolidays(settings.holidays),
      expireAfter: content.expire_after ? parseDelay(content.expire_after) : undefined,
    });
    const instructions =
      content.instructions === undefined
        ? null
        : renderText(
            content.instructions,
            {
              contact: { ...m.contact.attributes, ...m.contact, attributes: m.contact.attributes },
              account: account
                ? {
                    ...fromJson<Record<string, unknown>>(account.attributes, {}),
                    id: account.id,
                    name: account.name,
                    domain: account.domain,
                    industry: account.industry,
                    size: account.size === null ? null : Number(account.size),
                    owner: account.owner,
                  }
                : null,
              campaign,
              step: { id: m.stepId, channel: m.channel },
            },
            `sequence.${m.stepId}.task.instructions`,
          );
    const id = newId('tsk', m.now);
    await tasks.insert({
      id,
      workspace_id: ws,
      touch_id: m.touchId,
      campaign_id: m.campaignId,
      enrollment_id: await this.enrollmentOf(ws, m.touchId),
      contact_id: m.contact.id,
      step_id: m.stepId,
      type: content.type,
      instructions,
      assignee_user_id: user?.id ?? null,
      assignee: name,
      status: 'open',
      due_at: times.dueAt,
      overdue_at: times.overdueAt,
      expires_at: times.expiresAt,
      outcome: null,
      note: null,
      resolved_at: null,
      resolved_by: null,
      created_at: m.now,
      updated_at: m.now,
    });
    const task = await tasks.byTouch(ws, m.touchId);
    return {
      status: 'sent',
      holdsStep: true,
      details: { task_id: task?.id ?? id, assignee: name, due_at: times.dueAt },
    };
  }

  private async enrollmentOf(ws: string, touchId: string): Promise<string> {
    const row = await this.store.db
      .selectFrom('touches')
      .select('enrollment_id')
      .where('workspace_id', '=', ws)
      .where('id', '=', touchId)
      .executeTakeFirstOrThrow();
    return row.enrollment_id;
  }
}
