// Ad spend recorded against a campaign (one row per amount, day and optional channel). The report's cost
// per result reads it: recorded spend, when any, replaces the hand-kept `budget.spend` of the spec.
import type { Kysely } from 'kysely';
import { BatonError } from '../domain/errors.js';
import { CampaignsRepository } from './campaigns.repository.js';
import { checkLimit, decodeCursor, toPage, type Page, type PageRequest } from './cursor.js';
import { newId } from './ids.js';
import type { Database } from './schema.js';

export interface SpendInput {
  amount: number;
  currency: string;
  /** `YYYY-MM-DD`: the day the money was spent. */
  date: string;
  channel?: string;
  note?: string;
}

export interface SpendEntry {
  id: string;
  campaign_id: string;
  amount: number;
  currency: string;
  date: string;
  channel: string | null;
  note: string | null;
  created_at: number;
}

type Db = Kysely<Database>;

export class SpendRepository {
  constructor(private readonly store: { db: Db }) {}

  /**
   * Records spend. Every amount of a campaign is in one currency: the budget's when it has one, else the
   * first recorded; another currency is refused naming `currency` (Baton does not convert money).
   */
  async add(workspaceId: string, campaignId: string, input: SpendInput, now: number): Promise<SpendEntry> {
    return this.store.db.transaction().execute(async (trx) => {
      const campaign = await new CampaignsRepository({ db: trx }).get(workspaceId, campaignId);
      if (!campaign) throw BatonError.notFound('campaign', campaignId);
      const first = await trx
        .selectFrom('campaign_spend')
        .select('currency')
        .where('workspace_id', '=', workspaceId)
        .where('campaign_id', '=', campaignId)
        .orderBy('id')
        .executeTakeFirst();
      const expected = campaign.spec.budget?.currency ?? first?.currency;
      if (expected && expected !== input.currency) {
        throw BatonError.invalid([
          {
            path: 'currency',
            message: `must be ${expected}, the currency of this campaign's ${campaign.spec.budget ? 'budget' : 'recorded spend'}`,
          },
        ]);
      }
      const row = {
        id: newId('spd', now),
        workspace_id: workspaceId,
        campaign_id: campaignId,
        amount: input.amount,
        currency: input.currency,
        date: input.date,
        channel: input.channel ?? null,
        note: input.note ?? null,
        created_at: now,
      };
      await trx.insertInto('campaign_spend').values(row).execute();
      const { workspace_id: _ws, ...entry } = row;
      return entry;
    });
  }

  /** One page in id (recording) order. */
  async list(workspaceId: string, campaignId: string, page: PageRequest): Promise<Page<SpendEntry>> {
    if (!(await new CampaignsRepository(this.store).get(workspaceId, campaignId))) {
      throw BatonError.notFound('campaign', campaignId);
    }
    let q = this.store.db
      .selectFrom('campaign_spend')
      .select(['id', 'campaign_id', 'amount', 'currency', 'date', 'channel', 'note', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .where('campaign_id', '=', campaignId);
    if (page.cursor !== undefined) q = q.where('id', '>', decodeCursor(page.cursor));
    const rows = await q
      .orderBy('id')
      .limit(checkLimit(page.limit) + 1)
      .execute();
    return toPage(
      rows.map((r) => ({ ...r, amount: Number(r.amount), created_at: Number(r.created_at) })),
      page.limit,
    );
  }
}

/** Every recorded amount of a campaign, for its report. */
export async function campaignSpend(
  db: Db,
  workspaceId: string,
  campaignId: string,
): Promise<Array<{ amount: number; currency: string; date: string; channel: string | null }>> {
  const rows = await db
    .selectFrom('campaign_spend')
    .select(['amount', 'currency', 'date', 'channel'])
    .where('workspace_id', '=', workspaceId)
    .where('campaign_id', '=', campaignId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, amount: Number(r.amount) }));
}
